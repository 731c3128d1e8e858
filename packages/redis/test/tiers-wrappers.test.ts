/**
 * `l1` through every wrapper that reaches Redis (acache, ucache, and bcache/fcache with
 * `engine: 'redis'`), on a real redis-server. A second engine on the same server plays the other
 * process: its write, delete, clear and tag invalidation must leave this one's L1.
 */
import { type Cached, type Cacher, ConfigurationError, type TieredEngine, acache, bcache, createTieredEngine, fcache, invalidateTags, mcache, ucache } from '@twat-cache/core'
import { Redis } from 'ioredis'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createRedisEngine } from '../src/engine.js'
import '../src/index.js'
import { redisSkipReason } from './redis-server.js'
import { useRedis } from './use-redis.js'

const skip = redisSkipReason()
if (skip) console.warn(`[redis l1 wrapper tests] skipped: ${skip}`)

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
/** Polls `check` until it is true; fails after `ms` (the coherence bound the contract states). */
async function within(ms: number, check: () => boolean | Promise<boolean>): Promise<void> {
  const start = performance.now()
  while (!(await check())) {
    if (performance.now() - start > ms) throw new Error(`not within ${ms} ms`)
    await sleep(2)
  }
}

const wrappers: ReadonlyArray<[string, (options: Record<string, unknown>) => Cacher]> = [
  ['acache', (o) => acache(o) as Cacher],
  ['ucache', ucache],
  ['ucache (redis settings, no engine)', ({ engine: _, ...o }) => ucache(o)],
  ['bcache', bcache],
  ['fcache', fcache],
]

describe.skipIf(skip !== undefined)('l1 through every wrapper on Redis', () => {
  const server = useRedis()
  const open: Array<{ close(): unknown }> = []
  afterEach(async () => {
    vi.useRealTimers()
    await Promise.all(open.splice(0).map((e) => e.close()))
  })

  /** Commands the server processed while `body` ran (INFO's own command excluded). */
  async function commandsDuring(body: () => Promise<void>): Promise<number> {
    const raw = new Redis(server.port, server.host)
    const total = async () => Number(/total_commands_processed:(\d+)/.exec(await raw.info('stats'))![1])
    try {
      const before = await total()
      await body()
      return (await total()) - before - 1
    } finally {
      raw.disconnect()
    }
  }

  /** A cached function on `namespace` with l1, the other "process" on it, and a way to see L1. */
  function setup(wrap: (options: Record<string, unknown>) => Cacher, namespace: string, options: Record<string, unknown> = {}) {
    const redis = { url: server.url }
    const runs = { n: 0 }
    const f = wrap({ engine: 'redis', redis, namespace, l1: true, ...options })(async (id: number) => `${id}:${++runs.n}`) as Cached<(id: number) => Promise<string>>
    const other = createRedisEngine({ namespace, redis })
    open.push(f.engine, other)
    const { l1 } = f.engine as unknown as TieredEngine
    /** Until `f(1)` answers `value` and L1 holds it (the watch is live and a read promoted it). */
    const cached = (value: string) => within(1000, async () => (await f(1)) === value && l1.size() === 1)
    return { f, other, l1, runs, cached }
  }

  describe.each(wrappers)('%s', (name, wrap) => {
    const ns = name.replace(/\W+/g, '-')

    it('serves a hit from L1 (no command reaches Redis); a write, delete and clear by another engine leave L1', async () => {
      const { f, other, l1, runs, cached } = setup(wrap, `${ns}-coh`)
      expect(f.engine.name).toBe('redis')
      expect(await f(1)).toBe('1:1')
      await cached('1:1')
      const [key] = l1.keys() as string[]
      const hitsBefore = f.cacheInfo().hits
      expect(
        await commandsDuring(async () => {
          for (let i = 0; i < 5; i++) expect(await f(1)).toBe('1:1')
        }),
      ).toBe(0)
      expect(f.cacheInfo().hits).toBe(hitsBefore + 5)

      await other.set(key!, 'by other')
      await within(1000, () => !l1.has(key!))
      expect(await f(1)).toBe('by other')
      await cached('by other')

      // Another cached function on the namespace (no l1): its cacheDelete and cacheClear.
      const g = wrap({ engine: 'redis', redis: { url: server.url }, namespace: `${ns}-coh` })(async (id: number) => `${id} by g`) as Cached<(id: number) => Promise<string>>
      open.push(g.engine)
      expect(await g.cacheDelete(1)).toBe(true)
      await within(1000, () => !l1.has(key!))
      expect(await f(1)).toBe('1:2')
      await cached('1:2')

      await g.cacheClear()
      await within(1000, () => l1.size() === 0)
      expect(await f(1)).toBe('1:3')
      expect(runs.n).toBe(3)
      expect(f.cacheInfo()).toMatchObject({ engine: 'redis', misses: 3, errors: 0 })
      // size is the store's count (one entry), reported once the engine answered.
      await within(1000, () => f.cacheInfo().size === 1)
    })

    it('honours ttl and staleWhileRevalidate on an entry served from L1', async () => {
      vi.useFakeTimers({ toFake: ['Date'] })
      const { f, other, l1, runs, cached } = setup(wrap, `${ns}-swr`, { ttl: '1s', staleWhileRevalidate: '1m' })
      expect(await f(1)).toBe('1:1')
      await cached('1:1')
      const [key] = l1.keys() as string[]
      vi.setSystemTime(Date.now() + 1500)
      expect(l1.size()).toBe(1)
      expect(await f(1)).toBe('1:1') // stale, from L1, refreshed in the background
      // Until the refresh landed in Redis (reads meanwhile would be stale ones too).
      await within(1000, async () => ((await other.get(key!)) as { value?: unknown } | undefined)?.value === '1:2')
      expect(await f(1)).toBe('1:2')
      expect(runs.n).toBe(2)
      expect(f.cacheInfo()).toMatchObject({ stale: 1, refreshes: 1 })
      // Past the stale window as well: recomputed, never served.
      vi.setSystemTime(Date.now() + 120_000)
      expect(await f(1)).toBe('1:3')
    })

    it('honours tags invalidated by another engine on an entry served from L1', async () => {
      const { f, other, cached } = setup(wrap, `${ns}-tags`, { tags: ['t:1'] })
      expect(await f(1)).toBe('1:1')
      await cached('1:1')
      await invalidateTags(['t:1'], { engine: other })
      await within(1000, async () => (await f(1)) === '1:2')
    })
  })

  it('is refused for mcache, and for a sync function on redis', () => {
    expect(() => mcache({ l1: true } as never)((n: number) => n)).toThrow(/l1 and lock are for shared engines/)
    for (const wrap of [bcache, fcache, ucache]) {
      expect(() => wrap({ engine: 'redis', redis: { url: server.url }, l1: true })((n: number) => n)).toThrow(ConfigurationError)
    }
  })
})

describe.skipIf(skip !== undefined)('l1 after close', () => {
  const server = useRedis()

  it('an invalidation delivered after close is ignored, not thrown from the subscriber', async () => {
    const l2 = createRedisEngine({ namespace: 'closed', redis: { url: server.url } })
    const watch = l2.watch!.bind(l2)
    let heard: ((key: string | undefined) => void) | undefined
    // The message that was already on the wire when close() stopped the watch.
    l2.watch = (listener) => watch((heard = listener))
    const tiered = createTieredEngine(l2, { maxsize: 10 })
    await tiered.get('k')
    expect(heard).toBeDefined()
    await tiered.close()
    expect(() => heard!('k')).not.toThrow()
    expect(() => heard!(undefined)).not.toThrow()
  })
})
