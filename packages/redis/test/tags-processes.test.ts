import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bundleTagsChild, runUser7Scenario } from '../../core/test/fixtures/tags-processes.js'
import { redisSkipReason } from './redis-server.js'
import { useRedis } from './use-redis.js'

const skip = redisSkipReason()
if (skip) console.warn(`[redis tag process tests] skipped: ${skip}`)

describe.skipIf(skip !== undefined)('tags across processes on one Redis', () => {
  const server = useRedis()
  let bundle: string
  beforeAll(async () => {
    bundle = await bundleTagsChild()
  }, 60_000)
  afterAll(() => {
    if (bundle) rmSync(join(bundle, '..'), { recursive: true, force: true })
  })

  it('process B, which never cached anything, invalidates and expires user:7; process A recomputes exactly those entries', async () => {
    await runUser7Scenario(bundle, { engine: 'redis', redis: { url: server.url } }, expect)
  }, 60_000)

  it('with staleWhileRevalidate: after process B expires user:7, process A serves those entries stale once and refreshes them', async () => {
    await runUser7Scenario(bundle, { engine: 'redis', redis: { url: server.url }, namespace: 'swr', ttl: '1h', staleWhileRevalidate: '1h' }, expect)
  }, 60_000)
})
