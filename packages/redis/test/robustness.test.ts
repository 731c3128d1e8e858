/**
 * Issue 17 against a real redis-server: `size()` counts this namespace's keys as they are on the
 * server (never a number that only grows), and `acache` recovers after Redis comes back even
 * when its caller never yields to the event loop.
 */
import { EngineError, acache, getEngine, getStats } from '@twat-cache/core'
import { describe, expect, it } from 'vitest'
import { type RedisEngine, createRedisEngine } from '../src/engine.js'
// The package entry registers the engine, as `import '@twat-cache/redis'` does for users.
import '../src/index.js'
import { redisSkipReason } from './redis-server.js'
import { useRedis } from './use-redis.js'

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

const skip = redisSkipReason()
if (skip) console.warn(`[redis robustness tests] skipped: ${skip}`)

describe.skipIf(skip !== undefined)('size() on Redis', () => {
  const server = useRedis()

  it("counts this namespace's keys on the server: overwrites, other namespaces and lost data included", async () => {
    const mine = createRedisEngine({ namespace: 'size-mine', redis: { url: server.url } })
    const other = createRedisEngine({ namespace: 'size-other', redis: { url: server.url } })
    try {
      for (let i = 0; i < 200; i++) await mine.set(`k${i}`, i)
      for (let i = 0; i < 50; i++) await other.set(`k${i}`, i)
      for (let i = 0; i < 200; i++) await mine.set(`k${i}`, -i)
      expect(await mine.size()).toBe(200)
      expect(await other.size()).toBe(50)
      expect((await mine.stats()).size).toBe(200)

      // Redis lost its data (a restart without persistence, FLUSHALL, eviction): 0, not 200.
      await mine.client.flushall()
      expect(await mine.size()).toBe(0)
      for (let i = 0; i < 10; i++) await mine.set(`k${i}`, i)
      expect(await mine.size()).toBe(10)
      await mine.delete('k0')
      expect(await mine.size()).toBe(9)
    } finally {
      await mine.close()
      await other.close()
    }
  })
  it('cacheInfo().size of an acache function is what Redis holds, not what this process wrote', async () => {
    const square = acache({ engine: 'redis', namespace: 'size-info', redis: { url: server.url } })(async (n: number) => n * n)
    const engine = square.engine as RedisEngine
    try {
      // Before the engine first answered, the field is absent rather than a guess.
      expect(square.cacheInfo().size).toBeUndefined()
      for (let i = 0; i < 200; i++) await square(i)
      await expect.poll(() => square.cacheInfo().size).toBe(200)
      // Redis lost its data; this process writes 100 more: 100 entries exist, not 300.
      await engine.client.flushall()
      for (let i = 200; i < 300; i++) await square(i)
      await expect.poll(() => square.cacheInfo().size).toBe(100)
      expect(getStats('size-info').totals.size).toBe(100)
    } finally {
      await engine.close()
    }
  })
})

describe.skipIf(skip !== undefined)('acache while Redis is down', () => {
  const server = useRedis()

  it('recovers after a restart even if the caller only awaits calls that fail at once', async () => {
    let calls = 0
    // ioredis waits 3 s between attempts here, so its own retry is still pending when the caller
    // loop below starts (with the default backoff it may fire while the server restarts).
    const redis = { url: server.url, options: { retryStrategy: () => 3000 } }
    const double = acache({ engine: 'redis', redis, namespace: 'acache-down' })(async (x: number) => {
      calls++
      return x * 2
    })
    try {
      expect(getEngine('redis')).toBeDefined()
      expect(double.engine.name).toBe('redis')
      expect(await double(1)).toBe(2)

      await server.kill('SIGKILL')
      for (let i = 0; i < 200 && (double.engine as RedisEngine).client.status !== 'reconnecting'; i++) await sleep(10)
      expect((double.engine as RedisEngine).client.status).toBe('reconnecting')
      // acache does not degrade: while Redis is down every call rejects, the function never runs.
      const before = calls
      await expect(double(2)).rejects.toBeInstanceOf(EngineError)
      expect(calls).toBe(before)
      await server.restart()

      // A caller that never yields to the event loop: no timers, no setImmediate, only awaits
      // of calls that (until the reconnect) reject at once. ioredis' retry timer cannot fire
      // here, so recovery has to come from the failing calls themselves. Bounded by the clock.
      const deadline = Date.now() + 8000
      let result: number | undefined
      let failures = 0
      while (result === undefined && Date.now() < deadline) {
        try {
          result = await double(3)
        } catch (error) {
          if (!(error instanceof EngineError)) throw error
          failures++
        }
      }
      expect(result, `still failing after ${failures} calls`).toBe(6)
      expect(await double(3)).toBe(6)
    } finally {
      await double.engine.close()
    }
  })
})
