import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { CONFIG_RULES } from '../src/config.js'
import { ConfigurationError, acache, bcache, createCacheConfig, fcache, hybridCache, mcache, setLogger, smartCache, ucache } from '../src/index.js'

// Options come from users, config files and JSON. Whatever the keys, prototype or values, an
// invalid options object gets one ConfigurationError naming the fields, never a TypeError.

const PROTOTYPE_NAMES = ['__proto__', 'hasOwnProperty', 'valueOf', 'constructor', 'toString', 'isPrototypeOf', 'toLocaleString']
const throwing = () => {
  throw new RangeError('getter exploded')
}
const hostileValue = fc.oneof(
  fc.constantFrom<unknown>(0, -1, 1.5, 1000, '5m', 'abc', '', true, false, null, Number.NaN, 2 ** 31, [], 'lru', 'mru'),
  fc.string({ maxLength: 4 }).map((d) => Symbol(d)),
  fc.constant({ toString: {} }),
  fc.constant(Object.create(null)),
  fc.constant(Object.freeze({ host: '' })),
  fc.constant(new Proxy({}, { ownKeys: throwing })),
  fc.constant(new Proxy({}, { get: throwing, getOwnPropertyDescriptor: throwing })),
  fc.constant(() => 'k'),
)
const key = fc.oneof(fc.constantFrom(...Object.keys(CONFIG_RULES), ...PROTOTYPE_NAMES, 'sizeThreshold', 'small', 'persistence'), fc.string({ maxLength: 6 }))
const entry = fc.tuple(key, hostileValue, fc.constantFrom('plain', 'getter'))

/** An options object built one of the hostile ways. */
const hostileOptions = fc
  .tuple(fc.array(entry, { maxLength: 4 }), fc.constantFrom('object', 'null-prototype', 'frozen', 'proxy', 'json'))
  .map(([entries, how]): unknown => {
    if (how === 'json') {
      // JSON.parse makes `__proto__` an own property, as a config file would.
      const text = `{${entries.map(([k], i) => `${JSON.stringify(k)}: ${i % 2 ? 'false' : '1'}`).join(',')}}`
      return JSON.parse(text)
    }
    const target: Record<string, unknown> = how === 'null-prototype' ? Object.create(null) : {}
    for (const [k, v, kind] of entries) {
      Object.defineProperty(target, k, kind === 'getter' ? { get: throwing, enumerable: true, configurable: true } : { value: v, enumerable: true, configurable: true, writable: true })
    }
    if (how === 'frozen') return Object.freeze(target)
    if (how === 'proxy') return new Proxy(target, {})
    return target
  })

const checks: Record<string, (options: never) => unknown> = {
  createCacheConfig,
  mcache,
  bcache,
  fcache,
  acache,
  ucache,
  hybridCache,
  smartCache,
}

describe('hostile options', () => {
  for (const [name, use] of Object.entries(checks)) {
    it(`${name}: accepted, or one ConfigurationError naming the fields`, () => {
      setLogger({ debug() {}, info() {}, warn() {}, error() {} }, 'silent')
      try {
        fc.assert(
          fc.property(hostileOptions, (options) => {
            try {
              use(options as never)
            } catch (error) {
              expect(error).toBeInstanceOf(ConfigurationError)
              const issues = (error as ConfigurationError).issues
              expect(issues.length).toBeGreaterThan(0)
              for (const issue of issues) expect(typeof issue).toBe('string')
            }
          }),
          { numRuns: Number(process.env.FUZZ_RUNS ?? 300) },
        )
      } finally {
        setLogger(console, 'warn')
      }
    })
  }

  it.each([
    ['__proto__ from JSON', JSON.parse('{"__proto__": false}'), '__proto__'],
    ['hasOwnProperty', { hasOwnProperty: false }, 'hasOwnProperty'],
    ['valueOf', { valueOf: 1 }, 'valueOf'],
    ['constructor: Symbol()', { constructor: Symbol() }, 'constructor'],
    ['constructor: 1', { constructor: 1 }, 'constructor'],
    ['toString: {}', { toString: {} }, 'toString'],
    ['a getter that throws', Object.defineProperty({}, 'ttl', { get: throwing, enumerable: true }), 'ttl'],
    ['a symbol ttl', { ttl: Symbol('x') }, 'ttl'],
  ])('%s: a ConfigurationError naming the field', (_, options, field) => {
    for (const use of Object.values(checks)) {
      let error: unknown
      try {
        use(options as never)
      } catch (e) {
        error = e
      }
      expect(error).toBeInstanceOf(ConfigurationError)
      expect((error as ConfigurationError).issues.join('\n')).toContain(field)
    }
  })
})
