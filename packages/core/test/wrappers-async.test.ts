import { afterEach, describe, expect, expectTypeOf, it, vi } from 'vitest'
import {
  CacheKeyError,
  acache,
  mcache,
  ucache,
  unregisterEngine,
} from '../src/index.js'
import { captureLogs, registerAsyncMemory, resetLogsAfterEach } from './wrappers-support.js'

resetLogsAfterEach()

/** A run of 5 s cached with a 1 s ttl: fresh until 1 s after it resolved, not 1 s after the call. */
async function expectTtlFromResolution(wrap: (fn: () => Promise<number>) => () => Promise<number>): Promise<void> {
  vi.useFakeTimers()
  let runs = 0
  const f = wrap(async () => {
    runs++
    await new Promise((r) => setTimeout(r, 5000))
    return runs
  })
  const first = f()
  await vi.advanceTimersByTimeAsync(5000)
  expect(await first).toBe(1)
  await vi.advanceTimersByTimeAsync(900)
  expect(await f()).toBe(1) // 5.9 s after the call, 0.9 s after resolution: still fresh
  await vi.advanceTimersByTimeAsync(200)
  const third = f()
  await vi.advanceTimersByTimeAsync(5000)
  expect(await third).toBe(2)
}

describe('async functions', () => {
  it('share one in-flight promise among concurrent callers', async () => {
    let runs = 0
    const slow = acache()(async (id: number) => {
      runs++
      await new Promise((r) => setTimeout(r, 20))
      return { id }
    })
    expectTypeOf(slow).returns.toEqualTypeOf<Promise<{ id: number }>>()
    const results = await Promise.all(Array.from({ length: 100 }, () => slow(7)))
    expect(runs).toBe(1)
    expect(new Set(results).size).toBe(1)
    expect(await slow(7)).toEqual({ id: 7 })
    expect(runs).toBe(1)
  })

  it('never caches a rejection', async () => {
    let runs = 0
    const f = mcache()(async (x: number) => {
      runs++
      if (runs === 1) throw new Error('first call fails')
      return x * 2
    })
    await expect(f(2)).rejects.toThrow('first call fails')
    await expect(f(2)).resolves.toBe(4)
    await expect(f(2)).resolves.toBe(4)
    expect(runs).toBe(2)
  })

  it('counts ttl from resolution, not from the call', () => expectTtlFromResolution((fn) => mcache({ ttl: 1000 })(fn)))

  it('returns hits of promise-returning functions as promises', async () => {
    const f = mcache()((x: number) => Promise.resolve(x + 1))
    await expect(f(1)).resolves.toBe(2)
    const hit = f(1)
    expect(hit).toBeInstanceOf(Promise)
    await expect(hit).resolves.toBe(2)
  })

  it('rejects (does not throw) on unkeyable arguments of an async function', async () => {
    const f = acache()(async (_cb: unknown) => 1)
    const result = f(() => 1)
    expect(result).toBeInstanceOf(Promise)
    await expect(result).rejects.toBeInstanceOf(CacheKeyError)
  })
})

describe('async engines', () => {
  afterEach(() => {
    unregisterEngine('async-memory')
  })

  it('share one run among concurrent callers, then hit', async () => {
    const state = registerAsyncMemory()
    let runs = 0
    const f = acache({ engine: 'async-memory' })(async (x: number) => {
      runs++
      await new Promise((r) => setTimeout(r, 10))
      return { x }
    })
    expect(f.engine.name).toBe('async-memory')
    const results = await Promise.all(Array.from({ length: 50 }, () => f(1)))
    expect(runs).toBe(1)
    // Each caller looks up once (hits never touch the in-flight map); the misses then join
    // the one run.
    expect(state.gets).toBe(50)
    expect(new Set(results).size).toBe(1)
    expect(await f(1)).toBe(results[0])
    expect(runs).toBe(1)
    expect(f.cacheInfo()).toMatchObject({ hits: 50, misses: 1, engine: 'async-memory' })
  })

  it('never cache a rejection, and start a new run after one', async () => {
    registerAsyncMemory()
    let runs = 0
    const f = acache({ engine: 'async-memory' })(async (x: number) => {
      if (++runs === 1) throw new Error('first run fails')
      return x * 2
    })
    await expect(Promise.all([f(2), f(2)])).rejects.toThrow('first run fails')
    expect(runs).toBe(1)
    await expect(f(2)).resolves.toBe(4)
    await expect(f(2)).resolves.toBe(4)
    expect(runs).toBe(2)
  })

  it('reject (not throw) when the engine throws synchronously, and do not stay stuck on it', async () => {
    const state = registerAsyncMemory()
    let runs = 0
    const f = acache({ engine: 'async-memory' })(async (x: number) => {
      runs++
      return x + 1
    })
    state.throwOnGet = true
    const failed = f(1)
    expect(failed).toBeInstanceOf(Promise)
    await expect(failed).rejects.toThrow('get threw synchronously')
    state.throwOnGet = false
    await expect(f(1)).resolves.toBe(2)
    await expect(f(1)).resolves.toBe(2)
    expect(runs).toBe(1)
  })

  it('reject on unkeyable arguments', async () => {
    registerAsyncMemory()
    const f = acache({ engine: 'async-memory' })(async (_cb: unknown) => 1)
    const result = f(() => 1)
    expect(result).toBeInstanceOf(Promise)
    await expect(result).rejects.toBeInstanceOf(CacheKeyError)
  })

  it('under ucache, run uncached while the engine fails, synchronously or not, and resume', async () => {
    const state = registerAsyncMemory()
    const { warnings } = captureLogs()
    let runs = 0
    const f = ucache({ engine: 'async-memory' })(async (x: number) => {
      runs++
      return x * 3
    })
    state.throwOnGet = true
    await expect(f(1)).resolves.toBe(3)
    await expect(f(1)).resolves.toBe(3)
    expect(runs).toBe(2)
    expect(warnings).toHaveLength(1)
    state.throwOnGet = false
    state.rejectAll = true
    await expect(f(2)).resolves.toBe(6)
    expect(warnings).toHaveLength(1)
  })

  it('count ttl from resolution', () => {
    registerAsyncMemory()
    return expectTtlFromResolution((fn) => acache({ engine: 'async-memory', ttl: 1000 })(fn))
  })
})
