import fc from 'fast-check'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { describe, expect, it } from 'vitest'
import { createCacheConfig } from '../src/config.js'
import { ConfigurationError } from '../src/errors.js'
import { MEMORY_CAPABILITIES, createMemoryEngine } from '../src/memory/engine.js'
import { estimateHeapSize } from '../src/memory/heap-size.js'
import { getEngine } from '../src/registry.js'
import { MISS } from '../src/types.js'

/** Size the engine charges for an entry: the estimate of its key plus that of its value. */
const entry = (key: string, value: unknown) => estimateHeapSize(key) + estimateHeapSize(value)

describe('estimateHeapSize', () => {
  it('follows the documented model', () => {
    expect(estimateHeapSize('abcd')).toBe(16 + 8)
    expect(estimateHeapSize(42)).toBe(8)
    expect(estimateHeapSize(null)).toBe(8)
    expect(estimateHeapSize(123n)).toBe(16 + 6)
    expect(estimateHeapSize([1, 2])).toBe(32 + 2 * (8 + 8))
    expect(estimateHeapSize({ a: 1 })).toBe(32 + 8 + (16 + 2) + 8 + 8)
    expect(estimateHeapSize(new Uint8Array(1000))).toBe(32 + 1000)
    expect(estimateHeapSize(new ArrayBuffer(64))).toBe(32 + 64)
    expect(estimateHeapSize(new Set(['x'.repeat(500)]))).toBe(32 + 8 + 16 + 1000)
    // A Map entry counts as a [key, value] pair.
    expect(estimateHeapSize(new Map([['k', 1]]))).toBe(32 + 8 + 32 + 2 * 8 + (16 + 2) + 8)
  })

  it('terminates on cycles and counts a shared object once', () => {
    const node: Record<string, unknown> = { payload: 'p'.repeat(1000) }
    node.self = node
    expect(estimateHeapSize(node)).toBeLessThan(2300)
    const shared = { blob: new Uint8Array(5000) }
    expect(estimateHeapSize([shared, shared, shared])).toBeLessThan(estimateHeapSize([shared]) + 100)
  })

  it('walks deep and wide values without overflowing the stack', () => {
    let deep: unknown = 0
    for (let i = 0; i < 100_000; i++) deep = [deep]
    expect(estimateHeapSize(deep)).toBeGreaterThan(100_000 * 40)
    expect(estimateHeapSize(Array.from({ length: 300_000 }, () => 1))).toBe(32 + 300_000 * 16)
  })
})

describe('memory engine: maxBytes', () => {
  it('declares the capability, and the registered engine honours a config with maxBytes', () => {
    expect(MEMORY_CAPABILITIES.maxBytes).toBe(true)
    const engine = getEngine('memory')!.create({ ...createCacheConfig({ maxBytes: 2 * entry('a', 'x'.repeat(100)) }), namespace: 'n' })
    for (const k of ['a', 'b', 'c']) engine.set(k, 'x'.repeat(100))
    expect([engine.get('a'), engine.get('b') !== MISS, engine.get('c') !== MISS]).toEqual([MISS, true, true])
  })

  it('evicts by policy until a new entry fits, and counts those evictions', () => {
    const size = entry('a', 'x'.repeat(50))
    const engine = createMemoryEngine({ maxBytes: 3 * size, policy: 'lru' })
    for (const k of ['a', 'b', 'c']) engine.set(k, 'x'.repeat(50))
    engine.get('a') // b is now least recently used
    engine.set('d', 'x'.repeat(50))
    expect(engine.keys().sort()).toEqual(['a', 'c', 'd'])
    // One entry twice as big needs two evictions: c, then a.
    engine.set('e', 'x'.repeat(50 + size / 2))
    expect(engine.keys().sort()).toEqual(['d', 'e'])
    expect(engine.stats().evictions).toBe(3)
  })

  it('does not store an entry larger than the bound alone, and drops the value it would replace', () => {
    const engine = createMemoryEngine({ maxBytes: 200 })
    engine.set('k', 'small')
    engine.set('other', 1)
    engine.set('k', 'x'.repeat(200))
    expect(engine.get('k')).toBe(MISS)
    expect(engine.get('other')).toBe(1)
    expect(engine.stats().evictions).toBe(0)
  })

  it('a bigger value for a stored key evicts others, never that key, under every policy', () => {
    for (const policy of MEMORY_CAPABILITIES.policies) {
      const small = entry('a', 1)
      const engine = createMemoryEngine({ maxBytes: 4 * small, policy, random: () => 0 })
      for (const k of ['a', 'b', 'c']) engine.set(k, 1)
      for (const k of ['b', 'c']) engine.get(k) // under lfu, a is now the least used
      engine.set('a', 'y'.repeat(small)) // about three entries' worth
      expect(engine.get('a'), policy).toBe('y'.repeat(small))
      expect(engine.size(), policy).toBeLessThan(3)
    }
  })

  it('rejects a maxBytes below 1', () => {
    expect(() => createMemoryEngine({ maxBytes: 0 })).toThrow(ConfigurationError)
    expect(() => createMemoryEngine({ maxBytes: Number.NaN })).toThrow(/maxBytes must be a number ≥ 1, got NaN/)
  })

  it('lists every bad option in one error', () => {
    expect(() => createMemoryEngine({ maxsize: 0, ttl: -1 })).toThrow(/maxsize must be .* got 0; ttl must be .* got -1/)
  })
})

