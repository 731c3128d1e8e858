import { afterEach, describe, expect, it, vi } from 'vitest'
import { ConfigurationError, MEMORY_CAPABILITIES, TimeoutError, acache, createCacheConfig, mcache, notModified, registerEngine, unregisterEngine } from '../src/index.js'
import { isEnvelope } from '../src/wrap/envelope.js'
import { captureLogs, resetLogsAfterEach } from './wrappers-support.js'

resetLogsAfterEach()
afterEach(() => vi.useRealTimers())

describe('freshness options: validation', () => {
  const issues = (options: object) => {
    try {
      createCacheConfig(options as never)
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigurationError)
      return (error as ConfigurationError).issues
    }
    return []
  }

  it('one ConfigurationError names every bad field', () => {
    const found = issues({ jitter: 1.5, staleWhileRevalidate: -1, staleIfError: 'soon', timeout: '2s', hardTimeout: '1s', revalidate: 'yes' })
    expect(found.join('\n')).toMatch(/jitter/)
    expect(found.join('\n')).toMatch(/staleWhileRevalidate/)
    expect(found.join('\n')).toMatch(/staleIfError/)
    expect(found.join('\n')).toMatch(/revalidate: expected a function/)
    expect(found.join('\n')).toMatch(/timeout: must be below hardTimeout/)
  })

  it('stale windows need a ttl (a ttl function counts)', () => {
    expect(issues({ staleWhileRevalidate: '1m' })).toEqual([expect.stringMatching(/^staleWhileRevalidate: needs a ttl/)])
    expect(issues({ staleIfError: 1000 })).toEqual([expect.stringMatching(/^staleIfError: needs a ttl/)])
    expect(issues({ ttl: () => 5, staleIfError: 1000 })).toEqual([])
  })

  it('jitter is a number from 0 to 1; durations are normalised to ms', () => {
    expect(issues({ jitter: -0.1 })).toHaveLength(1)
    expect(issues({ jitter: 0 })).toEqual([])
    const config = createCacheConfig({ ttl: '1m', staleWhileRevalidate: '30s', staleIfError: '1h', timeout: '500ms', hardTimeout: 2000, jitter: 0.2 })
    expect(config).toMatchObject({ ttl: 60_000, staleWhileRevalidate: 30_000, staleIfError: 3_600_000, timeout: 500, hardTimeout: 2000, jitter: 0.2 })
  })

  it('a ttl function is kept apart from the fixed ttl engines read', () => {
    const ttl = (value: number) => value * 1000
    const config = createCacheConfig({ ttl })
    expect(config.ttl).toBeUndefined()
    expect(config.ttlFunction).toBe(ttl)
  })
})

describe('ttl as a function of the value', () => {
  it('each result gets its own ttl; 0 means "do not store"; a bad answer returns the value uncached with a warning', () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    const { warnings } = captureLogs()
    let runs = 0
    const f = mcache({ engine: 'memory', ttl: (value: { ttl: unknown }) => value.ttl as number })((ttl: unknown) => {
      runs++
      return { ttl }
    })
    f(1000)
    f(60_000)
    f(0)
    f('soon')
    expect(runs).toBe(4)
    vi.advanceTimersByTime(2000)
    f(1000) // expired after 1 s
    f(60_000) // still fresh
    f(0) // never stored
    f('soon') // never stored
    expect(runs).toBe(7)
    expect(warnings.join('\n')).toMatch(/ttl function returned soon/)
    expect(f.cacheInfo().errors).toBeGreaterThanOrEqual(1)
  })
})

describe('a ttl function that throws', () => {
  it('returns the value uncached, counts an error and warns once per function, sync and async', async () => {
    const { warnings } = captureLogs()
    const noTtl = () => {
      throw new Error('no ttl for this one')
    }
    let runs = 0
    const f = mcache({ ttl: noTtl })((x: number) => (runs++, x * 2))
    expect([f(1), f(1)]).toEqual([2, 2])
    expect(runs).toBe(2)
    expect(f.cacheInfo()).toMatchObject({ hits: 0, misses: 2, errors: 2 })
    const g = acache({ ttl: noTtl })(async (x: number) => (runs++, x * 3))
    await expect(g(1)).resolves.toBe(3)
    await expect(g(1)).resolves.toBe(3)
    expect(runs).toBe(4)
    expect(warnings.filter((w) => /the ttl function threw \(no ttl for this one\); the value was returned but not cached/.test(w))).toHaveLength(2)
  })
})

