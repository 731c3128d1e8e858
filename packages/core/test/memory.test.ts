import { describe, expect, it, vi } from 'vitest'
import { DEFAULT_MAXSIZE, createCacheConfig } from '../src/config.js'
import { ConfigurationError, EngineClosedError } from '../src/errors.js'
import { MEMORY_CAPABILITIES, type MemoryEngineOptions, createMemoryEngine } from '../src/memory/engine.js'
import { getEngine } from '../src/registry.js'
import { MISS } from '../src/types.js'

/** Keys still present, read with has() so inspecting does not count as a use. */
function present(engine: ReturnType<typeof createMemoryEngine>, keys: string[]): string[] {
  return keys.filter((k) => engine.has(k))
}

/** A clock the test moves by hand, counting reads. */
function manualClock(start = 0) {
  const clock = { t: start, reads: 0, now: () => (clock.reads++, clock.t) }
  return clock
}

describe('memory engine: options', () => {
  it('defaults to maxsize 1000 (the config default) and lru', () => {
    const engine = createMemoryEngine()
    expect(engine.stats().maxsize).toBe(DEFAULT_MAXSIZE)
    for (let i = 0; i <= DEFAULT_MAXSIZE; i++) engine.set(String(i), i)
    expect(engine.size()).toBe(DEFAULT_MAXSIZE)
    expect(engine.has('0')).toBe(false)
  })

  it('accepts an EngineConfig, and the registered definition makes the same engine', () => {
    const config = { ...createCacheConfig({ maxsize: 2, policy: 'fifo', ttl: '1m' }), namespace: 'ns' }
    const definition = getEngine('memory')!
    expect(definition.capabilities).toBe(MEMORY_CAPABILITIES)
    const engine = definition.create(config)
    expect(engine.capabilities).toBe(MEMORY_CAPABILITIES)
    engine.set('a', 1)
    engine.set('b', 2)
    engine.get('a')
    engine.set('c', 3)
    expect(engine.get('a')).toBe(MISS)
    expect(engine.get('c')).toBe(3)
  })

  it('allows an unbounded cache with maxsize Infinity', () => {
    const engine = createMemoryEngine({ maxsize: Number.POSITIVE_INFINITY })
    for (let i = 0; i < 5000; i++) engine.set(String(i), i)
    expect(engine.size()).toBe(5000)
  })

  it.each([0, -1, 1.5, Number.NaN])('rejects maxsize %s with a ConfigurationError', (maxsize) => {
    expect(() => createMemoryEngine({ maxsize })).toThrow(ConfigurationError)
  })

  it.each([0, -5, Number.NaN])('rejects a default ttl of %s', (ttl) => {
    expect(() => createMemoryEngine({ ttl })).toThrow(/ttl must be a positive number/)
  })

  it('rejects an unknown policy', () => {
    expect(() => createMemoryEngine({ policy: 'mru' as MemoryEngineOptions['policy'] })).toThrow(/unknown policy 'mru'/)
  })
})

