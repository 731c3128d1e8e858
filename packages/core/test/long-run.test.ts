import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { acache, bcache, mcache, resetWarnings, setLogger } from '../src/index.js'

/*
 * A long-running server must not grow without bound. Each case measures the heap (after full
 * collections) over N and over 10·N iterations of what a user does: a leak of b bytes per
 * iteration grows by ~9·N·b more over 10·N than over N, while a bounded structure grows by
 * the same amount (its bound) both times. Only the difference is compared, with a wide margin;
 * nothing is timed.
 */

setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void

const nextTask = () => new Promise((resolve) => setTimeout(resolve, 1))

/**
 * Heap in use after full collections, measured in later tasks: WeakRefs keep their targets
 * until the task that made them ends, and FinalizationRegistry callbacks run in a task after
 * the collection that found their targets dead.
 */
async function heapUsed(): Promise<number> {
  await nextTask()
  gc()
  await nextTask()
  for (let i = 0; i < 3; i++) gc()
  return process.memoryUsage().heapUsed
}

/** Heap growth (bytes) over `n` iterations of `step`, after `warm` iterations not counted. */
async function growth(n: number, step: (i: number) => unknown): Promise<number> {
  const before = await heapUsed()
  for (let i = 0; i < n; i++) {
    const r = step(i)
    if (r && typeof (r as PromiseLike<unknown>).then === 'function') await r
  }
  return (await heapUsed()) - before
}

/**
 * The extra growth of 10·n iterations over n, per iteration of the 9·n extra ones. A leak shows
 * its size per iteration (tens of bytes and up); a bounded structure shows ~0.
 */
async function leakPerIteration(n: number, make: () => (i: number) => unknown): Promise<number> {
  await growth(n, make()) // warm-up: code, inline caches, one-time warnings
  let least = Number.POSITIVE_INFINITY
  // The smaller of two measurements: a leak shows in both, a one-off allocation (compiled
  // code, a structure reaching its bound) in one at most.
  for (let attempt = 0; attempt < 2 && least >= BOUND; attempt++) {
    const small = await growth(n, make())
    const large = await growth(10 * n, make())
    least = Math.min(least, (large - small) / (9 * n))
  }
  return least
}

/** Allowed growth per extra iteration: below any real per-iteration leak (a WeakRef in a Set is ~60 bytes). */
const BOUND = 16

const silent = { debug() {}, info() {}, warn() {}, error() {} }
beforeEach(() => setLogger(silent, 'warn'))
afterEach(() => {
  setLogger(console, 'warn')
  resetWarnings()
})

let unique = 0
const id = () => `${unique++}`

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
