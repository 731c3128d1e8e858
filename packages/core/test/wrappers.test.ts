import { afterEach, describe, expect, expectTypeOf, it, vi } from 'vitest'
import {
  type Cached,
  CacheKeyError,
  ConfigurationError,
  EngineNotAvailableError,
  MISS,
  type AsyncEngine,
  type EngineConfig,
  acache,
  bcache,
  clearCache,
  createMemoryEngine,
  fcache,
  getEngine,
  getStats,
  mcache,
  registerEngine,
  resetWarnings,
  setLogger,
  ucache,
  unregisterEngine,
} from '../src/index.js'

function captureLogs() {
  const warnings: string[] = []
  const infos: string[] = []
  setLogger(
    { debug: () => {}, info: (m: string) => infos.push(m), warn: (m: string) => warnings.push(m), error: (m: string) => warnings.push(m) },
    'info',
  )
  return { warnings, infos }
}

afterEach(() => {
  setLogger(console, 'warn')
  resetWarnings()
  vi.useRealTimers()
})

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

  it('counts ttl from resolution, not from the call', async () => {
    vi.useFakeTimers()
    let runs = 0
    const f = mcache({ ttl: 1000 })(async () => {
      runs++
      await new Promise((r) => setTimeout(r, 5000))
      return runs
    })
    const first = f()
    await vi.advanceTimersByTimeAsync(5000)
    expect(await first).toBe(1)
    await vi.advanceTimersByTimeAsync(900)
    expect(await f()).toBe(1) // 5.9 s after the call, 0.9 s after resolution: still fresh
    expect(runs).toBe(1)
  })

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

// An async engine over the memory engine: the path Redis and cacheable take, tested here
// with the wrapper's own edge cases. `state.throwOnGet` makes `get` throw synchronously (a
// broken engine), `state.rejectAll` makes every operation reject (a store that went down).
function registerAsyncMemory() {
  const state = { gets: 0, throwOnGet: false, rejectAll: false }
  registerEngine({
    name: 'async-memory',
    capabilities: { ...createMemoryEngine().capabilities, mode: 'async' },
    priority: -1,
    create(config: EngineConfig): AsyncEngine {
      const inner = createMemoryEngine(config)
      const op = <T>(f: () => T): Promise<T> => (state.rejectAll ? Promise.reject(new Error('store down')) : Promise.resolve(f()))
      return {
        name: 'async-memory',
        capabilities: { ...inner.capabilities, mode: 'async' },
        get(key) {
          state.gets++
          if (state.throwOnGet) throw new Error('get threw synchronously')
          return op(() => inner.get(key))
        },
        set: (key, value, options) => op(() => inner.set(key, value, options)),
        delete: (key) => op(() => inner.delete(key)),
        clear: () => op(() => inner.clear()),
        close: () => op(() => inner.close()),
        [Symbol.asyncDispose]: async () => inner.close(),
      }
    },
  })
  return state
}

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

  it('count ttl from resolution', async () => {
    vi.useFakeTimers()
    registerAsyncMemory()
    let runs = 0
    const f = acache({ engine: 'async-memory', ttl: 1000 })(async () => {
      runs++
      await new Promise((r) => setTimeout(r, 5000))
      return runs
    })
    const first = f()
    await vi.advanceTimersByTimeAsync(5000)
    expect(await first).toBe(1)
    await vi.advanceTimersByTimeAsync(900)
    expect(await f()).toBe(1)
    await vi.advanceTimersByTimeAsync(200)
    const third = f()
    await vi.advanceTimersByTimeAsync(5000)
    expect(await third).toBe(2)
  })
})

describe('decorators', () => {
  it('cache methods per instance with TC39 decorators', async () => {
    let runs = 0
    class Repo {
      constructor(readonly prefix: string) {}
      @mcache({ maxsize: 10 })
      find(id: string) {
        runs++
        return `${this.prefix}${id}`
      }
      @acache()
      async load(id: string) {
        runs++
        return `${this.prefix}:${id}`
      }
    }
    const a = new Repo('a')
    const b = new Repo('b')
    expect(a.find('1')).toBe('a1')
    expect(a.find('1')).toBe('a1')
    expect(b.find('1')).toBe('b1')
    expect(runs).toBe(2)
    expect(await a.load('x')).toBe('a:x')
    expect(await a.load('x')).toBe('a:x')
    expect(runs).toBe(3)
    expect((Repo.prototype.find as unknown as Cached<() => string>).cacheInfo().hits).toBe(1)
  })
})

