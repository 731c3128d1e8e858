/**
 * Tags on a real redis-server: a hit reads the entry and its tag state with one MGET
 * (`getWithTags`) for static tags, and for a tags function once this process saw the key's
 * tags; marks by another engine (another process's view) still reach it.
 */
import { acache, expireTags, invalidateTags, resetWarnings, setLogger } from '@twat-cache/core'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createRedisEngine } from '../src/engine.js'
import { evictingPolicy } from '../src/tags.js'
import '../src/index.js'
import { type RedisServer, redisSkipReason, startRedis } from './redis-server.js'

const skip = redisSkipReason()
if (skip) console.warn(`[redis tag tests] skipped: ${skip}`)

describe.skipIf(skip !== undefined)('static tags on Redis', () => {
  let server: RedisServer
  let admin: Redis
  beforeAll(async () => {
    server = await startRedis()
    admin = new Redis(server.url)
  }, 30_000)
  afterAll(async () => {
    admin?.disconnect()
    await server?.stop()
  })

  /** Calls of each command the server executed so far (INFO commandstats). */
  const calls = async (): Promise<Record<string, number>> => {
    const info = await admin.info('commandstats')
    return Object.fromEntries([...info.matchAll(/cmdstat_(\w+):calls=(\d+)/g)].map((m) => [m[1] as string, Number(m[2])]))
  }

  it('a hit is one MGET (entry and tag state), no GET', async () => {
    let runs = 0
    const f = acache({ engine: 'redis', namespace: 'one-mget', redis: { url: server.url }, tags: ['a', 'b', 'c'] })(async (id: number) => ({ id, run: ++runs }))
    try {
      expect(await f(1)).toEqual({ id: 1, run: 1 })
      await admin.config('RESETSTAT')
      for (let i = 0; i < 10; i++) expect(await f(1)).toEqual({ id: 1, run: 1 })
      const after = await calls()
      expect(after.mget).toBe(10)
      expect(after.get ?? 0).toBe(0)
    } finally {
      await f.engine.close()
    }
  })

  it('a function without tags pays nothing for them: a hit is one GET, no MGET, no script', async () => {
    const f = acache({ engine: 'redis', namespace: 'untagged', redis: { url: server.url } })(async (id: number) => ({ id }))
    try {
      await f(1)
      await invalidateTags(['anything'], { engine: f.engine })
      await admin.config('RESETSTAT')
      for (let i = 0; i < 5; i++) expect(await f(1)).toEqual({ id: 1 })
      const seen = await calls()
      expect([seen.get, seen.mget ?? 0, seen.evalsha ?? 0, seen.eval ?? 0]).toEqual([5, 0, 0, 0])
    } finally {
      await f.engine.close()
    }
  })

  it('a tags function: a key whose tags this process saw is one MGET; changed tags are read after the entry', async () => {
    let runs = 0
    const redis = { url: server.url }
    const tagsOf = (value: { owner: number }) => [`owner:${value.owner}`]
    const f = acache({ engine: 'redis', namespace: 'fn-tags', redis, tags: tagsOf })(async (id: number) => ({ id, owner: id % 3, run: ++runs }))
    // A process that never read these keys: its first hit of each takes the two reads.
    const g = acache({ engine: 'redis', namespace: 'fn-tags', redis, tags: tagsOf })(async (id: number) => ({ id, owner: -1, run: -1 }))
    const other = createRedisEngine({ namespace: 'elsewhere', redis })
    try {
      expect(await f(1)).toEqual({ id: 1, owner: 1, run: 1 })
      await admin.config('RESETSTAT')
      for (let i = 0; i < 10; i++) expect(await f(1)).toEqual({ id: 1, owner: 1, run: 1 })
      let seen = await calls()
      expect(seen.mget).toBe(10)
      expect(seen.get ?? 0).toBe(0)

      await admin.config('RESETSTAT')
      expect(await g(1)).toEqual({ id: 1, owner: 1, run: 1 })
      expect(await g(1)).toEqual({ id: 1, owner: 1, run: 1 })
      seen = await calls()
      expect([seen.get, seen.mget]).toEqual([1, 2])

      // Another writer stores the entry with other tags: the remembered tags no longer match, so
      // the hit reads the new tags' state too, and an invalidation of the new tag reaches it.
      await g.engine.set((await keys(g.engine))[0]!, await (async () => {
        const stored = await f.engine.get((await keys(f.engine))[0]!)
        return { ...(stored as object), tags: ['owner:moved'] }
      })())
      // The remembered tag is invalidated, but the entry no longer carries it: still a hit.
      await invalidateTags(['owner:1'], { engine: other })
      expect(await f(1)).toEqual({ id: 1, owner: 1, run: 1 })
      await invalidateTags(['owner:moved'], { engine: other })
      expect(await f(1)).toEqual({ id: 1, owner: 1, run: 2 })
      // The old tag no longer concerns it; the new run's tag does.
      await invalidateTags(['owner:moved'], { engine: other })
      expect(await f(1)).toEqual({ id: 1, owner: 1, run: 2 })
      await invalidateTags(['owner:1'], { engine: other })
      expect(await f(1)).toEqual({ id: 1, owner: 1, run: 3 })
    } finally {
      await other.close()
      await g.engine.close()
      await f.engine.close()
    }
  })

  it('a tags function remembers the tags of at most `maxsize` keys: the oldest key is read in two steps again', async () => {
    const f = acache({ engine: 'redis', namespace: 'fn-tags-bound', redis: { url: server.url }, maxsize: 2, tags: (v: number) => [`n:${v}`] })(
      async (id: number) => id,
    )
    try {
      for (const id of [1, 2, 3]) await f(id)
      await admin.config('RESETSTAT')
      // 2 and 3 are remembered: one MGET each. 1 was forgotten when 3 was written: GET, then MGET.
      for (const id of [3, 2, 1]) expect(await f(id)).toBe(id)
      const seen = await calls()
      expect([seen.get ?? 0, seen.mget]).toEqual([1, 3])
    } finally {
      await f.engine.close()
    }
  })

  it('marks made elsewhere reach entries read by one MGET; a miss and a bare value are handled', async () => {
    let runs = 0
    const redis = { url: server.url }
    const f = acache({ engine: 'redis', namespace: 'mget-marks', redis, ttl: '1h', staleWhileRevalidate: '1h', tags: ['user:9'] })(async (id: number) => `${id}:${++runs}`)
    const other = createRedisEngine({ namespace: 'elsewhere', redis })
    try {
      expect(await f(1)).toBe('1:1')
      expect(await f(1)).toBe('1:1')
      await invalidateTags(['user:9'], { engine: other })
      expect(await f(1)).toBe('1:2')
      expect(await f(1)).toBe('1:2')
      await expireTags(['user:9'], { engine: other })
      expect(await f(1)).toBe('1:2') // stale once, refreshed in the background
      await expect.poll(() => f(1)).toBe('1:3')
      // A bare value under the key (written without these options) is a miss, then replaced.
      const [key] = await keys(f.engine)
      await f.engine.set(key!, 'bare')
      expect(await f(1)).toBe('1:4')
    } finally {
      await other.close()
      await f.engine.close()
    }
  })

  it('tag records expire: kept for the longest tagged lifetime (a shorter one never lowers it), for good only after an entry without expiry', async () => {
    const redis = { url: server.url, keyPrefix: 'bounded:' }
    const record = (tag: string) => `bounded:{twat-cache-tags}:t:${tag}`
    const engine = createRedisEngine({ namespace: 'bounded', redis })
    const f = acache({ engine: 'redis', namespace: 'bounded-f', redis, ttl: '20s', tags: ['bounded:a'] })(async () => 1)
    try {
      await f() // a tagged entry of ~20 s: the horizon
      expect(Number(await admin.get('bounded:{twat-cache-tags}:horizon'))).toBeGreaterThanOrEqual(20_000)
      await invalidateTags(['bounded:a'], { engine })
      const ttl = await admin.pttl(record('bounded:a'))
      expect(ttl).toBeGreaterThan(15_000)
      expect(ttl).toBeLessThanOrEqual(21_000)
      await engine.keepTags!(1000) // shorter: the horizon stays
      await expireTags(['bounded:b'], { engine })
      expect(await admin.pttl(record('bounded:b'))).toBeGreaterThan(15_000)
      await engine.keepTags!(60_000)
      await expireTags(['bounded:a'], { engine }) // the TTL only grows
      expect(await admin.pttl(record('bounded:a'))).toBeGreaterThan(50_000)
      await engine.keepTags!(Number.POSITIVE_INFINITY)
      await invalidateTags(['bounded:c'], { engine })
      expect(await admin.pttl(record('bounded:c'))).toBe(-1)
    } finally {
      await engine.close()
      await f.engine.close()
    }
  })
})