describe('memory engine: expiry without full scans', () => {
  function expiredCache(entries: number) {
    const clock = { t: 0 }
    const engine = createMemoryEngine({ maxsize: Number.POSITIVE_INFINITY, now: () => clock.t })
    for (let i = 0; i < entries; i++) engine.set(`k${i}`, i, { ttl: 10 })
    engine.set('kept', 'v')
    clock.t = 10
    return engine
  }

  it('size() and stats() reclaim a bounded number of expired entries per call', () => {
    const engine = expiredCache(1000)
    const first = engine.size()
    expect(first).toBeGreaterThanOrEqual(1001 - 64)
    expect(first).toBeLessThan(1001)
    const second = engine.stats().size
    expect(second).toBeGreaterThanOrEqual(first - 64)
    expect(second).toBeLessThan(first)
    let calls = 2
    while (engine.size() > 1) calls++
    expect(calls).toBeLessThanOrEqual(Math.ceil(1000 / 60) + 1)
    expect(engine.get('kept')).toBe('v')
  })

  it('get, has and keys() never return an expired entry, and keys() reclaims them all', () => {
    const engine = expiredCache(500)
    expect(engine.get('k7')).toBe(MISS)
    expect(engine.has('k8')).toBe(false)
    expect(engine.keys()).toEqual(['kept'])
    expect(engine.size()).toBe(1)
  })

  it('each new key reclaims a few expired entries, so dead entries go even if nothing reads them', () => {
    const engine = expiredCache(100)
    for (let i = 0; i < 60; i++) engine.set(`new${i}`, i)
    // 100 expired + kept + 60 new; size() alone reclaims at most 64, so the sets reclaimed the rest.
    expect(engine.size()).toBeLessThan(161 - 64)
    for (let i = 60; i < 300; i++) engine.set(`new${i}`, i)
    expect(engine.size()).toBe(301)
    expect(engine.stats().evictions).toBe(0)
  })
})

