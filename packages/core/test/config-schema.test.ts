import fc from 'fast-check'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { CONFIG_RULES, WRAPPER_FIELDS, createCacheConfig, optionIssues } from '../src/config.js'
import { ConfigurationError } from '../src/errors.js'
import { cacheConfigSchema, compressSchema, redisSchema, serializerSchema } from '../src/schema.js'

// createCacheConfig validates with a small rule table (so zod stays out of the minimal
// bundle); the published zod schema must accept and reject exactly the same shapes.

const shapeKeys = (schema: { def: { shape: Record<string, unknown> } }) => Object.keys(schema.def.shape).sort()

describe('the rule table and the zod schema', () => {
  it('name the same fields', () => {
    expect(Object.keys(CONFIG_RULES).sort()).toEqual(shapeKeys(cacheConfigSchema))
  })

  // Values per field: valid ones and near misses, so generated objects cross every boundary.
  const fn = () => 'k'
  const candidates: Record<string, unknown[]> = {
    maxsize: [1, 5, 0, -1, 1.5, '3', Number.NaN, 2 ** 53],
    maxBytes: [1, 1024, 0, 2.5, 'x'],
    ttl: [1000, '5m', 'soon', true, null, {}, fn],
    jitter: [0, 0.5, 1, 1.5, -0.1, '0.5'],
    staleWhileRevalidate: [1000, '1m', -1, 'x'],
    staleIfError: [500, '2s', 0],
    timeout: [100, '2s', 'x'],
    hardTimeout: [1000, '1s', -5],
    revalidate: [fn, 'no'],
    policy: ['lru', 'lfu', 'fifo', 'rr', 'mru', 1],
    engine: ['lru', '', 3],
    preferredEngine: ['sqlite', false],
    namespace: ['ns', '', 1],
    folderName: ['x', 1],
    cacheDir: ['/tmp/x', ''],
    useSql: [true, false, 'yes'],
    compress: [true, false, {}, { algorithm: 'gzip', level: 9, threshold: 0 }, { algorithm: 'zstd' }, { level: 12 }, { threshold: -1 }, { extra: 1 }, 'gzip'],
    secure: [true, 0],
    serializer: ['json', 'default', 'yaml', { serialize: fn, deserialize: fn }, { serialize: fn }, { serialize: 1, deserialize: fn }],
    redis: [{}, { url: 'redis://x' }, { port: 6379, db: 0 }, { port: 0 }, { port: 70000 }, { db: -1 }, { tls: true }, { tls: { ca: 'x' } }, { tls: 'yes' }, { sentinels: [{ host: 'h', port: 1 }] }, { sentinels: [{ host: 'h' }] }, { cluster: 'x' }, { options: { a: 1 } }, { bogus: 1 }],
    key: [fn, 'k'],
    tags: [['a', 'b'], [], [''], ['x'.repeat(256)], ['x'.repeat(257)], [1], fn, 'a', {}],
    engineOptions: [{}, { a: 1 }, [], 'x'],
  }
  const option = fc.dictionary(fc.constantFrom(...Object.keys(candidates), 'maxsise', 'tll'), fc.constant(0), { maxKeys: 5 }).chain((keys) =>
    fc.record(Object.fromEntries(Object.keys(keys).map((k) => [k, fc.constantFrom(...(candidates[k] ?? [1]))]))),
  )

  it('accept and reject the same inputs', () => {
    fc.assert(
      fc.property(option, (input) => {
        expect(optionIssues(input).length === 0).toBe(cacheConfigSchema.safeParse(input).success)
      }),
      { numRuns: 2000 },
    )
  })

  it('agree on every nested schema too', () => {
    for (const value of candidates.redis!) expect(optionIssues({ redis: value }).length === 0).toBe(redisSchema.safeParse(value).success)
    for (const value of candidates.compress!) expect(optionIssues({ compress: value }).length === 0).toBe(compressSchema.safeParse(value).success)
    for (const value of candidates.serializer!) expect(optionIssues({ serializer: value }).length === 0).toBe(serializerSchema.safeParse(value).success)
  })

  it('reject non-object options as a whole', () => {
    for (const input of [null, 3, 'x', []]) {
      expect(optionIssues(input)).toHaveLength(1)
      expect(cacheConfigSchema.safeParse(input).success).toBe(false)
    }
  })
})

