/**
 * l1 on flat-cache across real processes (issue 13): process B (a child) holds entries in its
 * L1; this process (A) writes, deletes or invalidates a tag; B must stop serving the old value
 * within the documented bound: the writer's flush (debounceMs) + VERSION_CHECK_MS.
 */
import { rmSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { VERSION_CHECK_MS, invalidateTags } from '@twat-cache/core'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { Child, bundleTierChild } from '../../redis/test/fixtures/driver.js'
import { fileVersion } from '../src/file-format.js'
import { type FlatCacheEngine, REFRESH_MS, createFlatCacheEngine } from '../src/index.js'

let bundle: string
let cacheDir: string
let counter = 0
const children: Child[] = []
const opened: FlatCacheEngine[] = []

beforeAll(async () => {
  cacheDir = mkdtempSync(join(tmpdir(), 'twat-flat-tiers-'))
  bundle = await bundleTierChild(join(import.meta.dirname, 'fixtures/tier-child.ts'))
}, 60_000)
afterEach(async () => {
  for (const engine of opened.splice(0)) engine.close()
  await Promise.all(children.splice(0).map((c) => c.stop()))
})
afterAll(() => {
  rmSync(cacheDir, { recursive: true, force: true })
  rmSync(dirname(bundle), { recursive: true, force: true })
})

/** A fresh namespace: process B (a child) and this process's engine on it, as process A. */
function pair(debounceMs: number, suffix = '') {
  const namespace = `ns${++counter}`
  const b = new Child(bundle, [cacheDir, namespace])
  children.push(b)
  const a = createFlatCacheEngine({ cacheDir, namespace: `${namespace}${suffix}`, engineOptions: { debounceMs } })
  opened.push(a)
  return { a, b }
}

/**
 * Ask B for `key` (op `op`) until it answers `expected`, and check the bound on the way: an old
 * answer is allowed only to a request sent less than `boundMs` after A's change reached the
 * file. When it reached the file is watched here (a stat per request), so a late flush timer
 * under load does not make the test flaky, and the flush delay is measured, not assumed.
 */
async function answersWithin(b: Child, op: string, key: string, expected: unknown, path: string, before: string | undefined, boundMs: number) {
  const deadline = Date.now() + 10_000
  let landed: number | undefined
  for (;;) {
    const sent = Date.now()
    if (landed === undefined && fileVersion(path) !== before) landed = sent
    const value = await b.value({ op, key })
    if (value === expected) return landed
    if (landed !== undefined) expect(sent - landed, `old answer ${JSON.stringify(value)} ${sent - landed} ms after the flush`).toBeLessThan(boundMs)
    expect(Date.now(), `B still answers ${JSON.stringify(value)}`).toBeLessThan(deadline)
  }
}

describe('l1 on flat-cache, two processes', () => {
  it('writes and deletes by A leave B’s L1 within VERSION_CHECK_MS of reaching the file (debounceMs: 0)', async () => {
    const { a, b } = pair(0)
    a.set('k', 'v1')
    expect(await b.value({ op: 'get', key: 'k' })).toBe('v1')
    expect(await b.value({ op: 'inL1', key: 'k' })).toBe(true)
    let before = fileVersion(a.path)
    a.set('k', 'v2')
    await answersWithin(b, 'get', 'k', 'v2', a.path, before, VERSION_CHECK_MS)
    expect(await b.value({ op: 'inL1', key: 'k' })).toBe(true)
    before = fileVersion(a.path)
    a.delete('k')
    await answersWithin(b, 'get', 'k', null, a.path, before, VERSION_CHECK_MS)
    expect(await b.value({ op: 'inL1', key: 'k' })).toBe(false)
  })

  it('with a flush delay, B serves the old value until A’s flush, then stops within VERSION_CHECK_MS', async () => {
    const debounceMs = 300
    const { a, b } = pair(debounceMs)
    a.set('k', 'v1')
    a.flush()
    expect(await b.value({ op: 'get', key: 'k' })).toBe('v1')
    const before = fileVersion(a.path)
    const changed = Date.now()
    a.set('k', 'v2')
    const landed = await answersWithin(b, 'get', 'k', 'v2', a.path, before, VERSION_CHECK_MS)
    // Nothing reached B before the flush: the flush delay is part of the bound.
    expect(landed! - changed).toBeGreaterThanOrEqual(debounceMs - 5)
  })

  it('a tag invalidated by A: B’s next call recomputes, though the entry sits in its L1', async () => {
    const { b } = pair(0)
    const first = (await b.value({ op: 'call', key: 'k' })) as { value: string; l1: number }
    expect(first).toEqual({ value: 'k#1', l1: 1 })
    expect(await b.value({ op: 'call', key: 'k' })).toEqual(first)
    await invalidateTags(['tag:other'], { engine: { engine: 'flat-cache', cacheDir } })
    expect(await b.value({ op: 'call', key: 'k' })).toEqual(first)
    await invalidateTags(['tag:k'], { engine: { engine: 'flat-cache', cacheDir } })
    expect(await b.value({ op: 'call', key: 'k' })).toEqual({ value: 'k#2', l1: 1 })
    expect(await b.value({ op: 'call', key: 'k' })).toEqual({ value: 'k#2', l1: 1 })
  })
})

describe('flat-cache without l1, two processes', () => {
  it('a read sees what another process flushed within REFRESH_MS', async () => {
    const { a, b } = pair(0, '-plain')
    a.set('k', 'v1')
    await answersWithin(b, 'plain', 'k', 'v1', a.path, undefined, REFRESH_MS)
    const before = fileVersion(a.path)
    a.set('k', 'v2')
    await answersWithin(b, 'plain', 'k', 'v2', a.path, before, REFRESH_MS)
    const cleared = fileVersion(a.path)
    a.clear()
    await answersWithin(b, 'plain', 'k', null, a.path, cleared, REFRESH_MS)
  })
})