describe('memory engine: expiry work is bounded with 100,000 entries', () => {
  it('size() and stats() examine a bounded number of slots per call and read the clock at most once', () => {
    const clock = { t: 0, reads: 0 }
    const engine = createMemoryEngine({ maxsize: Number.POSITIVE_INFINITY, now: () => (clock.reads++, clock.t) })
    const total = 100_000
    for (let i = 1; i < total; i++) engine.set(`k${i}`, i, { ttl: 1000 })
    engine.set('last', 0, { ttl: 10 }) // the last slot
    engine.keys() // a full pass: the next sweep starts over at the first slot
    clock.t = 10 // only 'last' has expired
    clock.reads = 0
    // A full scan finds 'last' in the first call; a bounded sweep reaches it only after walking
    // every slot before it, some per call: the count of calls measures the slots each examines.
    let calls = 0
    while ((calls % 2 === 0 ? engine.size() : engine.stats().size) === total) calls++
    calls++
    expect(clock.reads).toBeLessThanOrEqual(calls)
    expect(calls).toBeGreaterThanOrEqual(total / 100) // ≤ 100 slots per call
    expect(calls).toBeLessThanOrEqual(Math.ceil(total / 64)) // ≥ 64 slots per call: bounded steps reclaim it
    expect(engine.size()).toBe(total - 1)
    expect(engine.get('last')).toBe(MISS)
  })
})

describe('memory engine: expired entries are not evictions, nor kept on overwrite', () => {
  it('an expired entry the policy picks as the victim is reclaimed, not counted as an eviction', () => {
    for (const policy of ['lru', 'fifo', 'lfu'] as const) {
      const clock = { t: 0 }
      const engine = createMemoryEngine({ maxsize: 200, policy, now: () => clock.t })
      engine.set('old', 0, { ttl: 10 }) // the oldest, least used: every policy's first victim
      for (let i = 1; i < 200; i++) engine.set(`k${i}`, i)
      for (let i = 1; i < 200; i++) engine.get(`k${i}`)
      clock.t = 10
      engine.set('new', 1)
      expect(engine.stats(), policy).toMatchObject({ evictions: 0, size: 200 })
      engine.set('newer', 2) // now full of live entries: one real eviction
      expect(engine.stats().evictions, policy).toBe(1)
    }
  })

  it('an expired entry under maxBytes is reclaimed, not counted as an eviction', () => {
    const clock = { t: 0 }
    const size = entry('a', 1)
    const engine = createMemoryEngine({ maxBytes: 100 * size, maxsize: 1000, now: () => clock.t })
    engine.set('a', 1, { ttl: 10 })
    for (let i = 0; i < 60; i++) engine.set(`b${i}`, 1)
    clock.t = 10
    engine.set('big', 'x'.repeat(20 * size)) // needs room: 'a' (expired) goes first, then live ones
    expect(engine.get('a')).toBe(MISS)
    const { evictions, size: n } = engine.stats()
    expect(n + evictions).toBe(61) // big + the 60 b's, less those evicted; 'a' is not among them
  })

  it('lfu: a key written again after it expired starts over at one use', () => {
    const clock = { t: 0 }
    const engine = createMemoryEngine({ maxsize: 2, policy: 'lfu', now: () => clock.t })
    engine.set('a', 1, { ttl: 10 })
    for (let i = 0; i < 5; i++) engine.get('a')
    clock.t = 20
    engine.set('a', 2) // a new entry: its old uses died with it
    engine.set('b', 1)
    engine.get('b') // b: two uses, a: one
    engine.set('c', 1)
    expect(engine.keys().sort()).toEqual(['b', 'c'])
  })
})

