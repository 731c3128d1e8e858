import { acache, resetWarnings, setLogger } from '@twat-cache/core'
import '@twat-cache/redis'
import { Redis } from 'ioredis'
import { afterEach, describe, expect, it } from 'vitest'
import { redisSkipReason } from './redis-server.js'
import { useRedis } from './use-redis.js'

const skip = redisSkipReason()
if (skip) console.warn(`[redis freshness-writes tests] skipped: ${skip}`)

/**
 * "A refresh whose write fails counts as a failed refresh" (docs/guide/freshness.md): a real
 * server that refuses writes (maxmemory 1 byte, noeviction) but still answers reads.
 */
describe.skipIf(skip !== undefined)('freshness when Redis refuses writes', () => {
  const server = useRedis()
  const escaped: unknown[] = []
  const onEscape = (error: unknown) => escaped.push(error)
  afterEach(async () => {
    process.off('unhandledRejection', onEscape)
    setLogger(console, 'warn')
    resetWarnings()
    const admin = new Redis(server.url)
    await admin.config('SET', 'maxmemory', '0')
    admin.disconnect()
  })

  for (const window of ['staleWhileRevalidate', 'staleIfError'] as const) {
    it(`${window}: a refresh whose write is refused keeps serving the stale value, counted, never unhandled`, async () => {
      process.on('unhandledRejection', onEscape)
      const warnings: string[] = []
      setLogger({ debug() {}, info() {}, warn: (m: string) => warnings.push(m), error: (m: string) => warnings.push(m) }, 'warn')
      let runs = 0
      const f = acache({ engine: 'redis', redis: { url: server.url }, namespace: `writes-${window}-${Date.now()}`, ttl: 50, [window]: 60_000 })(async (id: number) => `v${++runs}:${id}`)
      expect(await f(1)).toBe('v1:1')
      const admin = new Redis(server.url)
      await admin.config('SET', 'maxmemory-policy', 'noeviction')
      await admin.config('SET', 'maxmemory', '1')
      admin.disconnect()
      await new Promise((resolve) => setTimeout(resolve, 80))
      expect(await f(1)).toBe('v1:1')
      await expect.poll(() => f.cacheInfo().errors).toBeGreaterThanOrEqual(1)
      expect(await f(1)).toBe('v1:1')
      expect(await f.cachePeek(1)).toBe('v1:1')
      expect(f.cacheInfo().stale).toBeGreaterThanOrEqual(2)
      expect(warnings.filter((w) => w.includes('refreshing')).length).toBe(1)
      expect(escaped).toEqual([])
      await f.engine.close()
    })
  }
})