describe('TWAT_CACHE_REDIS_* environment overrides', () => {
  afterEach(() => {
    vi.unstubAllEnvs()
  })

  it('leave the options alone when unset or empty', () => {
    vi.stubEnv('TWAT_CACHE_REDIS_HOST', '')
    const redis = { host: 'h', port: 1 }
    expect(createCacheConfig({ redis }).redis).toBe(redis)
    expect(createCacheConfig({}).redis).toBeUndefined()
  })

  it('override single fields, parsing numbers, without touching the caller object', () => {
    vi.stubEnv('TWAT_CACHE_REDIS_HOST', 'env-host')
    vi.stubEnv('TWAT_CACHE_REDIS_PORT', '6380')
    vi.stubEnv('TWAT_CACHE_REDIS_DB', '3')
    vi.stubEnv('TWAT_CACHE_REDIS_PASSWORD', 'pw')
    const redis = { host: 'h', port: 1, keyPrefix: 'p:' }
    expect(createCacheConfig({ redis }).redis).toEqual({ host: 'env-host', port: 6380, db: 3, password: 'pw', keyPrefix: 'p:' })
    expect(redis).toEqual({ host: 'h', port: 1, keyPrefix: 'p:' })
    expect(createCacheConfig({}).redis).toEqual({ host: 'env-host', port: 6380, db: 3, password: 'pw' })
  })

  it('a URL replaces the connection written in code; later variables still apply on top', () => {
    vi.stubEnv('TWAT_CACHE_REDIS_URL', 'redis://env:6379/1')
    const redis = { host: 'h', port: 1, db: 2, username: 'u', password: 'p', keyPrefix: 'p:' }
    expect(createCacheConfig({ redis }).redis).toEqual({ url: 'redis://env:6379/1', keyPrefix: 'p:' })
    vi.stubEnv('TWAT_CACHE_REDIS_PORT', '7000')
    expect(createCacheConfig({ redis }).redis).toEqual({ url: 'redis://env:6379/1', port: 7000, keyPrefix: 'p:' })
  })

  it('reject a port or db that is not a whole number, naming the variable', () => {
    vi.stubEnv('TWAT_CACHE_REDIS_PORT', 'x')
    expect(() => createCacheConfig({})).toThrow(ConfigurationError)
    expect(() => createCacheConfig({})).toThrow(/TWAT_CACHE_REDIS_PORT='x' must be a whole number/)
    vi.stubEnv('TWAT_CACHE_REDIS_PORT', '1')
    vi.stubEnv('TWAT_CACHE_REDIS_DB', '-1')
    expect(() => createCacheConfig({})).toThrow(/TWAT_CACHE_REDIS_DB='-1'/)
  })
})

describe('"did you mean" hints for unknown options', () => {
  // The textbook dynamic-programming edit distance, as the reference.
  function editDistance(a: string, b: string): number {
    const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)))
    for (let i = 1; i <= a.length; i++) {
      for (let j = 1; j <= b.length; j++) {
        d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1))
      }
    }
    return d[a.length]![b.length]!
  }
  const names = Object.keys(CONFIG_RULES)
  const expectedHint = (word: string) => {
    let best: string | undefined
    let bestDistance = 3
    // The hint also names fields of hybridCache and smartCache (and says whose they are).
    for (const name of [...names, ...Object.keys(WRAPPER_FIELDS)]) {
      const d = editDistance(word.toLowerCase(), name.toLowerCase())
      if (d < bestDistance) [best, bestDistance] = [name, d]
    }
    return best
  }
  const hintOf = (word: string) => optionIssues({ [word]: 1 })[0]?.match(/did you mean '([^']+)'/)?.[1]

  it('suggest the nearest option within two edits, ignoring case', () => {
    expect(hintOf('maxsise')).toBe('maxsize')
    expect(hintOf('tll')).toBe('ttl')
    expect(hintOf('polciy')).toBe('policy')
    expect(hintOf('MaxSize')).toBe('maxsize')
    expect(hintOf('namespce')).toBe('namespace')
    expect(hintOf('colour')).toBeUndefined()
  })

  it('agree with the textbook edit distance on generated typos', () => {
    const typo = fc
      .tuple(fc.constantFrom(...names), fc.array(fc.tuple(fc.nat(), fc.constantFrom('', 'a', 'e', 'x', 'S')), { maxLength: 3 }))
      .map(([name, edits]) => edits.reduce((s, [at, c]) => s.slice(0, at % (s.length + 1)) + c + s.slice((at % (s.length + 1)) + (c === '' || at % 2 ? 1 : 0)), name))
    fc.assert(
      fc.property(typo, (word) => {
        fc.pre(!names.includes(word) && !Object.hasOwn(WRAPPER_FIELDS, word) && word !== '')
        expect(hintOf(word)).toBe(expectedHint(word))
      }),
      { numRuns: 1000 },
    )
  })
})
