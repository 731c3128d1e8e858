/**
 * The Redis engine against a real redis-server: key layout, clear() with SCAN + UNLINK next to
 * keys that must survive, native TTL via PX, the type matrix through the wire, corrupt entries,
 * stats, auto-pipelining under many callers.
 */
import { type Logger, MISS, resetWarnings, setLogger } from '@twat-cache/core'
import { inspectEntry } from '@twat-cache/core/node'
import { Redis } from 'ioredis'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { type RedisEngine, type RedisEngineOptions, createRedisEngine, encodeNamespace, escapeGlob } from '../src/engine.js'
import { type RedisServer, redisSkipReason, startRedis } from './redis-server.js'

const skip = redisSkipReason()
if (skip) console.warn(`[redis tests] skipped: ${skip}`)

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe.skipIf(skip !== undefined)('redis engine on a real server', () => {
  let server: RedisServer
  let raw: Redis
  const open: RedisEngine[] = []
  const make = (options: RedisEngineOptions = {}): RedisEngine => {
    const engine = createRedisEngine({ namespace: 'ns', ...options, redis: { url: server.url, ...options.redis } })
    open.push(engine)
    return engine
  }

  beforeAll(async () => {
    server = await startRedis()
    raw = new Redis(server.port, server.host)
  })
  afterEach(async () => {
    for (const engine of open.splice(0)) await engine.close()
    await raw.flushdb()
  })
  afterAll(async () => {
    raw?.disconnect()
    await server?.stop()
  })

  it('stores values under `${keyPrefix}${namespace}:${key}` as framed binary entries', async () => {
    const engine = make({ namespace: 'users' })
    await engine.set('42', { name: 'Ada' })
    expect(await raw.keys('*')).toEqual(['twat-cache:users:42'])
    const stored = await raw.getBuffer('twat-cache:users:42')
    expect(stored![0]).toBe(0xf5)
    expect(inspectEntry(stored!).serializer).toBe('default')
    const custom = make({ namespace: 'users', redis: { keyPrefix: 'app1/' } })
    await custom.set('42', 1)
    expect((await raw.keys('app1/*')).sort()).toEqual(['app1/users:42'])
    expect(engine.prefix).toBe('twat-cache:users:')
  })

  it('clear() deletes only its own prefix with SCAN + UNLINK, never KEYS or FLUSHDB', async () => {
    const ns = 'we*ird?[ns]\\x'
    const engine = make({ namespace: ns, engineOptions: { scanCount: 7 } })
    for (let i = 0; i < 60; i++) await engine.set(`k${i}`, i)
    // Keys an unescaped glob `twat-cache:we*ird?[ns]\x:*` would also match, and neighbours.
    const survivors = [
      'other-app:1',
      'twat-cache:other:1',
      'twat-cache:weXYZird![ns]\\x:1', // matched by an unescaped `*` and `?`
      'twat-cache:we*ird?n\\x:1', // matched by an unescaped `[ns]` character class
      'twat-cache:we*ird?[ns]\\x', // the namespace itself without the separator
      'twat-cache:we*ird?[ns]\\xy:1', // a longer namespace sharing the prefix
      'twat-cache:ns:1',
      'plain',
    ]
    for (const key of survivors) await raw.set(key, 'keep')
    await raw.hset('a-hash', 'f', 'v')
    await raw.config('RESETSTAT')
    await engine.clear()
    const commands = await raw.info('commandstats')
    expect(await engine.size()).toBe(0)
    expect((await raw.keys('*')).sort()).toEqual([...survivors, 'a-hash'].sort())
    expect(commands).toMatch(/cmdstat_scan:calls=\d+/)
    expect(Number(/cmdstat_scan:calls=(\d+)/.exec(commands)![1])).toBeGreaterThan(5) // batches of 7
    expect(commands).toMatch(/cmdstat_unlink:calls=\d+/)
    expect(commands).not.toMatch(/cmdstat_keys:|cmdstat_flushdb:|cmdstat_flushall:/)
  })

  it('escapes every glob character of a namespace, and the separator', () => {
    expect(escapeGlob('a*b?c[d]e\\f')).toBe('a\\*b\\?c\\[d\\]e\\\\f')
    expect(encodeNamespace('a:b%3Ac')).toBe('a%3Ab%253Ac')
  })

  it('size() and keys() see only this namespace, through SCAN', async () => {
    const a = make({ namespace: 'a', engineOptions: { scanCount: 3 } })
    const b = make({ namespace: 'a:b' })
    for (let i = 0; i < 10; i++) await a.set(`k${i}`, i)
    await b.set('k0', 'b')
    await raw.set('twat-cache:ab:x', 1)
    expect(b.prefix).toBe('twat-cache:a%3Ab:') // a ':' in a namespace is escaped
    expect(await a.size()).toBe(10)
    const keys: string[] = []
    for await (const k of b.keys()) keys.push(k)
    expect(keys).toEqual(['k0'])
    await a.clear()
    expect(await b.get('k0')).toBe('b')
    expect(await raw.exists('twat-cache:ab:x')).toBe(1)
  })

  it('ttl sets PX on the key, and Redis expires it', async () => {
    const engine = make({ ttl: 250 })
    await engine.set('cfg', 'v')
    await engine.set('call', 'v', { ttl: 120.2 })
    await engine.set('forever', 'v', { ttl: Number.POSITIVE_INFINITY })
    const cfg = await raw.pttl('twat-cache:ns:cfg')
    expect(cfg).toBeGreaterThan(150)
    expect(cfg).toBeLessThanOrEqual(250)
    const call = await raw.pttl('twat-cache:ns:call')
    expect(call).toBeGreaterThan(50)
    expect(call).toBeLessThanOrEqual(121) // rounded up to whole ms, never down
    expect(await raw.pttl('twat-cache:ns:forever')).toBe(-1)
    await sleep(350)
    expect(await engine.get('cfg')).toBe(MISS)
    expect(await engine.get('call')).toBe(MISS)
    expect(await engine.get('forever')).toBe('v')
    expect(await engine.has('cfg')).toBe(false)
  })

  it('round-trips the type matrix through the wire, compressed or not', async () => {
    const values: [string, unknown][] = [
      ['Date', new Date(1_700_000_000_123)],
      ['Map', new Map<unknown, unknown>([['a', 1], [2, { b: [3n] }]])],
      ['Set', new Set([1, 'a', 3n])],
      ['BigInt', -12345678901234567890123n],
      ['Uint8Array', Uint8Array.from([0, 1, 255])],
      ['Float64Array', Float64Array.from([0.5, -0, Number.NaN])],
      ['Int32Array', Int32Array.from([-1, 2 ** 31 - 1])],
      ['Buffer', Buffer.from('héllo')],
      ['NaN', Number.NaN],
      ['-0', -0],
      ['undefined', undefined],
      ['null', null],
      ['RegExp', /a+b?/gi],
      ['nested', { when: new Date(0), tags: new Set(['x']), index: new Map([['k', [1n, undefined, -0]]]), big: 'x'.repeat(5000) }],
    ]
    for (const compress of [false, true] as const) {
      const engine = make({ namespace: `types-${compress}`, compress })
      for (const [label, value] of values) await engine.set(label, value)
      for (const [label, value] of values) {
        const got = await engine.get(label)
        expect(got, label).toStrictEqual(value)
        if (typeof value === 'number') expect(Object.is(got, value), label).toBe(true)
      }
      const nested = await raw.getBuffer(`twat-cache:types-${compress}:nested`)
      expect(inspectEntry(nested!).compression).toBe(compress ? 'gzip' : 'none')
    }
  })

  it('an undecodable entry is a miss, warned about once, and overwritten by the next set', async () => {
    const warnings: string[] = []
    const logger: Logger = { debug() {}, info() {}, warn: (m: string) => warnings.push(m), error() {} }
    setLogger(logger, 'warn')
    resetWarnings()
    try {
      const engine = make({ namespace: 'corrupt' })
      await raw.set('twat-cache:corrupt:k', 'not a twat-cache entry')
      await raw.set('twat-cache:corrupt:k2', Buffer.from([0xf5, 99, 0, 0, 1]))
      expect(await engine.get('k')).toBe(MISS)
      expect(await engine.get('k2')).toBe(MISS)
      expect(await engine.get('k')).toBe(MISS)
      expect(warnings).toHaveLength(1)
      expect(warnings[0]).toMatch(/\[twat-cache:redis\].*cannot be decoded/)
      await engine.set('k', 'fresh')
      expect(await engine.get('k')).toBe('fresh')
      const stats = await engine.stats()
      expect(stats.misses).toBe(3)
      expect(stats.hits).toBe(1)
    } finally {
      setLogger(console, 'warn')
      resetWarnings()
    }
  })

  it('stats() adds the server keyspace hits and misses from INFO to our own counters', async () => {
    const engine = make({ namespace: 'stats' })
    const before = await engine.stats()
    await engine.set('a', 1)
    await engine.get('a')
    await engine.get('nope')
    const after = await engine.stats()
    expect(after.hits - before.hits).toBe(1)
    expect(after.misses - before.misses).toBe(1)
    expect(after.size).toBe(1)
    expect(after.connected).toBe(true)
    expect((after.serverHits as number) - (before.serverHits as number)).toBeGreaterThanOrEqual(1)
    expect((after.serverMisses as number) - (before.serverMisses as number)).toBeGreaterThanOrEqual(1)
  })

  it('serves 1,000 concurrent callers correctly over one auto-pipelined connection', async () => {
    const engine = make({ namespace: 'many' })
    await Promise.all(Array.from({ length: 1000 }, (_, i) => engine.set(`k${i}`, { i, d: new Date(i) })))
    const client = engine.client as Redis
    // A lone caller's command is written at once; concurrent ones are batched (auto-pipelined).
    const lone = engine.get('k0')
    expect(client.autoPipelineQueueSize).toBe(0)
    expect(await lone).toEqual({ i: 0, d: new Date(0) })
    const pending = Array.from({ length: 1000 }, (_, i) => engine.get(`k${i}`))
    expect(client.autoPipelineQueueSize).toBe(999)
    const got = await Promise.all(pending)
    got.forEach((value, i) => expect(value).toEqual({ i, d: new Date(i) }))
    // Interleaved writes and reads of one key from one caller keep their order.
    const order = [engine.set('o', 1), engine.get('o'), engine.set('o', 2), engine.get('o'), engine.delete('o'), engine.get('o')]
    expect(await Promise.all(order)).toEqual([undefined, 1, undefined, 2, true, MISS])
    const clients = await raw.client('LIST')
    // One connection for the engine (plus our inspection client), not one per caller.
    expect(String(clients).trim().split('\n')).toHaveLength(2)
  })

  it('uses the configured database', async () => {
    const engine = make({ namespace: 'db', redis: { db: 3 } })
    await engine.set('k', 'three')
    expect(await raw.exists('twat-cache:db:k')).toBe(0)
    const db3 = new Redis({ port: server.port, host: server.host, db: 3 })
    try {
      expect(await db3.exists('twat-cache:db:k')).toBe(1)
      await db3.flushdb()
    } finally {
      db3.disconnect()
    }
  })

  it('rejects a value the serializer cannot store with a SerializationError, and stores nothing', async () => {
    const engine = make({ namespace: 'bad' })
    await expect(engine.set('f', () => 1)).rejects.toMatchObject({ name: 'SerializationError' })
    expect(await raw.exists('twat-cache:bad:f')).toBe(0)
  })
})