async function keys(engine: { keys?: () => Iterable<string> | AsyncIterable<string> }): Promise<string[]> {
  const list: string[] = []
  for await (const k of engine.keys!()) list.push(k)
  return list
}

describe.skipIf(skip !== undefined)('a server that evicts keys', () => {
  const warnings: string[] = []
  beforeAll(() => {
    resetWarnings()
    setLogger({ debug() {}, info() {}, warn: (m: string) => warnings.push(m), error: (m: string) => warnings.push(m) }, 'warn')
  })
  afterAll(() => {
    setLogger(console, 'warn')
    resetWarnings()
  })

  /** Runs `body` against a server started with `args`, then stops it. */
  async function withServer<T>(args: string[], body: (server: RedisServer) => Promise<T>): Promise<T> {
    const server = await startRedis({ args })
    try {
      return await body(server)
    } finally {
      await server.stop()
    }
  }
  const policyOf = (server: RedisServer) =>
    evictingPolicy(async () => {
      const admin = new Redis(server.url)
      try {
        return await admin.config('GET', 'maxmemory*')
      } finally {
        admin.disconnect()
      }
    })

  it('tagged writes on a server with a maxmemory-policy that evicts log one warning naming the policy', async () => {
    await withServer(['--maxmemory', '64mb', '--maxmemory-policy', 'allkeys-lru'], async (server) => {
      expect(await policyOf(server)).toBe('allkeys-lru')
      const f = acache({ engine: 'redis', redis: { url: server.url }, namespace: 'evicting', ttl: 60_000, tags: ['user:7'] })(async (id: number) => id * 2)
      expect(await f(1)).toBe(2)
      expect(await f(2)).toBe(4)
      await invalidateTags(['user:7'], { engine: f.engine })
      const about = () => warnings.filter((w) => w.includes('evicts keys'))
      await expect.poll(() => about().length).toBe(1)
      expect(about()[0]).toMatch(/maxmemory-policy allkeys-lru.*set maxmemory-policy noeviction/)
      await f.engine.close()
    })
  })

  it('a server that never evicts (no maxmemory, or noeviction) is not reported', async () => {
    await withServer([], async (server) => expect(await policyOf(server)).toBeUndefined())
    await withServer(['--maxmemory', '64mb', '--maxmemory-policy', 'noeviction'], async (server) => expect(await policyOf(server)).toBeUndefined())
    // A server that refuses CONFIG (managed services): nothing can be said, nothing is thrown.
    expect(await evictingPolicy(() => Promise.reject(new Error("ERR unknown command 'CONFIG'")))).toBeUndefined()
  })
})
