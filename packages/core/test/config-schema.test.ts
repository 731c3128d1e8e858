import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { CONFIG_RULES, optionIssues } from '../src/config.js'
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
    ttl: [1000, '5m', 'soon', true, null, {}],
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
    engineOptions: [{}, { a: 1 }, [], 'x'],
  }
  const option = fc.dictionary(fc.constantFrom(...Object.keys(candidates), 'maxsise', 'tll'), fc.constant(0), { maxKeys: 4 }).chain((keys) =>
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
