/**
 * Sentinel and Cluster, passed through to ioredis, against real servers: a Sentinel watching a
 * master, and a one-node cluster that owns every slot. Small, but the same code paths as a big
 * deployment (master discovery; per-node SCAN and slot-safe UNLINK).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { MISS, acache, expireTags, invalidateTags } from '@twat-cache/core'
import '../src/index.js'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createRedisEngine } from '../src/engine.js'
import { type RedisServer, freePort, redisSkipReason, startRedis } from './redis-server.js'
import { startCluster, useRedis } from './use-redis.js'

const skip = redisSkipReason()
if (skip) console.warn(`[redis topology tests] skipped: ${skip}`)

describe.skipIf(skip !== undefined)('Sentinel', () => {
  let master: RedisServer
  let sentinel: RedisServer
  let dir: string
  beforeAll(async () => {
    master = await startRedis()
    dir = mkdtempSync(join(tmpdir(), 'twat-sentinel-'))
    const conf = join(dir, 'sentinel.conf')
    writeFileSync(conf, `sentinel monitor twat 127.0.0.1 ${master.port} 1\nsentinel resolve-hostnames no\n`)
    sentinel = await startRedis({ configFile: conf, args: ['--sentinel'], port: await freePort() })
  })
  afterAll(async () => {
    await sentinel?.stop()
    await master?.stop()
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  it('finds the master through the Sentinel and stores there', async () => {
    const engine = createRedisEngine({
      namespace: 'sent',
      redis: { sentinels: [{ host: sentinel.host, port: sentinel.port }], name: 'twat' },
    })
    const raw = new Redis(master.port, master.host)
    try {
      await engine.set('k', new Set([1]))
      expect(await engine.get('k')).toEqual(new Set([1]))
      expect(await raw.exists('twat-cache:sent:k')).toBe(1)
    } finally {
      raw.disconnect()
      await engine.close()
    }
  })

  it('an unknown master group is a clear EngineError naming the group', async () => {
    const engine = createRedisEngine({
      redis: { sentinels: [{ host: sentinel.host, port: sentinel.port }], name: 'nope', options: { sentinelRetryStrategy: () => null } },
    })
    try {
      await expect(engine.get('k')).rejects.toThrow(/Sentinel group 'nope'.*no master group of that name.*check redis\.name/)
    } finally {
      await engine.close()
    }
  })
})

describe.skipIf(skip !== undefined)('Cluster', () => {
  const node = useRedis(startCluster)

  it('stores, clears (per node, slot-safe) and counts through ioredis Cluster', async () => {
    const engine = createRedisEngine({
      namespace: 'clu',
      redis: { cluster: [{ host: node.host, port: node.port }] },
      engineOptions: { scanCount: 5 },
    })
    const other = createRedisEngine({ namespace: 'clu2', redis: { cluster: [{ host: node.host, port: node.port }] } })
    try {
      // Keys across many hash slots: a multi-key UNLINK would fail with CROSSSLOT.
      for (let i = 0; i < 40; i++) await engine.set(`k${i}`, { i })
      await other.set('k0', 'other')
      expect(await engine.get('k7')).toEqual({ i: 7 })
      expect(await engine.size()).toBe(40)
      await engine.clear()
      expect(await engine.size()).toBe(0)
      expect(await engine.get('k7')).toBe(MISS)
      expect(await other.get('k0')).toBe('other')
      const stats = await engine.stats()
      expect(typeof stats.serverHits).toBe('number')
    } finally {
      await engine.close()
      await other.close()
    }
  })

  it('tags: entries and tag state in different slots, many tags per entry, no CROSSSLOT', async () => {
    const cluster = [{ host: node.host, port: node.port }]
    let runs = 0
    const tagsOf = (_v: unknown, id: number) => Array.from({ length: 8 }, (_, i) => `clu-user:${id}:${i}`)
    const user = acache({ engine: 'redis', namespace: 'clu-tags', redis: { cluster }, tags: tagsOf })(async (id: number) => ({ id, run: ++runs }))
    const invalidator = createRedisEngine({ namespace: 'elsewhere', redis: { cluster } })
    try {
      for (let id = 0; id < 20; id++) await user(id)
      for (let id = 0; id < 20; id++) expect((await user(id)).run).toBe(id + 1)
      await invalidateTags(['clu-user:3:5', 'clu-user:11:0'], { engine: invalidator })
      const after = await Promise.all(Array.from({ length: 20 }, (_, id) => user(id)))
      expect(after.filter((v) => v.run > 20).map((v) => v.id).sort((a, b) => a - b)).toEqual([3, 11])
      expect((await invalidator.readTags!(tagsOf(0, 3))).invalidatedAt).toBeGreaterThan(0)
      // Engine options instead of an engine (opened for the call): expireTags reaches them too.
      await expireTags(['clu-user:4:7'], { engine: { engine: 'redis', redis: { cluster } } })
      const expired = await Promise.all(Array.from({ length: 20 }, (_, id) => user(id)))
      expect(expired.filter((v) => v.run > 22).map((v) => v.id)).toEqual([4])
    } finally {
      await invalidator.close()
      await user.engine.close()
    }
  })

  it('static tags: the entry and its tag state are read by two commands (different slots), no CROSSSLOT', async () => {
    const cluster = [{ host: node.host, port: node.port }]
    let runs = 0
    const user = acache({ engine: 'redis', namespace: 'clu-static', redis: { cluster }, tags: ['clu-static:a', 'clu-static:b'] })(async (id: number) => ({ id, run: ++runs }))
    const invalidator = createRedisEngine({ namespace: 'elsewhere', redis: { cluster } })
    try {
      expect('getWithTags' in user.engine).toBe(false)
      for (let id = 0; id < 5; id++) await user(id)
      for (let id = 0; id < 5; id++) expect((await user(id)).run).toBe(id + 1)
      await invalidateTags(['clu-static:b'], { engine: invalidator })
      for (let id = 0; id < 5; id++) expect((await user(id)).run).toBe(id + 6)
    } finally {
      await invalidator.close()
      await user.engine.close()
    }
  })
})
