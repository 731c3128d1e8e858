/**
 * `cacheDelete` and `cacheClear` while a run is in flight: the run's callers still get its
 * value, but it is not stored (it may have read what the invalidation was meant to drop), and a
 * call made after the invalidation starts a run of its own instead of joining the old one.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { acache, mcache } from '../src/index.js'
import { createSqliteEngine } from '../../sqlite/src/engine.js'
import '../../sqlite/src/index.js'

const dir = mkdtempSync(join(tmpdir(), 'twat-inflight-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** A function whose first run waits until `release()`; each run answers its number. */
function heldFirstRun() {
  let runs = 0
  let release!: () => void
  const held = new Promise<void>((resolve) => (release = resolve))
  const fn = async (_id: number) => {
    const n = ++runs
    if (n === 1) await held
    return n
  }
  return { fn, release: () => release(), runs: () => runs }
}

const wrappers = [
  { label: 'mcache (memory, sync engine)', wrap: <F extends (id: number) => Promise<number>>(f: F) => mcache()(f) },
  { label: 'acache (sqlite)', wrap: <F extends (id: number) => Promise<number>>(f: F) => acache({ engine: 'sqlite', cacheDir: dir, namespace: `ns-${Math.random()}` })(f) },
]

describe.each(wrappers)('$label', ({ wrap }) => {
  it.each([
    ['cacheDelete(1)', (f: { cacheDelete(id: number): Promise<boolean> }) => f.cacheDelete(1)],
    ['cacheClear()', (f: { cacheClear(): Promise<void> }) => f.cacheClear()],
  ])('%s during a run: the run is not stored, and a later call runs again', async (_name, invalidate) => {
    const { fn, release, runs } = heldFirstRun()
    const f = wrap(fn)
    const before = f(1)
    await invalidate(f as never)
    const after = f(1)
    release()
    expect(await before).toBe(1)
    expect(await after).toBe(2)
    expect(await f(1)).toBe(2)
    expect(runs()).toBe(2)
    f.engine.close()
  })

  it('cacheDelete of another key leaves the run in flight alone', async () => {
    const { fn, release, runs } = heldFirstRun()
    const f = wrap(fn)
    const before = f(1)
    await f.cacheDelete(2)
    const joined = f(1)
    release()
    expect([await before, await joined, await f(1)]).toEqual([1, 1, 1])
    expect(runs()).toBe(1)
    f.engine.close()
  })
})

it('a refresh in flight when its key is deleted is not stored either (cacheRefresh)', async () => {
  let runs = 0
  let release!: () => void
  const f = mcache({ staleWhileRevalidate: '1m', ttl: '1m' })(async (_id: number) => {
    const n = ++runs
    if (n === 2) await new Promise<void>((resolve) => (release = resolve))
    return n
  })
  expect(await f(1)).toBe(1)
  const refreshing = f.cacheRefresh(1) as Promise<number>
  await f.cacheDelete(1)
  release()
  expect(await refreshing).toBe(2)
  expect(await f(1)).toBe(3)
  f.engine.close()
})

it('the sqlite file holds nothing from a run that ended after cacheClear', async () => {
  const namespace = 'file-check'
  const { fn, release } = heldFirstRun()
  const f = acache({ engine: 'sqlite', cacheDir: dir, namespace })(fn)
  const before = f(1)
  await f.cacheClear()
  release()
  await before
  const direct = createSqliteEngine({ cacheDir: dir, namespace })
  expect(direct.size()).toBe(0)
  direct.close()
  f.engine.close()
})
