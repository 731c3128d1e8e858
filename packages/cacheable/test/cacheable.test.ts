import { Keyv, KeyvCacheableMemory } from 'cacheable'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createCacheConfig } from '../../core/src/config.js'
import { ConfigurationError, EngineError } from '../../core/src/errors.js'
import { resetWarnings, setLogger } from '../../core/src/logger.js'
import { getEngine, selectEngine } from '../../core/src/registry.js'
import { MISS } from '../../core/src/types.js'
import { CACHEABLE_CAPABILITIES, type CacheableEngine, createCacheableEngine } from '../src/engine.js'
import { CACHEABLE_PRIORITY } from '../src/index.js'

const open: CacheableEngine[] = []
function make(namespace: string, secondary?: Keyv, extra: Parameters<typeof createCacheableEngine>[0] = {}): CacheableEngine {
  const engine = createCacheableEngine({ namespace, ...extra, engineOptions: { ...(secondary ? { secondary } : {}), ...extra.engineOptions } })
  open.push(engine)
  return engine
}

afterEach(async () => {
  vi.useRealTimers()
  for (const engine of open.splice(0)) await engine.close()
})

const VALUES: [string, unknown][] = [
  ['undefined', undefined],
  ['null', null],
  ['0', 0],
  ["''", ''],
  ['false', false],
  ['NaN', Number.NaN],
  ['object', { a: [1, 'two', { deep: true }] }],
  ['Date', new Date(1_700_000_000_000)],
  ['Map', new Map<unknown, unknown>([['k', 1], [2, new Set(['x'])]])],
  ['BigInt', 123456789012345678901234567890n],
  ['Uint8Array', Uint8Array.from([0, 1, 255])],
]

describe('secondary Keyv store', () => {
  it.each(VALUES)('a %s written through one engine is read back by another from the secondary', async (_label, value) => {
    const keyv = new Keyv()
    await make('ns', keyv).set('k', value)
    const reader = make('ns', keyv)
    const got = await reader.get('k')
    expect(got).not.toBe(MISS)
    expect(got).toStrictEqual(value)
  })

  it('layers: a secondary hit is copied into the primary, which then serves it alone', async () => {
    const keyv = new Keyv()
    const writer = make('layer', keyv)
    await writer.set('k', { n: 1 })
    // Entries sit in the user's store under `<namespace>:<key>`, encoded (never Keyv's JSON).
    expect(typeof (await keyv.get('layer:k'))).toBe('string')

    const reader = make('layer', keyv)
    expect(await reader.size!()).toBe(0)
    expect(await reader.get('k')).toEqual({ n: 1 })
    expect(await reader.size!()).toBe(1)
    await keyv.delete('layer:k')
    expect(await reader.get('k')).toEqual({ n: 1 })
    expect(await make('layer', keyv).get('k')).toBe(MISS)
  })

  it('a primary hit returns the held object; a secondary hit returns a decoded copy, then holds it', async () => {
    const keyv = new Keyv()
    const value = { n: 1 }
    const writer = make('live', keyv)
    await writer.set('k', value)
    expect(await writer.get('k')).toBe(value)
    const copy = await make('live', keyv).get('k')
    expect(copy).toEqual(value)
    expect(copy).not.toBe(value)
    expect(writer.capabilities.structured).toBe(true)
  })

  it('maxsize bounds the memory layer only, so the layered engine declares no eviction policy', async () => {
    const keyv = new Keyv()
    const engine = make('bound', keyv, { maxsize: 2 })
    for (const k of ['a', 'b', 'c', 'd']) await engine.set(k, k)
    expect(await engine.size!()).toBe(2)
    expect(await engine.get('a')).toBe('a') // evicted from memory, served by the secondary
    expect(engine.capabilities.policies).toEqual([])
  })

  it('delete and has reach both layers', async () => {
    const keyv = new Keyv()
    const a = make('del', keyv)
    await a.set('k', 0)
    const b = make('del', keyv)
    expect(await b.has!('k')).toBe(true)
    expect(await b.delete('k')).toBe(true)
    expect(await keyv.get('del:k')).toBeUndefined()
    expect(await b.delete('k')).toBe(false)
    expect(await make('del', keyv).has!('k')).toBe(false)
  })

  it('clear() removes only its own namespace from a shared secondary', async () => {
    const keyv = new Keyv()
    await keyv.set('foreign', 'not ours')
    const a = make('app.a', keyv)
    const b = make('app.b', keyv)
    for (const k of ['x', 'y']) {
      await a.set(k, `a-${k}`)
      await b.set(k, `b-${k}`)
    }
    await a.clear()
    expect(await a.get('x')).toBe(MISS)
    expect(await keyv.get('app.a:x')).toBeUndefined()
    expect(await keyv.get('app.a:y')).toBeUndefined()
    // b, and a fresh engine reading only the secondary, still see namespace b; others' keys stay.
    expect(await b.get('x')).toBe('b-x')
    expect(await make('app.b', keyv).get('y')).toBe('b-y')
    expect(await keyv.get('foreign')).toBe('not ours')
  })

  it('per-entry ttl reaches the secondary, and the primary copy keeps the remaining time', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    const keyv = new Keyv()
    await make('ttl', keyv).set('k', 'v', { ttl: 1_000 })
    vi.advanceTimersByTime(600)
    const reader = make('ttl', keyv)
    expect(await reader.get('k')).toBe('v')
    vi.advanceTimersByTime(500)
    expect(await reader.get('k')).toBe(MISS)
    expect(await keyv.get('ttl:k')).toBeUndefined()
  })

  it('compresses values for the secondary when compress is configured', async () => {
    const keyv = new Keyv()
    const big = 'abc'.repeat(10_000)
    await make('zip', keyv, { compress: { algorithm: 'gzip', threshold: 100 } }).set('k', big)
    expect(((await keyv.get('zip:k')) as string).length).toBeLessThan(2_000)
    expect(await make('zip', keyv).get('k')).toBe(big)
  })

  it('an entry it cannot decode is a miss, warned about once, then overwritten', async () => {
    const warnings: string[] = []
    setLogger({ debug() {}, info() {}, warn: (m: string) => warnings.push(m), error() {} })
    resetWarnings()
    try {
      const keyv = new Keyv()
      await keyv.set('bad:k', 'not an entry')
      await keyv.set('bad:j', 'nor this')
      const engine = make('bad', keyv)
      expect(await engine.get('k')).toBe(MISS)
      expect(await engine.get('j')).toBe(MISS)
      expect(warnings).toHaveLength(1)
      expect(warnings[0]).toMatch(/namespace 'bad'.*cannot be decoded/)
      await engine.set('k', 7)
      expect(await make('bad', keyv).get('k')).toBe(7)
    } finally {
      setLogger(console)
      resetWarnings()
    }
  })

  it("reports a failing secondary as an EngineError with the store's error as cause", async () => {
    const broken = new Map<string, unknown>()
    const failure = new Error('disk on fire')
    const store = Object.assign(broken, {
      set: () => {
        throw failure
      },
    })
    const keyv = new Keyv({ store })
    const engine = make('fail', keyv)
    const error = await engine.set('k', 1).then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(error).toBeInstanceOf(EngineError)
    expect((error as EngineError).cause).toBe(failure)
  })

  it('a secondary that cannot list keys makes clear() throw an actionable EngineError', async () => {
    const keyv = new Keyv({ store: new KeyvCacheableMemory() })
    const engine = make('noiter', keyv)
    await engine.set('k', 1)
    await expect(engine.clear()).rejects.toThrow(/cannot list keys/)
    // The primary was still cleared; the secondary keeps the entry, as the error says.
    expect(await engine.size!()).toBe(0)
    expect(await engine.get('k')).toBe(1)
  })

  it('rejects a secondary that is not a Keyv, or a Keyv without a namespace', () => {
    expect(() => createCacheableEngine({ engineOptions: { secondary: new Map() } })).toThrow(/Keyv instance/)
    const bare = new Keyv()
    bare.namespace = undefined
    expect(() => createCacheableEngine({ engineOptions: { secondary: bare } })).toThrow(/no namespace/)
  })

  it('close() leaves the shared secondary connected and drops its listener', async () => {
    const keyv = new Keyv()
    const before = keyv.listeners('error').length
    const engine = createCacheableEngine({ namespace: 'c', engineOptions: { secondary: keyv } })
    expect(keyv.listeners('error').length).toBe(before + 1)
    await engine.set('k', 1)
    await engine.close()
    await engine.close()
    expect(keyv.listeners('error').length).toBe(before)
    expect(await make('c', keyv).get('k')).toBe(1)
  })
})