describe('memory engine: eviction order', () => {
  it('lru evicts in order of last use; reads and overwrites count, has() does not', () => {
    const engine = createMemoryEngine({ maxsize: 3, policy: 'lru' })
    const all = ['a', 'b', 'c', 'd', 'e', 'f']
    engine.set('a', 1)
    engine.set('b', 2)
    engine.set('c', 3)
    engine.get('a') // recency: b c a
    engine.has('b') // no effect
    engine.set('d', 4) // evicts b → c a d
    expect(present(engine, all)).toEqual(['a', 'c', 'd'])
    engine.set('c', 30) // overwrite → a d c
    engine.set('e', 5) // evicts a → d c e
    expect(present(engine, all)).toEqual(['c', 'd', 'e'])
    engine.get('d') // c e d
    engine.set('f', 6) // evicts c
    expect(present(engine, all)).toEqual(['d', 'e', 'f'])
    expect(engine.stats().evictions).toBe(3)
  })

  it('fifo evicts in insertion order; reads do not count, an overwrite re-queues', () => {
    const engine = createMemoryEngine({ maxsize: 3, policy: 'fifo' })
    const all = ['a', 'b', 'c', 'd', 'e']
    for (const k of ['a', 'b', 'c']) engine.set(k, k)
    engine.get('a')
    engine.get('a')
    engine.set('d', 'd') // evicts a despite the reads → b c d
    expect(present(engine, all)).toEqual(['b', 'c', 'd'])
    engine.set('b', 'B') // overwrite re-queues b → c d b
    engine.set('e', 'e') // evicts c
    expect(present(engine, all)).toEqual(['b', 'd', 'e'])
    expect(engine.get('b')).toBe('B')
  })

  it('lfu evicts the least used, and the oldest among equally used', () => {
    const engine = createMemoryEngine({ maxsize: 3, policy: 'lfu' })
    const all = ['a', 'b', 'c', 'd', 'e', 'f']
    for (const k of ['a', 'b', 'c']) engine.set(k, k) // uses: a1 b1 c1
    engine.set('d', 'd') // all tied at 1: the oldest (a) goes
    expect(present(engine, all)).toEqual(['b', 'c', 'd'])
    engine.get('b')
    engine.get('b') // b3
    engine.get('c') // c2
    engine.set('e', 'e') // d is the only one at 1
    expect(present(engine, all)).toEqual(['b', 'c', 'e'])
    engine.get('e') // e2, reached 2 after c did
    engine.set('f', 'f') // c and e tied at 2: c reached it first
    expect(present(engine, all)).toEqual(['b', 'e', 'f'])
    engine.set('f', 'F') // an overwrite is a use: f2
    engine.get('f') // f3
    engine.set('a', 'a') // e is now least used
    expect(present(engine, all)).toEqual(['a', 'b', 'f'])
  })

  it('rr evicts the slot the random source picks; the new entry takes that slot', () => {
    const draws = [0, 0.99, 0.5, 0]
    const engine = createMemoryEngine({ maxsize: 3, policy: 'rr', random: () => draws.shift() ?? 0 })
    const all = ['a', 'b', 'c', 'd', 'e', 'f', 'g']
    for (const k of ['a', 'b', 'c']) engine.set(k, k) // slots [a b c]
    engine.set('d', 'd') // draw 0 → slot 1 (a) → [d b c]
    expect(present(engine, all)).toEqual(['b', 'c', 'd'])
    engine.set('e', 'e') // draw 0.99 → slot 3 (c) → [d b e]
    expect(present(engine, all)).toEqual(['b', 'd', 'e'])
    engine.delete('d') // the last slot fills the hole, so slots stay dense → [e b]
    engine.set('f', 'f') // room: appended, no draw → [e b f]
    engine.set('g', 'g') // draw 0.5 → slot 2 (b) → [e g f]
    expect(present(engine, all)).toEqual(['e', 'f', 'g'])
    expect(draws).toEqual([0])
  })

  it('rr clamps a random source that returns exactly 1', () => {
    const engine = createMemoryEngine({ maxsize: 2, policy: 'rr', random: () => 1 })
    engine.set('a', 1)
    engine.set('b', 2)
    engine.set('c', 3)
    expect(present(engine, ['a', 'b', 'c'])).toEqual(['a', 'c'])
  })

  it('deleting entries frees room, so nothing is evicted', () => {
    for (const policy of MEMORY_CAPABILITIES.policies) {
      const engine = createMemoryEngine({ maxsize: 2, policy })
      engine.set('a', 1)
      engine.set('b', 2)
      engine.get('b')
      expect(engine.delete('a')).toBe(true)
      engine.set('c', 3)
      expect(present(engine, ['a', 'b', 'c']), policy).toEqual(['b', 'c'])
      expect(engine.stats().evictions, policy).toBe(0)
    }
  })
})

