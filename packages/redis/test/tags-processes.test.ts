import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { USER_7, bundleTagsChild, markInOtherProcess, startServer } from '../../core/test/fixtures/tags-processes.js'
import { type RedisServer, redisSkipReason, startRedis } from './redis-server.js'

const skip = redisSkipReason()
if (skip) console.warn(`[redis tag process tests] skipped: ${skip}`)

describe.skipIf(skip !== undefined)('tags across processes on one Redis', () => {
  let server: RedisServer
  let bundle: string
  beforeAll(async () => {
    server = await startRedis()
    bundle = await bundleTagsChild()
  }, 60_000)
  afterAll(async () => {
    await server?.stop()
    if (bundle) rmSync(join(bundle, '..'), { recursive: true, force: true })
  })

  it('process B, which never cached anything, invalidates and expires user:7; process A recomputes exactly those entries', async () => {
    const options = { engine: 'redis', redis: { url: server.url } }
    const a = startServer(bundle, options)
    try {
      expect(await a.pass()).toHaveLength(1000)
      expect(await a.pass()).toEqual([])
      await markInOtherProcess(bundle, 'invalidate', options)
      expect(await a.pass()).toEqual(USER_7)
      expect(await a.pass()).toEqual([])
      await markInOtherProcess(bundle, 'expire', options)
      expect(await a.pass()).toEqual(USER_7)
      expect(await a.pass()).toEqual([])
      expect(await a.end()).toBe(0)
    } finally {
      a.kill()
    }
  }, 60_000)
})
