import { createHook } from 'node:async_hooks'
import fc from 'fast-check'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createCacheConfig } from '../../core/src/config.js'
import { ConfigurationError } from '../../core/src/errors.js'
import { getEngine, selectEngine } from '../../core/src/registry.js'
import { MISS } from '../../core/src/types.js'
import { NODE_CACHE_CAPABILITIES, createNodeCacheEngine } from '../src/engine.js'
import { NODE_CACHE_PRIORITY } from '../src/index.js'

afterEach(() => {
  vi.useRealTimers()
})

/** Timeout handles created while `body` runs that are still alive afterwards (unref'd ones too). */
async function timersLeftBy(body: () => void | Promise<void>): Promise<{ created: number; alive: number }> {
  const alive = new Set<number>()
  let created = 0
  const hook = createHook({
    init(id, type) {
      if (type === 'Timeout') {
        created++
        alive.add(id)
      }
    },
    destroy(id) {
      alive.delete(id)
    },
  }).enable()
  try {
    await body()
    // destroy hooks are delivered asynchronously.
    await new Promise((resolve) => setImmediate(resolve))
    await new Promise((resolve) => setImmediate(resolve))
  } finally {
    hook.disable()
  }
  return { created, alive: alive.size }
}

describe('maxsize', () => {
  it('evicts instead of throwing when full (node-cache throws at maxKeys)', () => {
    const engine = createNodeCacheEngine({ maxsize: 3 })
    for (let i = 0; i < 10; i++) engine.set(`k${i}`, i)
    expect(engine.size!()).toBe(3)
    expect(engine.cache.keys().sort()).toEqual(['k7', 'k8', 'k9'])
  })

  it('overwrites a key when full without evicting or throwing', () => {
    const engine = createNodeCacheEngine({ maxsize: 2, policy: 'fifo' })
    engine.set('a', 1)
    engine.set('b', 2)
    engine.set('a', 3)
    expect(engine.get('a')).toBe(3)
    expect(engine.get('b')).toBe(2)
  })

  it.each(['lru', 'fifo'] as const)('%s eviction matches a reference model on random workloads', (policy) => {
    const op = fc.record({ kind: fc.constantFrom('get', 'set', 'set', 'delete'), key: fc.integer({ min: 0, max: 11 }) })
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), fc.array(op, { maxLength: 300 }), (maxsize, ops) => {
        const engine = createNodeCacheEngine({ maxsize, policy })
        // Reference: a Map in eviction order (first = next victim).
        const model = new Map<string, number>()
        ops.forEach(({ kind, key }, i) => {
          const k = `k${key}`
          if (kind === 'get') {
            const expected = model.has(k) ? model.get(k)! : MISS
            expect(engine.get(k)).toBe(expected)
            if (policy === 'lru' && model.has(k)) {
              model.delete(k)
              model.set(k, expected as number)
            }
          } else if (kind === 'set') {
            if (!model.has(k) && model.size >= maxsize) model.delete(model.keys().next().value!)
            if (policy === 'lru') model.delete(k)
            model.set(k, i)
            engine.set(k, i)
          } else {
            expect(engine.delete(k)).toBe(model.delete(k))
          }
        })
        expect(new Set(engine.keys!())).toEqual(new Set(model.keys()))
        engine.close()
      }),
      { numRuns: 200 },
    )
  })

  it('keeps lru order exact across many reads of few keys (queue compaction)', () => {
    const engine = createNodeCacheEngine({ maxsize: 3, policy: 'lru' })
    for (const k of ['a', 'b', 'c']) engine.set(k, k)
    for (let i = 0; i < 10_000; i++) engine.get(i % 2 === 0 ? 'a' : 'c')
    engine.get('b')
    engine.set('d', 'd') // a or c was read last before b: the older of them, 'a', goes
    expect(engine.get('a')).toBe(MISS)
    expect([engine.get('b'), engine.get('c'), engine.get('d')]).toEqual(['b', 'c', 'd'])
  })
})

