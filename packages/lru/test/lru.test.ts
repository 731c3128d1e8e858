import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createCacheConfig } from '../../core/src/config.js'
import { ConfigurationError } from '../../core/src/errors.js'
import { createEngine, getEngine, registerEngine, selectEngine, unregisterEngine } from '../../core/src/registry.js'
import { MISS } from '../../core/src/types.js'
import { LRU_CAPABILITIES, createLruEngine, estimateSize } from '../src/engine.js'
import { LRU_PRIORITY } from '../src/index.js'

const FAKES: Parameters<typeof vi.useFakeTimers>[0] = { toFake: ['Date', 'performance', 'setTimeout', 'clearTimeout'] }

afterEach(() => {
  vi.useRealTimers()
})

describe('maxBytes', () => {
  it('bounds the estimated bytes held, evicting least recently used entries', () => {
    const engine = createLruEngine({ maxsize: 100, maxBytes: 2_000 })
    const big = 'x'.repeat(300) // ~634 bytes estimated with its key: three fit, not four
    for (const k of ['a', 'b', 'c']) engine.set(k, big)
    expect(engine.get('a')).toBe(big) // a is now the most recently used
    engine.set('d', big)
    expect(engine.cache.calculatedSize).toBeLessThanOrEqual(2_000)
    expect(engine.get('b')).toBe(MISS)
    expect(engine.get('a')).toBe(big)
    expect(engine.get('c')).toBe(big)
    expect(engine.get('d')).toBe(big)
  })

  it('does not store a value larger than maxBytes, and keeps the others', () => {
    const engine = createLruEngine({ maxBytes: 1_000 })
    engine.set('small', 1)
    engine.set('huge', 'y'.repeat(5_000))
    expect(engine.get('huge')).toBe(MISS)
    expect(engine.get('small')).toBe(1)
  })

  it('maxsize still bounds the entry count when bytes are plentiful', () => {
    const engine = createLruEngine({ maxsize: 3, maxBytes: 1_000_000 })
    for (let i = 0; i < 10; i++) engine.set(`k${i}`, i)
    expect(engine.size!()).toBe(3)
    expect([...engine.keys!()].sort()).toEqual(['k7', 'k8', 'k9'])
  })

  it('uses engineOptions.sizeCalculation when given, with undefined passed as undefined', () => {
    const seen: unknown[] = []
    const engine = createLruEngine({
      maxBytes: 10,
      engineOptions: {
        sizeCalculation: (value: unknown) => {
          seen.push(value)
          return 4
        },
      },
    })
    for (const k of ['a', 'b', 'c']) engine.set(k, undefined)
    expect(seen).toEqual([undefined, undefined, undefined])
    expect(engine.cache.calculatedSize).toBe(8)
    expect(engine.get('a')).toBe(MISS)
    expect(engine.get('b')).toBe(undefined)
    expect(engine.get('c')).toBe(undefined)
  })

  it('rejects a sizeCalculation that returns a negative or non-finite size', () => {
    const engine = createLruEngine({ maxBytes: 10, engineOptions: { sizeCalculation: () => Number.NaN } })
    expect(() => engine.set('a', 1)).toThrow(ConfigurationError)
  })
})

describe('estimateSize', () => {
  it('grows with the content and errs high for strings', () => {
    expect(estimateSize('a'.repeat(1000))).toBeGreaterThanOrEqual(2000)
    expect(estimateSize([1, 2, 3])).toBeLessThan(estimateSize(Array.from({ length: 300 }, (_, i) => i)))
    expect(estimateSize({ a: 'x'.repeat(100) })).toBeGreaterThan(estimateSize({ a: 'x' }))
    expect(estimateSize(new Map([['k', 'v'.repeat(500)]]))).toBeGreaterThan(1000)
    expect(estimateSize(new Set(['v'.repeat(500)]))).toBeGreaterThan(1000)
  })

  it('counts binary data by its byte length', () => {
    expect(estimateSize(new Uint8Array(10_000))).toBeGreaterThanOrEqual(10_000)
    expect(estimateSize(new Float64Array(1_000))).toBeGreaterThanOrEqual(8_000)
    expect(estimateSize(new ArrayBuffer(4_096))).toBeGreaterThanOrEqual(4_096)
  })

  it('terminates on cycles and counts a shared object once', () => {
    const node: Record<string, unknown> = { payload: 'p'.repeat(1000) }
    node.self = node
    expect(estimateSize(node)).toBeLessThan(3000)
    const shared = 'z'.repeat(1000)
    const obj = { blob: new Uint8Array(5000) }
    expect(estimateSize([obj, obj, obj])).toBeLessThan(2 * estimateSize([obj]))
    expect(estimateSize(shared)).toBeGreaterThan(0)
  })
})

