import { describeEngine } from '@twat-cache/conformance'
import type { CacheOptions } from '@twat-cache/core'
import { afterAll, beforeAll, describe } from 'vitest'
import { REDIS_CAPABILITIES, createRedisEngine } from '../src/engine.js'
import { type RedisServer, redisSkipReason, startRedis } from './redis-server.js'

const skip = redisSkipReason()
if (skip) console.warn(`[redis conformance] skipped: ${skip}`)

describe.skipIf(skip !== undefined)('redis conformance (real redis-server)', () => {
  let server: RedisServer
  // describeEngine reads configOverrides when each test makes an engine, after beforeAll ran.
  const overrides: CacheOptions = {}
  beforeAll(async () => {
    server = await startRedis()
    overrides.redis = { url: server.url }
  })
  afterAll(async () => {
    await server?.stop()
  })

  describeEngine({
    name: 'redis',
    create: (config) => createRedisEngine(config),
    configOverrides: overrides,
    capabilities: REDIS_CAPABILITIES,
    importEntry: () => import('@twat-cache/redis'),
    importEngine: () => import('@twat-cache/redis/engine'),
    realTtl: 300,
  })
})
