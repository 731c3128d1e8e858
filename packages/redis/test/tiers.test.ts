/**
 * l1 coherence and lock leases across real processes on a real redis-server (standalone and a
 * one-node Cluster): each child is a bundled process driven over stdin (fixtures/tier-child.ts).
 */
import { MISS, type TieredEngine, acache, createTieredEngine, resetWarnings, ucache } from '@twat-cache/core'
import { Redis } from 'ioredis'
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { createRedisEngine } from '../src/engine.js'
import '../src/index.js'
import { lockKey } from '../src/lease.js'
import { Child, bundleTierChild, stampedeCases } from './fixtures/driver.js'
import { type RedisServer, freePort, redisSkipReason, startRedis } from './redis-server.js'
import { startCluster, useRedis } from './use-redis.js'

const skip = redisSkipReason()
if (skip) console.warn(`[redis tier tests] skipped: ${skip}`)

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
/** Polls `check` until it is true; fails after `ms` (the coherence bound the contract states). */
async function within(ms: number, check: () => Promise<boolean>): Promise<number> {
  // performance.now, not Date: a test may fake Date.
  const start = performance.now()
  while (!(await check())) {
    if (performance.now() - start > ms) throw new Error(`not within ${ms} ms`)
    await sleep(2)
  }
  return performance.now() - start
}

/** Until `child` serves `value` for `key` from its L1 (its watch is live and the read filled L1). */
const inL1 = (child: Child, key: string, value: unknown): Promise<number> =>
  within(1000, async () => (await child.value({ op: 'get', key })) === value && (await child.value({ op: 'inL1', key })) === true)

let bundle: string
const children: Child[] = []
const spawnChild = (redis: unknown, namespace: string, lock: unknown, onRun?: (c: Child) => void) => {
  const child = new Child(bundle, [JSON.stringify(redis), namespace, JSON.stringify(lock)], onRun)
  children.push(child)
  return child
}
beforeAll(async () => {
  if (!skip) bundle = await bundleTierChild()
})
afterEach(async () => {
  await Promise.all(children.splice(0).map((c) => c.stop()))
})

describe.skipIf(skip !== undefined)('l1 on Redis, two processes', () => {
  const server = useRedis()

  it('a write, a delete and a clear in process A leave process B’s L1 within the bound', async () => {
    const a = createRedisEngine({ namespace: 'coh', redis: { url: server.url } })
    const b = spawnChild({ url: server.url }, 'coh', true)
    try {
      await a.set('k', 'v1')
      // The watch goes live shortly after the first call; until then L1 is bypassed.
      await inL1(b, 'k', 'v1')
      await a.set('k', 'v2')
      await within(1000, async () => (await b.value({ op: 'inL1', key: 'k' })) === false)
      expect(await b.value({ op: 'get', key: 'k' })).toBe('v2')
      await inL1(b, 'k', 'v2')
      await a.delete('k')
      await within(1000, async () => (await b.value({ op: 'inL1', key: 'k' })) === false)
      expect(await b.value({ op: 'get', key: 'k' })).toBeNull()
      await a.set('k', 'v3')
      await inL1(b, 'k', 'v3')
      await a.clear()
      await within(1000, async () => (await b.value({ op: 'inL1', key: 'k' })) === false)
      expect(await b.value({ op: 'get', key: 'k' })).toBeNull()
    } finally {
      await a.close()
    }
  })

  it('l1 honours stale windows: a stale L1 entry is served stale once and refreshed; another process’s write still drops it', async () => {
    // Only Date is faked (the envelope's and L1's clock); sockets and timers stay real.
    vi.useFakeTimers({ toFake: ['Date'] })
    const a = spawnChild({ url: server.url }, 'l1-swr', true)
    let runs = 0
    const f = acache({ engine: 'redis', redis: { url: server.url }, namespace: 'l1-swr', ttl: '1s', staleWhileRevalidate: '1m', l1: true })(async (id: string) => {
      runs++
      return `${id} v${runs}`
    })
    const { l1 } = f.engine as unknown as TieredEngine
    try {
      expect(await f('k')).toBe('k v1')
      // The watch goes live after the first read; from then on a read promotes into L1.
      await within(1000, async () => (await f('k')) === 'k v1' && l1.size() === 1)
      const [key] = l1.keys()
      vi.setSystemTime(Date.now() + 1500)
      // Stale, read from L1: answered at once with the old value; one refresh in the background.
      expect(l1.has(key!)).toBe(true)
      expect(await f('k')).toBe('k v1')
      await within(1000, async () => runs === 2 && l1.has(key!))
      expect(await f('k')).toBe('k v2')
      expect(f.cacheInfo()).toMatchObject({ stale: 1, refreshes: 1 })
      expect(runs).toBe(2)

      // Process A writes the entry (an envelope, fresh for a minute): B's L1 copy goes.
      const now = Date.now()
      const envelope = { $twatCache: 1, value: 'k by A', createdAt: now, expiresAt: now + 60_000, staleUntil: now + 120_000 }
      expect(await a.value({ op: 'set', key, value: envelope })).toBeNull()
      await within(1000, async () => !l1.has(key!))
      expect(await f('k')).toBe('k by A')
      expect(runs).toBe(2)
    } finally {
      vi.useRealTimers()
      await f.engine.close()
    }
  })

  it('l1 and tags: a tagged entry served from L1 is still checked against the store’s tag records', async () => {
    const redis = { url: server.url }
    let runs = 0
    const user = acache({ engine: 'redis', namespace: 'l1-tags', redis, l1: true, tags: ['user:7'] })(async (id: number) => `${id}:${++runs}`)
    // Another process's view of the store: an engine that never cached anything marks the tag.
    const other = createRedisEngine({ namespace: 'elsewhere', redis })
    try {
      expect(await user(1)).toBe('1:1')
      expect(await user(1)).toBe('1:1') // an L1 hit
      await other.markTags!(['user:7'], 'invalidate', Date.now() + 1)
      await sleep(5)
      expect(await user(1)).toBe('1:2') // invalidated: recomputed, though L1 still held it
    } finally {
      await other.close()
      await user.engine.close()
    }
  })

  it('getNow answers an L1 hit inline (no promise); another process’s write makes it a MISS within the bound', async () => {
    const redis = { url: server.url }
    const tiered = createTieredEngine(createRedisEngine({ namespace: 'now', redis }), { maxsize: 10 })
    const other = createRedisEngine({ namespace: 'now', redis })
    try {
      await tiered.set('k', 'v1')
      // The watch goes live on first use; until then L1 is neither read nor filled.
      await within(1000, async () => (await tiered.get('k')) === 'v1' && tiered.getNow('k') === 'v1')
      await other.set('k', 'v2')
      await within(100, async () => tiered.getNow('k') === MISS)
      expect(await tiered.get('k')).toBe('v2')
    } finally {
      await other.close()
      await tiered.close()
    }
  })

  it('Redis killed and restarted: B never serves a value A deleted while B’s subscriber was down', async () => {
    const a = createRedisEngine({ namespace: 'restart', redis: { url: server.url } })
    const b = spawnChild({ url: server.url }, 'restart', true)
    try {
      await a.set('k', 'old')
      await inL1(b, 'k', 'old')
      await server.kill()
      await server.restart()
      // The restarted server is empty: 'old' is gone, as if A had deleted it while B was cut off.
      await within(5000, async () => {
        try {
          await a.set('other', 1)
          return true
        } catch {
          return false
        }
      })
      await a.delete('k')
      for (let i = 0; i < 50; i++) {
        const reply = await b.send({ op: 'get', key: 'k' })
        // While B reconnects its reads may fail (as without l1); they never answer 'old'.
        expect(reply.value).not.toBe('old')
        await sleep(10)
      }
      expect(await b.value({ op: 'inL1', key: 'k' })).toBe(false)
      await within(5000, async () => (await b.send({ op: 'get', key: 'k' })).value === null)
    } finally {
      await a.close()
    }
  })
})