describe('memory engine: maxBytes accounting', () => {
  type Op = { op: 'set'; key: string; len: number; ttl?: number } | { op: 'get' | 'delete'; key: string } | { op: 'tick' }
  const key = fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f')
  const op: fc.Arbitrary<Op> = fc.oneof(
    fc.record({ op: fc.constant('set' as const), key, len: fc.integer({ min: 0, max: 120 }) }),
    fc.record({ op: fc.constant('set' as const), key, len: fc.integer({ min: 0, max: 120 }), ttl: fc.integer({ min: -1, max: 3 }) }),
    fc.record({ op: fc.constantFrom('get' as const, 'delete' as const), key }),
    fc.record({ op: fc.constant('tick' as const) }),
  )

  it('the stored entries never pass the bound, and the bound is whole again once they are gone', () => {
    fc.assert(
      fc.property(fc.constantFrom(...MEMORY_CAPABILITIES.policies), fc.integer({ min: 1, max: 6 }), fc.array(op, { maxLength: 60 }), (policy, maxsize, ops) => {
        const clock = { t: 0 }
        const maxBytes = 300
        const engine = createMemoryEngine({ maxBytes, maxsize, policy, now: () => clock.t, random: () => 0.5 })
        const values = new Map<string, string>()
        for (const o of ops) {
          if (o.op === 'tick') clock.t++
          else if (o.op === 'set') {
            const value = 'v'.repeat(o.len)
            engine.set(o.key, value, o.ttl === undefined ? undefined : { ttl: o.ttl })
            values.set(o.key, value)
          } else if (o.op === 'get') engine.get(o.key)
          else engine.delete(o.key)
          const stored = engine.keys()
          const bytes = stored.reduce((sum, k) => sum + entry(k, values.get(k)), 0)
          expect(bytes).toBeLessThanOrEqual(maxBytes)
          expect(stored.length).toBeLessThanOrEqual(maxsize)
        }
        // Expired and deleted entries gave their bytes back: one entry of exactly the bound fits.
        clock.t += 10
        for (const k of engine.keys()) engine.delete(k)
        const evictions = engine.stats().evictions
        const whole = 'w'.repeat((maxBytes - entry('z', '')) / 2)
        expect(entry('z', whole)).toBe(maxBytes)
        engine.set('z', whole)
        expect(engine.get('z')).toBe(whole)
        expect(engine.stats().evictions).toBe(evictions)
      }),
      { numRuns: 500 },
    )
  })
})

describe('memory engine: typed arrays follow the entries', () => {
  /** ArrayBuffer bytes held after a full GC (gc() made callable at run time, as --expose-gc does). */
  function arrayBufferBytes(): number {
    setFlagsFromString('--expose-gc')
    const gc = runInNewContext('gc') as () => void
    // Twice: a typed array's backing store is released after the collection that finds it dead.
    gc()
    gc()
    return process.memoryUsage().arrayBuffers
  }

  it('shrink after most entries are deleted or expire, and grow again', () => {
    const clock = { t: 0 }
    // lfu with maxBytes and ttls: every typed array exists (links, counts, expiry, sizes).
    const engine = createMemoryEngine({ maxsize: Number.POSITIVE_INFINITY, maxBytes: 1e12, policy: 'lfu', now: () => clock.t })
    const count = 200_000
    const before = arrayBufferBytes()
    for (let i = 0; i < count; i++) engine.set(`k${i}`, i, { ttl: i < count / 2 ? 10 : 1000 })
    const full = arrayBufferBytes() - before
    expect(full).toBeGreaterThan(count * 28) // 4 + 4 + 4 + 8 + 8 bytes per slot
    for (let i = count / 2; i < count - 100; i++) engine.delete(`k${i}`)
    clock.t = 10
    expect(engine.keys()).toHaveLength(100) // reclaims the expired half
    expect(arrayBufferBytes() - before).toBeLessThan(full / 100)
    for (let i = 0; i < 100; i++) expect(engine.get(`k${count - 1 - i}`)).toBe(count - 1 - i)
    for (let i = 0; i < count; i++) engine.set(`again${i}`, i)
    expect(engine.size()).toBe(count + 100)
    expect(engine.get('again7')).toBe(7)
  })

  it('keep the policy order across a shrink', () => {
    for (const policy of ['lru', 'fifo', 'lfu'] as const) {
      const engine = createMemoryEngine({ maxsize: 5000, policy })
      for (let i = 0; i < 5000; i++) engine.set(`k${i}`, i)
      for (let i = 0; i < 4900; i++) engine.delete(`k${i + 50}`) // keeps k0..k49 and k4950..k4999
      for (let i = 0; i < 50; i++) engine.get(`k${i}`) // under lru and lfu, k4950.. are now the victims
      for (let i = 0; i < 4901; i++) engine.set(`new${i}`, i)
      const gone = policy === 'fifo' ? 'k0' : 'k4950'
      expect(engine.has(gone), policy).toBe(false)
      expect(engine.size(), policy).toBe(5000)
      expect(engine.stats().evictions, policy).toBe(1)
    }
  })
})
