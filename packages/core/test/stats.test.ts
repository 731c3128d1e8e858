import '@twat-cache/sqlite'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { acache, bcache, clearCache, getStats, mcache, unregisterEngine } from '../src/index.js'
import { registerAsyncMemory, resetLogsAfterEach } from './wrappers-support.js'

resetLogsAfterEach()
const cacheDir = mkdtempSync(join(tmpdir(), 'twat-core-stats-'))
afterAll(() => rmSync(cacheDir, { recursive: true, force: true }))

describe('process-wide stats', () => {
  it('getStats lists every cached function and clearCache clears by name', async () => {
    const probe = mcache()(function statsProbe(x: number) {
      return x
    })
    probe(1)
    probe(1)
    const entry = getStats().functions.find((s) => s.name === 'statsProbe')
    expect(entry).toMatchObject({ hits: 1, misses: 1, size: 1, engine: 'memory' })
    expect(entry?.namespace).toMatch(/^statsProbe-[0-9a-f]+/)
    await clearCache('statsProbe')
    expect(probe.cacheInfo().size).toBe(0)
  })

  it('getStats(name) filters by function name or namespace and sums the totals', () => {
    const a = mcache()(function totalsA(x: number) {
      return x
    })
    const b = mcache({ namespace: 'totals-ns' })(function totalsB(x: number) {
      return x
    })
    a(1)
    a(1)
    a(2)
    b(1)
    expect(getStats('totalsA')).toEqual({
      functions: [expect.objectContaining({ name: 'totalsA', hits: 1, misses: 2, size: 2 })],
      totals: { hits: 1, misses: 2, stale: 0, refreshes: 0, errors: 0, size: 2 },
    })
    expect(getStats('totals-ns').functions.map((f) => f.name)).toEqual(['totalsB'])
    expect(getStats('no-such-function')).toEqual({ functions: [], totals: { hits: 0, misses: 0, stale: 0, refreshes: 0, errors: 0, size: 0 } })
    const all = getStats()
    expect(all.totals.hits).toBe(all.functions.reduce((n, f) => n + f.hits, 0))
  })
})

describe('a cached function whose engine was closed', () => {
  afterEach(() => {
    unregisterEngine('async-memory')
  })

  it('is reported closed by getStats and cacheInfo, and skipped then forgotten by clearCache (real sqlite)', async () => {
    const onDisk = bcache({ cacheDir, folderName: 'closed' })(function closedProbe(x: number) {
      return x * 2
    })
    const inMemory = mcache()(function liveProbe(x: number) {
      return x
    })
    expect(onDisk.engine.name).toBe('sqlite')
    onDisk(1)
    inMemory(1)
    onDisk.engine.close()
    expect(onDisk.cacheInfo()).toMatchObject({ closed: true, size: 0, misses: 1, engine: 'sqlite' })
    expect(getStats('closedProbe').functions).toEqual([expect.objectContaining({ name: 'closedProbe', closed: true, size: 0 })])
    await expect(clearCache()).resolves.toBeUndefined()
    expect(inMemory.cacheInfo().size).toBe(0)
    expect(getStats('closedProbe').functions).toEqual([])
  })

  it('clearCache clears every other function, then rejects with one AggregateError naming those that failed', async () => {
    const state = registerAsyncMemory()
    const failing = acache({ engine: 'async-memory' })(async function failingProbe(x: number) {
      return x
    })
    const healthy = mcache()(function healthyProbe(x: number) {
      return x
    })
    await failing(1)
    healthy(1)
    state.rejectAll = true
    const error = await clearCache().then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(error).toBeInstanceOf(AggregateError)
    expect((error as AggregateError).message).toContain("'failingProbe'")
    expect((error as AggregateError).errors.map((e: Error) => e.message)).toEqual(['store down'])
    expect(healthy.cacheInfo().size).toBe(0)
    // A failing engine is not a closed one: it stays listed.
    expect(getStats('failingProbe').functions).toHaveLength(1)
  })
})