describe('fallback wrappers before their backends are installed', () => {
  it('bcache and fcache fall back to memory with one warning, when an engine was asked for', () => {
    const { warnings } = captureLogs()
    const f = bcache({ engine: 'sqlite' })((x: number) => x)
    const g = bcache({ engine: 'sqlite' })((x: number) => x + 1)
    expect(f(1)).toBe(1)
    expect(g(1)).toBe(2)
    expect(f.engine.name).not.toBe('sqlite')
    expect(warnings.filter((w) => w.includes("'sqlite'"))).toHaveLength(1)
    expect(warnings[0]).toContain('@twat-cache/sqlite')
    expect(fcache()((x: number) => x).engine.capabilities.mode).toBe('sync')
  })
})

describe('bad input', () => {
  it('rejects invalid options with every bad field listed', () => {
    try {
      mcache({ maxsize: 0, ttl: 'soon', policy: 'mru' as 'lru', maxsise: 3 } as never)
      expect.unreachable()
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigurationError)
      const issues = (error as ConfigurationError).issues
      expect(issues.some((i) => i.startsWith('maxsize'))).toBe(true)
      expect(issues.some((i) => i.startsWith('policy'))).toBe(true)
      expect(issues.some((i) => i.includes("did you mean 'maxsize'"))).toBe(true)
      expect((error as Error).message).toContain('maxsise')
    }
    // @ts-expect-error: the type of `ttl` already rejects strings that are not durations
    expect(() => mcache({ ttl: 'soon' })).toThrow(/ttl 'soon' is not a duration/)
    expect(() => mcache({ ttl: -5 })).toThrow(ConfigurationError)
    expect(() => mcache({ folderName: '../etc' })).toThrow(/folderName/)
  })

  it('rejects an unknown engine name, listing the registered ones', () => {
    expect(() => mcache({ engine: 'lur' })((x: number) => x)).toThrow(EngineNotAvailableError)
    expect(() => mcache({ engine: 'lur' })((x: number) => x)).toThrow(/Cache engine 'lur' is not available: no engine of that name/)
    expect(() => mcache({ engine: 'lur' })((x: number) => x)).toThrow(/\(registered: memory[,)]/)
  })

  it('falls back to the built-in memory engine when a registration shadows it with one that does not fit', () => {
    registerAsyncMemory()
    const { create, capabilities } = getEngine('async-memory')!
    registerEngine({ name: 'memory', capabilities, priority: 0, create })
    try {
      const f = mcache()((x: number) => x * 2)
      expect(f.engine.name).toBe('memory')
      expect(f.engine.capabilities.mode).toBe('sync')
      expect(f(2)).toBe(4)
      expect(f(2)).toBe(4)
      expect(f.cacheInfo()).toMatchObject({ hits: 1, misses: 1 })
    } finally {
      unregisterEngine('memory')
      unregisterEngine('async-memory')
    }
  })

  it('raises CacheKeyError for arguments that cannot be keyed', () => {
    const f = mcache()((x: unknown) => x)
    expect(() => f(() => 1)).toThrow(CacheKeyError)
    expect(() => f(Symbol('s'))).toThrow(CacheKeyError)
    const cyclic: Record<string, unknown> = {}
    cyclic.self = cyclic
    expect(() => f(cyclic)).toThrow(/key:/)
  })

  it('refuses to wrap something that is not a function', () => {
    expect(() => (mcache() as (x: unknown) => unknown)(42)).toThrow(TypeError)
  })

  it('the MISS sentinel is shared across copies of core', () => {
    expect(MISS).toBe(Symbol.for('twat-cache.miss'))
  })
})

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
})