describe('without a secondary', () => {
  it('clear() of one engine leaves another namespace alone', async () => {
    const a = make('one')
    const b = make('two')
    await a.set('k', 'a')
    await b.set('k', 'b')
    await a.clear()
    expect(await a.get('k')).toBe(MISS)
    expect(await b.get('k')).toBe('b')
  })

  it('keeps live values and evicts least recently used at maxsize', async () => {
    const engine = make('lru', undefined, { maxsize: 2 })
    const value = { live: true }
    await engine.set('a', value)
    await engine.set('b', 2)
    expect(await engine.get('a')).toBe(value)
    await engine.set('c', 3)
    expect(await engine.get('b')).toBe(MISS)
    expect(await engine.get('a')).toBe(value)
    expect(engine.capabilities).toEqual(CACHEABLE_CAPABILITIES)
  })
})

describe('options and policies', () => {
  it('rejects unknown engineOptions, naming them', () => {
    expect(() => createCacheableEngine({ engineOptions: { secondry: new Keyv() } })).toThrow(/engineOptions\.secondry/)
    expect(() => createCacheableEngine({ engineOptions: { nonBlocking: 'no' } })).toThrow(ConfigurationError)
  })

  it('registers as async with lru only, first of the async chain', async () => {
    await import('../src/index.js')
    const definition = getEngine('cacheable')!
    expect(definition.capabilities.mode).toBe('async')
    expect(definition.packageName).toBe('@twat-cache/cacheable')
    expect(CACHEABLE_PRIORITY).toBeGreaterThan(getEngine('memory')!.priority)
    expect(selectEngine(createCacheConfig({}), { chain: 'async' }).name).toBe('cacheable')
  })

  it.each(['lfu', 'fifo', 'rr'] as const)("policy '%s' with engine 'cacheable' is a ConfigurationError; the chain skips it", async (policy) => {
    await import('../src/index.js')
    expect(() => selectEngine(createCacheConfig({ engine: 'cacheable', policy }), { chain: 'async' })).toThrow(ConfigurationError)
    expect(() => createCacheableEngine({ policy })).toThrow(/policy/)
    expect(selectEngine(createCacheConfig({ policy }), { chain: 'async' }).name).not.toBe('cacheable')
  })

  it('cannot serve a sync function: explicit request throws, the memory chain skips it', async () => {
    await import('../src/index.js')
    expect(() => selectEngine(createCacheConfig({ engine: 'cacheable' }), { chain: 'memory', mode: 'sync' })).toThrow(/async/)
    expect(selectEngine(createCacheConfig({}), { chain: 'async', mode: 'sync' }).name).not.toBe('cacheable')
  })
})
