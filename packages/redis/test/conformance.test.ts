import { describeEngine } from '@twat-cache/conformance'
import type { CacheOptions } from '@twat-cache/core'
import { beforeAll, describe } from 'vitest'
import { REDIS_CAPABILITIES, createRedisEngine } from '../src/engine.js'
import { redisSkipReason } from './redis-server.js'
import { useRedis } from './use-redis.js'

const skip = redisSkipReason()
if (skip) console.warn(`[redis conformance] skipped: ${skip}`)

describe.skipIf(skip !== undefined)('redis conformance (real redis-server)', () => {
  const server = useRedis()
  // describeEngine reads configOverrides when each test makes an engine, after beforeAll ran.
  const overrides: CacheOptions = {}
  beforeAll(() => {
    overrides.redis = { url: server.url }
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
