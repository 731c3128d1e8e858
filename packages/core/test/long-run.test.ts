import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { acache, bcache, createTagRegistry, mcache, resetWarnings, setLogger } from '../src/index.js'
import { BOUND, leakPerIteration } from './fixtures/heap.js'

// A long-running server must not grow without bound: see fixtures/heap.ts for the method.

const silent = { debug() {}, info() {}, warn() {}, error() {} }
beforeEach(() => setLogger(silent, 'warn'))
afterEach(() => {
  setLogger(console, 'warn')
  resetWarnings()
})

let unique = 0
const id = () => `${unique++}`

describe('the method', () => {
  it('sees a leak of one small object per iteration (what a forgotten WeakRef in a Set costs)', async () => {
    const kept: object[] = []
    const leak = await leakPerIteration(1500, () => (i) => kept.push({ i }))
    expect(leak).toBeGreaterThan(BOUND)
  })
})

describe('a cached function created per request (the anti-pattern), dropped after one call', () => {
  it('mcache: memory returns after gc', async () => {
    const leak = await leakPerIteration(1500, () => {
      const base = id()
      return (i) => mcache()((x: number) => x + 1)(i + Number(base))
    })
    expect(leak).toBeLessThan(BOUND)
  })

  it('acache: memory returns after gc', async () => {
    const leak = await leakPerIteration(1500, () => (i) => acache()(async (x: number) => x + 1)(i))
    expect(leak).toBeLessThan(BOUND)
  })

  it('bcache (memory chain here): memory returns after gc', async () => {
    const leak = await leakPerIteration(1500, () => (i) => bcache()((x: number) => x + 1)(i))
    expect(leak).toBeLessThan(BOUND)
  })
})

describe('warnings built from user data stay bounded', () => {
  it('a tags function failing with a different message per value: the heap returns after gc', async () => {
    const leak = await leakPerIteration(2000, () => {
      const f = mcache({ tags: (value: number) => { throw new Error(`no tags for value ${value} of this request`) } })((x: number) => x)
      return (i) => f(i)
    })
    expect(leak).toBeLessThan(BOUND)
  })

  it('a ttl function with a bad answer per value warns at most ten distinct times, then says so', () => {
    const warnings: string[] = []
    setLogger({ ...silent, warn: (m: string) => warnings.push(m) }, 'warn')
    const f = mcache({ ttl: (value: number) => `${value} parsecs` as never })((x: number) => x)
    for (let i = 0; i < 100; i++) expect(f(i)).toBe(i)
    expect(f.cacheInfo().errors).toBe(100)
    expect(warnings).toHaveLength(11)
    expect(warnings[10]).toContain('further such warnings')
  })

  it('timeout without staleIfError on a function wrapped per request warns once', async () => {
    const warnings: string[] = []
    setLogger({ ...silent, warn: (m: string) => warnings.push(m) }, 'warn')
    for (let i = 0; i < 50; i++) await acache({ ttl: 1000, timeout: 10 })(async function load(x: number) { return x })(i)
    expect(warnings.filter((w) => w.includes('timeout only applies'))).toHaveLength(1)
  })
})

describe('one cached function under churn: distinct keys, maxsize 1000', () => {
  const sink = (_: unknown) => {}
  it('plain, and with ttl + staleWhileRevalidate: bounded by maxsize', async () => {
    const plain = mcache({ maxsize: 1000 })((x: number) => x)
    expect(await leakPerIteration(20_000, () => (i) => plain(i + 1e9 * Math.random()))).toBeLessThan(BOUND)
    const swr = mcache({ maxsize: 1000, ttl: 60_000, staleWhileRevalidate: 60_000 })((x: number) => x)
    expect(await leakPerIteration(20_000, () => (i) => swr(i + 1e9 * Math.random()))).toBeLessThan(BOUND)
  })

  it('a tags function giving every value new tags: bounded', async () => {
    const f = mcache({ maxsize: 1000, ttl: 60_000, tags: (v: number) => [`item:${v}`] })((x: number) => x)
    expect(await leakPerIteration(20_000, () => (i) => f(i + 1e9 * Math.random()))).toBeLessThan(BOUND)
  })

  it('async runs that reject, and runs with a hardTimeout: nothing kept, no timer left', async () => {
    const failing = acache({ maxsize: 1000 })(async (x: number) => Promise.reject(new Error(`bad ${x}`)))
    expect(await leakPerIteration(5000, () => (i) => failing(i).catch(sink))).toBeLessThan(BOUND)
    const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length
    const before = timers()
    const bounded = acache({ maxsize: 1000, hardTimeout: 60_000 })(async (x: number) => x)
    expect(await leakPerIteration(5000, () => (i) => bounded(i + 1e9 * Math.random()))).toBeLessThan(BOUND)
    expect(timers()).toBeLessThanOrEqual(before)
  })

  it('cacheDelete and cacheClear while runs are in flight: nothing kept', async () => {
    const f = acache({ maxsize: 1000, ttl: 60_000, staleWhileRevalidate: 60_000 })(async (x: number) => {
      await null
      return x
    })
    const leak = await leakPerIteration(5000, () => async (i) => {
      const key = i + 1e9 * Math.random()
      const pending = f(key)
      const deleted = f.cacheDelete(key)
      if (i % 100 === 0) await f.cacheClear()
      await Promise.all([pending, deleted])
    })
    expect(leak).toBeLessThan(BOUND)
  })
})

describe('the tag registry under ever-new tags', () => {
  it('drops records once the longest tagged lifetime has passed (ARCHITECTURE §13)', () => {
    let now = 1_000_000
    const registry = createTagRegistry(() => now)
    registry.keepTags(1000)
    for (let i = 0; i < 100_000; i++) {
      registry.markTags([`user:${i}`], 'invalidate', now)
      now += 1
    }
    // Marks of the last 1000 ms are kept, older ones dropped (a sweep waits until the live ones double).
    expect(registry.size).toBeLessThanOrEqual(2048)
  })
})
