import { describe, expect, expectTypeOf, it, vi } from 'vitest'
import {
  type Cached,
  mcache,
} from '../src/index.js'
import { resetLogsAfterEach } from './wrappers-support.js'

resetLogsAfterEach()

describe('mcache on sync functions', () => {
  it('keeps the function sync and its types, and counts hits and misses', () => {
    let runs = 0
    const area = mcache({ maxsize: 10 })(function computeArea(w: number, h: number) {
      runs++
      return w * h
    })
    expectTypeOf(area).parameters.toEqualTypeOf<[number, number]>()
    expectTypeOf(area).returns.toEqualTypeOf<number>()
    expectTypeOf(area).toMatchTypeOf<Cached<(w: number, h: number) => number>>()
    expect(area(2, 3)).toBe(6)
    expect(area(2, 3)).toBe(6)
    expect(area(3, 2)).toBe(6)
    expect(runs).toBe(2)
    expect(area.cacheInfo()).toMatchObject({ hits: 1, misses: 2, size: 2, maxsize: 10, engine: 'memory' })
    expect(area.name).toBe('computeArea')
    expect(area.length).toBe(2)
  })

  it('caches falsy results as hits', () => {
    for (const value of [undefined, null, 0, '', false, Number.NaN]) {
      let runs = 0
      const f = mcache()((_: string) => {
        runs++
        return value
      })
      expect(f('x')).toStrictEqual(value)
      expect(f('x')).toStrictEqual(value)
      expect(runs).toBe(1)
    }
  })

  it('propagates thrown errors unchanged and does not cache them', () => {
    let runs = 0
    const boom = new RangeError('boom')
    const f = mcache()((fail: boolean) => {
      runs++
      if (fail && runs === 1) throw boom
      return runs
    })
    expect(() => f(true)).toThrow(boom)
    expect(f(true)).toBe(2)
    expect(f(true)).toBe(2)
  })

  it('keys by value: object key order does not matter, types do', () => {
    let runs = 0
    const f = mcache()((v: unknown) => ++runs)
    expect(f({ a: 1, b: 2 })).toBe(1)
    expect(f({ b: 2, a: 1 })).toBe(1)
    expect(f(1)).toBe(2)
    expect(f('1')).toBe(3)
    expect(f(1n)).toBe(4)
  })

  it('cacheDelete and cacheClear remove entries', async () => {
    let runs = 0
    const f = mcache()((n: number) => n + ++runs * 0)
    f(1)
    f(2)
    expect(await f.cacheDelete(1)).toBe(true)
    expect(await f.cacheDelete(1)).toBe(false)
    f(1)
    expect(runs).toBe(3)
    await f.cacheClear()
    expect(f.cacheInfo().size).toBe(0)
    f(2)
    expect(runs).toBe(4)
  })

  it('honours maxsize with the chosen policy', () => {
    const f = mcache({ maxsize: 2, policy: 'fifo' })((n: number) => n)
    f(1)
    f(2)
    f(1)
    f(3) // FIFO evicts 1 even though it was just read
    expect(f.cacheInfo().size).toBe(2)
    const before = f.cacheInfo().misses
    f(1)
    expect(f.cacheInfo().misses).toBe(before + 1)
  })

  it('expires entries after ttl (duration string)', () => {
    vi.useFakeTimers()
    let runs = 0
    const f = mcache({ ttl: '1s' })(() => ++runs)
    f()
    vi.advanceTimersByTime(999)
    expect(f()).toBe(1)
    vi.advanceTimersByTime(2)
    expect(f()).toBe(2)
  })

  it('uses a custom key builder, which also makes unkeyable arguments cacheable', () => {
    let runs = 0
    const f = mcache({ key: (cb: () => number) => cb.name })((cb: () => number) => cb() + ++runs * 0)
    function one() {
      return 1
    }
    expect(f(one)).toBe(1)
    expect(f(one)).toBe(1)
    expect(runs).toBe(1)
  })
})
