import { describe, expect, it } from 'vitest'
import {
  CacheKeyError,
  ConfigurationError,
  createEngine,
  engineContext,
  getOrCreateEngine,
  EngineNotAvailableError,
  MISS,
  bcache,
  acache,
  fcache,
  getEngine,
  mcache,
  createCacheConfig,
  createMemoryEngine,
  redisSchema,
  cacheConfigSchema,
  type EngineConfig,
  registerEngine,
  ucache,
  unregisterEngine,
} from '../src/index.js'
import { catchError, captureLogs, registerAsyncMemory, resetLogsAfterEach } from './wrappers-support.js'

resetLogsAfterEach()

describe('fallback wrappers before their backends are installed', () => {
  it('warn once per wrapper kind that results will not survive a restart', () => {
    const { warnings } = captureLogs()
    bcache()((x: number) => x)
    bcache()((x: number) => x + 1)
    fcache()((x: number) => x)
    ucache({ folderName: 'probe' })((x: number) => x)
    ucache({ useSql: true })((x: number) => x)
    mcache()((x: number) => x)
    const lost = warnings.filter((w) => w.includes('will not survive a restart'))
    expect(lost.map((w) => w.match(/^\[twat-cache:(\w+)\]/)?.[1])).toEqual(['bcache', 'fcache', 'ucache'])
    for (const w of lost) expect(w).toMatch(/@twat-cache\/sqlite.*@twat-cache\/flat-cache/)
  })

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
    expect(() => mcache({ ttl: 'soon' })).toThrow(/ttl: expected a positive number of milliseconds/)
    expect(() => mcache({ ttl: -5 })).toThrow(ConfigurationError)
    expect(() => mcache({ folderName: '../etc' })).toThrow(/folderName/)
  })

  it('rejects an unknown engine name in wrapper options as a ConfigurationError with a hint', () => {
    for (const wrapper of [mcache, bcache, fcache, acache, ucache]) {
      const error = catchError(() => wrapper({ engine: 'lur' }))
      expect(error).toBeInstanceOf(ConfigurationError)
      expect((error as Error).message).toMatch(/Cache engine 'lur' is not available: .*did you mean 'lru'\?.*registered: memory/)
      expect((error as Error).cause).toBeInstanceOf(EngineNotAvailableError)
    }
    expect(catchError(() => mcache({ engine: 'abc' }))).toBeInstanceOf(ConfigurationError)
    // A name close to a known engine that is not installed here gets that hint too.
    expect((catchError(() => mcache({ engine: 'sqlit' })) as Error).message).toContain("did you mean 'sqlite'?")
  })

  it('rejects an unknown engine name from createEngine, engineContext and getOrCreateEngine as EngineNotAvailableError', async () => {
    for (const make of [() => createEngine('lur'), () => getOrCreateEngine({ engine: 'lur' })]) {
      const error = catchError(make)
      expect(error).toBeInstanceOf(EngineNotAvailableError)
      expect((error as Error).message).toContain("did you mean 'lru'?")
    }
    await expect(engineContext({ engine: 'lur' })).rejects.toThrow(EngineNotAvailableError)
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

describe('createCacheConfig lists every bad field, and the zod schema agrees', () => {
  it.each([
    [{ maxsize: 0, ttl: 'abc', policy: 'mru' }, ['maxsize', 'ttl', 'policy']],
    [{ maxsize: 0, ttl: -1 }, ['maxsize', 'ttl']],
    [{ ttl: 'soon', folderName: '../x', engine: 'a', preferredEngine: 'b' }, ['ttl', 'folderName', 'engine']],
    [{ redis: { host: '', port: 0 } }, ['redis.host', 'redis.port']],
  ])('%j', (input, fields) => {
    const error = catchError(() => createCacheConfig(input as never)) as ConfigurationError
    expect(error).toBeInstanceOf(ConfigurationError)
    for (const field of fields) expect(error.issues.some((i) => i.startsWith(field) || i.includes(`${field} '`))).toBe(true)
    expect(error.issues).toHaveLength(fields.length)
    expect(cacheConfigSchema.safeParse(input).success).toBe(false)
  })

  it('the Redis settings are one schema: an empty host fails in core and in the redis schema', () => {
    expect(() => createCacheConfig({ redis: { host: '' } })).toThrow(/redis\.host: expected a non-empty string/)
    expect(redisSchema.safeParse({ host: '' }).success).toBe(false)
    expect(redisSchema.safeParse({ host: 'h', port: 6379 }).success).toBe(true)
  })

  it('normalises durations once: whole milliseconds, rounded up, at most Number.MAX_SAFE_INTEGER', () => {
    expect(createCacheConfig({ ttl: '1.5ms' }).ttl).toBe(2)
    expect(createCacheConfig({ ttl: 1.5 }).ttl).toBe(2)
    expect(createCacheConfig({ ttl: 0.001 }).ttl).toBe(1)
    expect(createCacheConfig({ ttl: '2s' }).ttl).toBe(2000)
    expect(createCacheConfig({ ttl: Number.MAX_SAFE_INTEGER }).ttl).toBe(Number.MAX_SAFE_INTEGER)
    for (const ttl of ['9999999999999999999999d', Number.MAX_SAFE_INTEGER + 2, Number.POSITIVE_INFINITY, 0, '0ms']) {
      expect(() => createCacheConfig({ ttl: ttl as number })).toThrow(ConfigurationError)
      expect(cacheConfigSchema.safeParse({ ttl }).success).toBe(false)
    }
  })
})

describe('registerEngine', () => {
  const definition = (name: string, maxBytes?: boolean) => ({
    name,
    capabilities: { ...createMemoryEngine().capabilities, maxBytes: maxBytes ?? false },
    priority: 1,
    create: (config: EngineConfig) => ({ ...createMemoryEngine(config), name }),
  })

  it('warns once when a different definition replaces a registered name, unless replace: true', () => {
    const { warnings } = captureLogs()
    try {
      const first = definition('probe-engine')
      registerEngine(first)
      registerEngine(first)
      expect(warnings).toHaveLength(0)
      registerEngine(definition('probe-engine'), { replace: true })
      expect(warnings).toHaveLength(0)
      registerEngine(definition('probe-engine'))
      registerEngine(definition('probe-engine'))
      expect(warnings).toHaveLength(1)
      expect(warnings[0]).toMatch(/engine 'probe-engine' was already registered; replacing it\. Pass .*replace: true/)
    } finally {
      unregisterEngine('probe-engine')
    }
  })

  it('with maxBytes, chains skip engines that do not honour it, and naming one is a ConfigurationError naming those that do', () => {
    // 'lru' heads the mcache chain; this stand-in declares no maxBytes support.
    registerEngine(definition('lru'))
    registerEngine(definition('bytes-able', true))
    try {
      expect(mcache()((x: number) => x).engine.name).toBe('lru')
      expect(mcache({ maxBytes: 1024 })((x: number) => x).engine.name).toBe('memory')
      const error = catchError(() => mcache({ maxBytes: 1024, engine: 'lru' })((x: number) => x))
      expect(error).toBeInstanceOf(ConfigurationError)
      expect((error as Error).message).toMatch(/engine 'lru' cannot be used: it does not honour maxBytes \(engines that do: .*bytes-able/)
      expect(mcache({ maxBytes: 1024, engine: 'bytes-able' })((x: number) => x).engine.name).toBe('bytes-able')
    } finally {
      unregisterEngine('lru')
      unregisterEngine('bytes-able')
    }
  })
})

describe('the key option', () => {
  it('must return a string: undefined, an object, a promise or a number is a CacheKeyError saying so', async () => {
    for (const [bad, said] of [
      [undefined, /got undefined:/],
      [{ x: 1 }, /got an object/],
      [Promise.resolve('k'), /got a promise/],
      [42, /got 42:/],
    ] as const) {
      const f = mcache({ key: (() => bad) as never })((x: number) => x * 2)
      expect(() => f(1)).toThrow(CacheKeyError)
      expect(() => f(1)).toThrow(said)
      const g = acache({ key: (() => bad) as never })(async (x: number) => x * 2)
      await expect(g(1)).rejects.toThrow(/the key option must return a string/)
    }
  })
})