describe('jitter', () => {
  it('10,000 entries written together expire spread over [ttl × (1 - jitter), ttl]', () => {
    vi.useFakeTimers({ toFake: ['Date'], now: 1_000_000 })
    const ttl = 100_000
    // revalidate makes the function store envelopes, so the stored expiresAt can be read back.
    const f = mcache({ engine: 'memory', maxsize: 20_000, ttl, jitter: 0.5, revalidate: () => notModified })((n: number) => n)
    for (let n = 0; n < 10_000; n++) f(n)
    const engine = f.engine as unknown as { keys(): Iterable<string>; get(key: string): unknown }
    const expiries = [...engine.keys()].map((key) => {
      const stored = engine.get(key)
      expect(isEnvelope(stored)).toBe(true)
      return (stored as { expiresAt: number }).expiresAt - 1_000_000
    })
    expect(expiries).toHaveLength(10_000)
    expect(Math.min(...expiries)).toBeGreaterThanOrEqual(ttl * 0.5)
    expect(Math.max(...expiries)).toBeLessThanOrEqual(ttl)
    // Spread, not clustered: every tenth of the window holds some entries.
    const buckets = new Set(expiries.map((e) => Math.min(9, Math.floor(((e - ttl * 0.5) / (ttl * 0.5)) * 10))))
    expect(buckets.size).toBe(10)
  })
})

describe('plain functions pay nothing for the envelope', () => {
  it('without the envelope options the bare value is stored', () => {
    const f = mcache({ engine: 'memory', ttl: 1000 })((n: number) => ({ n }))
    f(1)
    const engine = f.engine as unknown as { keys(): Iterable<string>; get(key: string): unknown }
    expect(engine.get([...engine.keys()][0]!)).toEqual({ n: 1 })
  })

  it('a bare value found by a function that needs envelopes is a miss, never garbage', () => {
    const plain = mcache({ engine: 'memory', namespace: 'shared-ns' })((n: number) => `plain ${n}`)
    plain(1)
    const engine = plain.engine as unknown as { keys(): Iterable<string>; get(key: string): unknown; set(key: string, value: unknown): void }
    const key = [...engine.keys()][0]!
    // A freshness function reading the same store: the bare entry is a miss, so it runs.
    const fresh = mcache({ engine: 'memory', ttl: 1000, staleWhileRevalidate: 1000 })((n: number) => `fresh ${n}`)
    const store = fresh.engine as unknown as { set(key: string, value: unknown): void; keys(): Iterable<string> }
    store.set(key, 'an old bare value')
    expect(fresh(1)).toBe('fresh 1')
  })
})

describe('cacheRefresh and cachePeek on async functions', () => {
  it('concurrent cacheRefresh calls share one run; cachePeek never runs the function', async () => {
    let runs = 0
    const f = acache({ engine: 'memory' })(async (n: number) => {
      runs++
      await new Promise((resolve) => setTimeout(resolve, 5))
      return n * runs
    })
    expect(await f.cachePeek(2)).toBeUndefined()
    const [a, b] = await Promise.all([f.cacheRefresh(2), f.cacheRefresh(2)])
    expect([a, b, runs]).toEqual([2, 2, 1])
    expect(await f.cachePeek(2)).toBe(2)
    expect(f.cacheInfo()).toMatchObject({ hits: 0, misses: 0, refreshes: 1 })
  })
})

describe('hardTimeout on the engine side, and timeout without a fallback', () => {
  it('an async engine that never answers fails the call with TimeoutError in time', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    registerEngine(
      {
        name: 'hanging',
        capabilities: { ...MEMORY_CAPABILITIES, mode: 'async' },
        priority: -1,
        create: () =>
          ({
            name: 'hanging',
            capabilities: { ...MEMORY_CAPABILITIES, mode: 'async' },
            get: () => new Promise(() => {}),
            set: () => new Promise(() => {}),
            delete: async () => false,
            clear: async () => {},
            close: async () => {},
            [Symbol.asyncDispose]: async () => {},
          }) as never,
      },
      { replace: true },
    )
    let runs = 0
    const f = acache({ engine: 'hanging', hardTimeout: 500 })(async (n: number) => {
      runs++
      return n
    })
    const answer = f(1)
    const caught = expect(answer).rejects.toBeInstanceOf(TimeoutError)
    await vi.advanceTimersByTimeAsync(600)
    await caught
    expect(runs).toBe(0)
    expect(f.cacheInfo().errors).toBe(1)
    unregisterEngine('hanging')
  })

  it('timeout without staleIfError warns that it has nothing to fall back on', () => {
    const { warnings } = captureLogs()
    mcache({ engine: 'memory', timeout: 100 })((n: number) => n)
    expect(warnings.join('\n')).toMatch(/timeout only applies to a refresh with a stale value/)
  })
})