describe('memory engine: ttl with an injected clock', () => {
  it('an entry is live until exactly its ttl, then a miss', () => {
    const clock = manualClock(1000)
    const engine = createMemoryEngine({ ttl: 100, now: clock.now })
    engine.set('k', 'v')
    clock.t = 1099
    expect(engine.get('k')).toBe('v')
    clock.t = 1100
    expect(engine.get('k')).toBe(MISS)
    expect(engine.stats()).toMatchObject({ hits: 1, misses: 1, size: 0 })
  })

  it('per-call ttl overrides the default either way; Infinity means never', () => {
    const clock = manualClock()
    const engine = createMemoryEngine({ ttl: 100, now: clock.now })
    engine.set('short', 1, { ttl: 10 })
    engine.set('long', 2, { ttl: 1000 })
    engine.set('never', 3, { ttl: Number.POSITIVE_INFINITY })
    engine.set('default', 4)
    clock.t = 50
    expect([engine.get('short'), engine.get('default')]).toEqual([MISS, 4])
    clock.t = 500
    expect([engine.get('long'), engine.get('default')]).toEqual([2, MISS])
    clock.t = 1e12
    expect([engine.get('long'), engine.get('never')]).toEqual([MISS, 3])
  })

  it('a per-call ttl of 0 or less stores nothing and removes the old entry', () => {
    const engine = createMemoryEngine({ now: manualClock().now })
    engine.set('k', 'old')
    engine.set('k', 'new', { ttl: 0 })
    expect(engine.get('k')).toBe(MISS)
    engine.set('j', 'x', { ttl: -1 })
    expect(engine.size()).toBe(0)
  })

  it.each([Number.NaN, '5m'])('rejects a per-call ttl of %s, keeping the stored entry', (ttl) => {
    const engine = createMemoryEngine({ now: manualClock().now })
    engine.set('k', 'old')
    expect(() => engine.set('k', 'new', { ttl: ttl as number })).toThrow(/ttl must be a number of milliseconds .* got (NaN|5m)/)
    expect(engine.get('k')).toBe('old')
  })

  it('overwriting without a ttl makes an expiring entry permanent', () => {
    const clock = manualClock()
    const engine = createMemoryEngine({ now: clock.now })
    engine.set('k', 1, { ttl: 10 })
    engine.set('k', 2)
    clock.t = 1e9
    expect(engine.get('k')).toBe(2)
  })

  it('has(), delete(), size(), keys() and stats() do not see expired entries', () => {
    const clock = manualClock()
    const engine = createMemoryEngine({ now: clock.now })
    engine.set('gone', 1, { ttl: 10 })
    engine.set('gone2', 1, { ttl: 10 })
    engine.set('kept', 2)
    clock.t = 10
    expect(engine.size()).toBe(1)
    expect(engine.keys()).toEqual(['kept'])
    engine.set('gone3', 3, { ttl: 5 })
    clock.t = 20
    expect(engine.has('gone3')).toBe(false)
    engine.set('gone4', 4, { ttl: 5 })
    clock.t = 30
    expect(engine.delete('gone4')).toBe(false)
    expect(engine.stats()).toMatchObject({ size: 1, evictions: 0 })
  })

  it('never reads the clock while no entry has a ttl', () => {
    const clock = manualClock()
    const engine = createMemoryEngine({ now: clock.now, maxsize: 2 })
    for (const k of ['a', 'b', 'c']) engine.set(k, k)
    engine.get('b')
    engine.get('zzz')
    engine.has('c')
    engine.delete('b')
    engine.size()
    engine.keys()
    engine.stats()
    expect(clock.reads).toBe(0)
    engine.set('t', 1, { ttl: 5 }) // one read to stamp it
    engine.get('c') // c has no ttl: still no read
    engine.get('t') // one read to check it
    expect(clock.reads).toBe(2)
  })

  it('follows fake timers installed after the engine was made (the default clock reads Date.now at call time)', () => {
    const engine = createMemoryEngine({ ttl: 1000 })
    vi.useFakeTimers({ toFake: ['Date'] })
    try {
      engine.set('k', 1)
      vi.advanceTimersByTime(999)
      expect(engine.get('k')).toBe(1)
      vi.advanceTimersByTime(1)
      expect(engine.get('k')).toBe(MISS)
    } finally {
      vi.useRealTimers()
    }
  })
})