describe.skipIf(skip !== undefined)('Redis down with l1 and lock', () => {
  it('at start and mid-run: calls keep returning correct values, with no unhandled rejection', async () => {
    const unhandled: unknown[] = []
    const onUnhandled = (reason: unknown) => unhandled.push(reason)
    process.on('unhandledRejection', onUnhandled)
    resetWarnings()
    const port = await freePort()
    let runs = 0
    const square = ucache({ engine: 'redis', redis: { port, options: { connectTimeout: 200 } }, namespace: 'down', l1: true, lock: { ttl: 2000, wait: 1000 } })(
      async (n: number) => {
        runs++
        return n * n
      },
    )
    let server: RedisServer | undefined
    try {
      // Nothing listens on the port yet.
      expect(await Promise.all([square(3), square(3), square(4)])).toEqual([9, 9, 16])
      server = await startRedis({ port })
      const raw = new Redis(port, '127.0.0.1')
      // Caching resumes by itself once Redis is up.
      await within(5000, async () => {
        expect(await square(5)).toBe(25)
        return (await raw.keys('twat-cache:down:*')).length > 0
      })
      raw.disconnect()
      for (let i = 0; i < 20; i++) expect(await square(i)).toBe(i * i)
      await server.kill()
      for (let i = 0; i < 20; i++) expect(await square(i)).toBe(i * i)
      await server.restart()
      for (let i = 0; i < 20; i++) expect(await square(i)).toBe(i * i)
      expect(runs).toBeGreaterThan(0)
      await sleep(50)
      expect(unhandled).toEqual([])
    } finally {
      process.off('unhandledRejection', onUnhandled)
      await square.engine.close()
      await server?.stop()
    }
  })
})

/** Four processes × 250 callers of one cold key, then the holder SIGKILLed mid-run. */
function describeStampede(topology: string, start: () => Promise<RedisServer>, redisOf: (server: RedisServer) => Record<string, unknown>) {
  describe.skipIf(skip !== undefined)(`lock on Redis ${topology}`, () => {
    const server = useRedis(start)
    stampedeCases((namespace, lock, onRun) => spawnChild(redisOf(server), `${namespace}-${topology}`, lock, onRun))
  })
}

describeStampede('standalone', () => startRedis(), (server) => ({ url: server.url }))
describeStampede('Cluster', startCluster, (server) => ({ cluster: [{ host: server.host, port: server.port }] }))

describe('lease keys', () => {
  it('sit in the entry’s hash slot, outside every namespace prefix', async () => {
    const { default: slot } = await import('cluster-key-slot')
    for (const key of ['twat-cache:ns:a', 'twat-cache:ns:{x}y', 'p:a}b{', 'x']) {
      expect(slot(lockKey(key))).toBe(slot(key))
      expect(lockKey(key).startsWith('{')).toBe(true)
    }
  })
})