describe('timers', () => {
  it('starts the check-period timer only when asked or when a ttl is set, and close() destroys it', async () => {
    let engine: ReturnType<typeof createNodeCacheEngine> | undefined
    const withTtl = await timersLeftBy(() => {
      engine = createNodeCacheEngine({ ttl: 60_000 })
      engine.set('a', 1)
    })
    expect(withTtl).toEqual({ created: 1, alive: 1 })
    const closed = await timersLeftBy(() => engine!.close())
    expect(closed.created).toBe(0)
    expect(engine!.cache.getIntervalId()).toBe(0)

    // The whole life cycle: nothing created survives close().
    const life = await timersLeftBy(() => {
      const e = createNodeCacheEngine({ ttl: 1_000, engineOptions: { checkperiod: 1 } })
      e.set('x', 1, { ttl: 10 })
      e.close()
    })
    expect(life.created).toBe(1)
    expect(life.alive).toBe(0)

    const none = await timersLeftBy(() => {
      const e = createNodeCacheEngine()
      e.set('a', 1, { ttl: 1_000 })
      e.close()
    })
    expect(none.created).toBe(0)
  })

  it('close() clears the timer that process.getActiveResourcesInfo() would list once ref()ed', () => {
    const count = () => process.getActiveResourcesInfo().filter((type) => type === 'Timeout').length
    const before = count()
    const engine = createNodeCacheEngine({ ttl: 1_000 })
    // node-cache unref()s its timer, which hides it from getActiveResourcesInfo(); ref it to see it.
    ;(engine.cache.getIntervalId() as NodeJS.Timeout).ref()
    expect(count()).toBe(before + 1)
    engine.close()
    expect(count()).toBe(before)
  })

  it('close() is idempotent and [Symbol.dispose] closes', () => {
    const engine = createNodeCacheEngine({ ttl: 1_000 })
    engine.set('a', 1)
    engine[Symbol.dispose]()
    expect(engine.cache.getIntervalId()).toBe(0)
    expect(() => engine.close()).not.toThrow()
  })

  it('the check-period sweep deletes expired entries without a read', () => {
    vi.useFakeTimers()
    const engine = createNodeCacheEngine({ ttl: 1_000, engineOptions: { checkperiod: 2 } })
    engine.set('a', 1)
    engine.set('b', 2, { ttl: 60_000 })
    vi.advanceTimersByTime(2_100)
    expect(engine.cache.store.has('a')).toBe(false)
    expect(engine.cache.store.has('b')).toBe(true)
    engine.close()
  })

  it('expires on Date.now, so fake timers drive it', () => {
    vi.useFakeTimers()
    const engine = createNodeCacheEngine({ ttl: 1_000 })
    engine.set('a', 'v')
    engine.set('b', 'w', { ttl: 100 })
    vi.advanceTimersByTime(150)
    expect(engine.get('b')).toBe(MISS)
    expect(engine.get('a')).toBe('v')
    vi.advanceTimersByTime(900)
    expect(engine.get('a')).toBe(MISS)
    engine.close()
  })
})

describe('values', () => {
  it('round-trips undefined, and has() sees it', () => {
    const engine = createNodeCacheEngine()
    engine.set('u', undefined)
    expect(engine.get('u')).toBe(undefined)
    expect(engine.has!('u')).toBe(true)
    expect(engine.get('none')).toBe(MISS)
  })

  it('stores live values by default; useClones returns copies and is not structured', () => {
    const value = { n: 1 }
    const live = createNodeCacheEngine()
    live.set('v', value)
    expect(live.get('v')).toBe(value)
    expect(live.capabilities).toEqual(NODE_CACHE_CAPABILITIES)

    const cloning = createNodeCacheEngine({ engineOptions: { useClones: true } })
    cloning.set('v', value)
    const copy = cloning.get('v')
    expect(copy).toEqual(value)
    expect(copy).not.toBe(value)
    expect(cloning.capabilities.structured).toBe(false)
  })

  it("turns off node-cache's value sizing (O(n²) per set), also after clear()", () => {
    const engine = createNodeCacheEngine()
    const big = Array.from({ length: 5_000 }, (_, i) => ({ id: i, name: `n${i}` }))
    const start = performance.now()
    engine.set('big', big)
    engine.clear()
    engine.set('big', big)
    const elapsed = performance.now() - start
    expect(engine.cache.getStats().vsize).toBe(0)
    // With sizing on, one such set took ~16 ms here; off, ~0.02 ms.
    expect(elapsed).toBeLessThan(5)
  })

  it('a per-call ttl of 0 or less stores nothing and drops the old value', () => {
    const engine = createNodeCacheEngine()
    engine.set('k', 1)
    engine.set('k', 2, { ttl: -5 })
    expect(engine.get('k')).toBe(MISS)
  })
})

describe('options and policies', () => {
  it('rejects unknown and mistyped engineOptions, listing each', () => {
    let error: unknown
    try {
      createNodeCacheEngine({ engineOptions: { checkPeriod: 5, useClones: 1 } })
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(ConfigurationError)
    const issues = (error as ConfigurationError).issues.join('\n')
    expect(issues).toMatch(/engineOptions\.checkPeriod/)
    expect(issues).toMatch(/engineOptions\.useClones/)
  })

  it('registers lru and fifo, below lru in priority', async () => {
    await import('../src/index.js')
    const definition = getEngine('node-cache')!
    expect(definition.capabilities.policies).toEqual(['lru', 'fifo'])
    expect(definition.packageName).toBe('@twat-cache/node-cache')
    expect(NODE_CACHE_PRIORITY).toBeGreaterThan(getEngine('memory')!.priority)
  })

  it.each(['lfu', 'rr'] as const)("policy '%s' with engine 'node-cache' is a ConfigurationError; the chain skips it", async (policy) => {
    await import('../src/index.js')
    expect(() => selectEngine(createCacheConfig({ engine: 'node-cache', policy }), { chain: 'memory', mode: 'sync' })).toThrow(
      ConfigurationError,
    )
    expect(() => createNodeCacheEngine({ policy })).toThrow(/policy/)
    expect(selectEngine(createCacheConfig({ policy }), { chain: 'memory', mode: 'sync' }).name).not.toBe('node-cache')
  })

  it("serves policy 'fifo' in the memory chain even when lru is registered (lru cannot)", async () => {
    await import('../src/index.js')
    await import('../../lru/src/index.js')
    expect(selectEngine(createCacheConfig({ policy: 'fifo' }), { chain: 'memory', mode: 'sync' }).name).toBe('node-cache')
    expect(selectEngine(createCacheConfig({}), { chain: 'memory', mode: 'sync' }).name).toBe('lru')
  })
})