describe('memory engine: stats and lifetime', () => {
  it('counts hits, misses, evictions; clear() empties but keeps the counters', () => {
    const engine = createMemoryEngine({ maxsize: 2 })
    engine.set('a', 0)
    engine.set('b', false)
    engine.set('c', null) // evicts a
    expect(engine.get('b')).toBe(false)
    expect(engine.get('c')).toBe(null)
    expect(engine.get('a')).toBe(MISS)
    expect(engine.stats()).toEqual({ hits: 2, misses: 1, size: 2, maxsize: 2, evictions: 1 })
    engine.clear()
    expect(engine.stats()).toEqual({ hits: 2, misses: 1, size: 0, maxsize: 2, evictions: 1 })
  })

  it("stores any string key ('', '__proto__', a 1 MB key) and undefined or null values as hits, under every policy", () => {
    const keys = ['', '__proto__', 'constructor', 'hasOwnProperty', 'x'.repeat(1 << 20)]
    for (const policy of MEMORY_CAPABILITIES.policies) {
      const engine = createMemoryEngine({ policy })
      keys.forEach((k, i) => engine.set(k, i))
      engine.set('u', undefined)
      engine.set('n', null)
      expect(keys.map((k) => engine.get(k)), policy).toEqual([0, 1, 2, 3, 4])
      expect([engine.get('u'), engine.get('n'), engine.has('u')], policy).toEqual([undefined, null, true])
      expect(engine.keys().sort(), policy).toEqual([...keys, 'n', 'u'].sort())
      expect(engine.delete('__proto__'), policy).toBe(true)
      expect(engine.get('__proto__'), policy).toBe(MISS)
    }
  })

  it('is as good as new after clear(): ttls, sizes and the clock start over', () => {
    const clock = manualClock()
    const bound = 200
    const engine = createMemoryEngine({ maxsize: 3, maxBytes: bound, policy: 'lfu', now: clock.now })
    engine.set('a', 'x'.repeat(40), { ttl: 10 })
    engine.set('b', 1)
    engine.get('b')
    engine.clear()
    clock.reads = 0
    for (const k of ['c', 'd', 'e']) engine.set(k, k) // no entry has a ttl now: no clock reads
    engine.get('c')
    expect(clock.reads).toBe(0)
    engine.clear()
    const whole = 'w'.repeat((bound - 16 - 2 - 16) / 2) // key 'z' + value: exactly the bound
    engine.set('z', whole)
    expect(engine.get('z')).toBe(whole)
    expect(engine.stats()).toMatchObject({ size: 1, evictions: 0 })
  })

  it('starts no timer, whatever the ttls', () => {
    vi.useFakeTimers()
    try {
      const engine = createMemoryEngine({ ttl: 50, maxBytes: 1e6 })
      for (let i = 0; i < 100; i++) engine.set(`k${i}`, i, { ttl: i + 1 })
      engine.get('k1')
      engine.size()
      expect(vi.getTimerCount()).toBe(0)
      engine.close()
      expect(vi.getTimerCount()).toBe(0)
    } finally {
      vi.useRealTimers()
    }
  })

  it('stores values as they are: no copy', () => {
    const engine = createMemoryEngine()
    const value = { deep: [1] }
    engine.set('k', value)
    expect(engine.get('k')).toBe(value)
  })

  it('Symbol.dispose and Symbol.asyncDispose close it', async () => {
    const a = createMemoryEngine()
    a[Symbol.dispose]()
    expect(() => a.set('k', 1)).toThrow(EngineClosedError)
    const b = createMemoryEngine()
    b.set('k', 1)
    await b[Symbol.asyncDispose]()
    expect(() => b.get('k')).toThrow(EngineClosedError)
    await expect(b[Symbol.asyncDispose]()).resolves.toBeUndefined()
  })

  it('get and set return plain values, never promises', () => {
    const engine = createMemoryEngine()
    expect(engine.set('k', 1)).toBeUndefined()
    expect(engine.get('k')).toBe(1)
    expect(engine.get('nope')).toBe(MISS)
  })
})