describe('values and ttl', () => {
  it('round-trips undefined (which lru-cache would treat as a delete)', () => {
    const engine = createLruEngine()
    engine.set('u', undefined)
    expect(engine.get('u')).toBe(undefined)
    expect(engine.has!('u')).toBe(true)
    expect(engine.size!()).toBe(1)
    expect(engine.get('other')).toBe(MISS)
  })

  it('a per-call ttl of 0 or less stores nothing and drops the old value', () => {
    const engine = createLruEngine()
    engine.set('k', 'old')
    engine.set('k', 'new', { ttl: 0 })
    expect(engine.get('k')).toBe(MISS)
  })

  it('expires on the JS clock, so fake timers drive it', () => {
    vi.useFakeTimers(FAKES)
    const engine = createLruEngine({ ttl: 1_000 })
    engine.set('k', 1)
    vi.advanceTimersByTime(999)
    expect(engine.get('k')).toBe(1)
    vi.advanceTimersByTime(2)
    expect(engine.get('k')).toBe(MISS)
    expect(engine.size!()).toBe(0)
  })

  it('updateAgeOnGet makes the expiry sliding', () => {
    vi.useFakeTimers(FAKES)
    const sliding = createLruEngine({ ttl: 1_000, engineOptions: { updateAgeOnGet: true } })
    const fixed = createLruEngine({ ttl: 1_000 })
    sliding.set('k', 1)
    fixed.set('k', 1)
    for (let i = 0; i < 3; i++) {
      vi.advanceTimersByTime(600)
      sliding.get('k')
      fixed.get('k')
    }
    expect(sliding.get('k')).toBe(1)
    expect(fixed.get('k')).toBe(MISS)
  })

  it('starts no timer, even with a ttl', () => {
    vi.useFakeTimers(FAKES)
    const engine = createLruEngine({ ttl: 60_000 })
    engine.set('a', 1)
    engine.get('a')
    engine.close()
    // lru-cache may debounce its clock reads with a 1 ms timer; ttlAutopurge timers would be 60 s.
    vi.advanceTimersByTime(2)
    expect(vi.getTimerCount()).toBe(0)
  })
})

describe('options', () => {
  it('rejects unknown and mistyped engineOptions, listing each', () => {
    let error: unknown
    try {
      createLruEngine({ engineOptions: { sizeCalc: () => 1, updateAgeOnGet: 'yes' } })
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(ConfigurationError)
    const issues = (error as ConfigurationError).issues.join('\n')
    expect(issues).toMatch(/engineOptions\.sizeCalc/)
    expect(issues).toMatch(/engineOptions\.updateAgeOnGet/)
  })

  it('rejects a policy it cannot honour when the factory is called directly', () => {
    expect(() => createLruEngine({ policy: 'lfu' })).toThrow(/policy 'lfu'/)
    expect(() => createLruEngine({ maxsize: 0 })).toThrow(ConfigurationError)
  })
})

describe('registration and policies', () => {
  it('registers with lru as its only policy and the highest memory-engine priority', async () => {
    await import('../src/index.js')
    const definition = getEngine('lru')!
    expect(definition.capabilities).toEqual(LRU_CAPABILITIES)
    expect(definition.packageName).toBe('@twat-cache/lru')
    expect(LRU_PRIORITY).toBeGreaterThan(getEngine('memory')!.priority)
  })

  it("policy 'lfu' with engine 'lru' is a ConfigurationError; in the chain lru is skipped", async () => {
    await import('../src/index.js')
    expect(() => selectEngine(createCacheConfig({ engine: 'lru', policy: 'lfu' }), { chain: 'memory', mode: 'sync' })).toThrow(
      ConfigurationError,
    )
    expect(() => createEngine({ engine: 'lru', policy: 'fifo' })).toThrow(/policy 'fifo'/)
    const chosen = selectEngine(createCacheConfig({ policy: 'lfu' }), { chain: 'memory', mode: 'sync' })
    expect(chosen.name).not.toBe('lru')
    expect(chosen.capabilities.policies).toContain('lfu')
    expect(selectEngine(createCacheConfig({}), { chain: 'memory', mode: 'sync' }).name).toBe('lru')
  })

  it('createEngine builds a working lru engine from options', async () => {
    await import('../src/index.js')
    const engine = createEngine({ engine: 'lru', maxsize: 2 })
    expect(engine.name).toBe('lru')
    engine.set('a', 0)
    expect(engine.get('a')).toBe(0)
    await engine.close()
  })

  it('unregisters cleanly (the registry is process-wide)', async () => {
    await import('../src/index.js')
    const saved = getEngine('lru')!
    unregisterEngine('lru')
    expect(getEngine('lru')).toBeUndefined()
    registerEngine(saved)
    expect(getEngine('lru')).toBe(saved)
  })
})

describe('edge safety', () => {
  it('has no Node built-in import anywhere in packages/lru/src', () => {
    const dir = fileURLToPath(new URL('../src/', import.meta.url))
    const files = readdirSync(dir).filter((f) => f.endsWith('.ts'))
    expect(files.length).toBeGreaterThanOrEqual(3)
    for (const file of files) {
      const source = readFileSync(join(dir, file), 'utf8')
      expect(source, file).not.toMatch(/from\s+['"]node:|import\(\s*['"]node:|require\(|process\./)
      const specifiers = [...source.matchAll(/from\s+['"]([^'"]+)['"]/g)].map((m) => m[1])
      for (const spec of specifiers) expect(['@twat-cache/core', 'lru-cache', 'zod/mini'].includes(spec!) || spec!.startsWith('./'), `${file}: ${spec}`).toBe(true)
    }
  })
})
