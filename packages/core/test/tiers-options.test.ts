import { describe, expect, it } from 'vitest'
import { ConfigurationError, acache, bcache, cacheConfigSchema, createCacheConfig, mcache } from '../src/index.js'

const attempt = (wrap: () => unknown): ConfigurationError => {
  try {
    wrap()
  } catch (error) {
    return error as ConfigurationError
  }
  throw new Error('expected a ConfigurationError')
}

describe('l1 and lock options', () => {
  it('resolve their defaults: lock true is 30 s / 15 s; a lone ttl waits half of it; a lone long wait stretches the lease', () => {
    expect(createCacheConfig({ lock: true }).lock).toEqual({ ttl: 30_000, wait: 15_000 })
    expect(createCacheConfig({ lock: { ttl: '5s' } }).lock).toEqual({ ttl: 5000, wait: 2500 })
    expect(createCacheConfig({ lock: { wait: '40s' } }).lock).toEqual({ ttl: 40_000, wait: 40_000 })
    expect(createCacheConfig({ lock: false }).lock).toBeUndefined()
    expect(createCacheConfig({ maxsize: 50, l1: true }).l1).toEqual({ maxsize: 50, ttl: undefined })
    expect(createCacheConfig({ l1: { maxsize: 10, ttl: '1s' } }).l1).toEqual({ maxsize: 10, ttl: 1000 })
  })

  it('a lock ttl shorter than its wait is a ConfigurationError, in the rule table and in the zod schema', () => {
    expect(() => createCacheConfig({ lock: { ttl: '1s', wait: '2s' } })).toThrow(/lock: lock\.ttl must be ≥ lock\.wait/)
    // One issue, saying what to do, without the generic ", got an object" of a wrong type.
    const message = attempt(() => acache({ lock: { ttl: 1000, wait: 2000 } })(async (n: number) => n)).message
    expect(message).toMatch(/lock: lock\.ttl must be ≥ lock\.wait .*: raise lock\.ttl or lower lock\.wait/)
    expect(message).not.toMatch(/got an object/)
    expect(message.match(/lock\.ttl must be/g)).toHaveLength(1)
    expect(cacheConfigSchema.safeParse({ lock: { ttl: '1s', wait: '2s' } }).success).toBe(false)
    expect(() => createCacheConfig({ l1: { size: 3 } } as never)).toThrow(/unknown option 'l1\.size'/)
  })

  it('l1 on an engine that is already process-local, and lock on one that is not shared, name the engines that fit', () => {
    const l1 = attempt(() => bcache({ engine: 'memory', l1: true })((n: number) => n))
    expect(l1).toBeInstanceOf(ConfigurationError)
    expect(l1.message).toMatch(/l1 .*'memory' already keeps entries in this process.*choose an engine that fits \(/)
    const lock = attempt(() => acache({ engine: 'memory', lock: true })(async (n: number) => n))
    expect(lock.message).toMatch(/lock shares a lease between processes, but 'memory' offers none/)
    // mcache carries no tier code at all (bundle size): it says which wrappers have it.
    expect(attempt(() => mcache({ l1: true })((n: number) => n)).message).toMatch(/l1 and lock are for shared engines, which mcache does not use: use acache, bcache or ucache/)
  })

  it('l1 and lock given as objects whose reads throw are read once, by their own fields: never a stray error', () => {
    const explode = (): never => {
      throw new RangeError('getter exploded')
    }
    const hostile = new Proxy({}, { get: explode, getOwnPropertyDescriptor: explode })
    for (const field of ['l1', 'lock'] as const) {
      let thrown: unknown
      try {
        createCacheConfig({ [field]: hostile })
      } catch (error) {
        thrown = error
      }
      if (thrown !== undefined) expect(thrown).toBeInstanceOf(ConfigurationError)
    }
  })
})
