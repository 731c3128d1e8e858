/**
 * The whole conformance suite over `l1`: a memory tier in front of Redis (a real redis-server),
 * made as `l1: true` makes it. The tiered engine declares `capabilities.l1`, and the suite skips,
 * with the reason shown, only the cases a per-process memory tier cannot pass by design
 * (docs/guide/tiers.md).
 */
import { describeEngine } from '@twat-cache/conformance'
import { type CacheOptions, createTieredEngine } from '@twat-cache/core'
import { beforeAll, describe } from 'vitest'
import { REDIS_CAPABILITIES, createRedisEngine } from '../src/engine.js'
import { redisSkipReason } from './redis-server.js'
import { useRedis } from './use-redis.js'

const skip = redisSkipReason()
if (skip) console.warn(`[redis l1 conformance] skipped: ${skip}`)

describe.skipIf(skip !== undefined)('redis with l1: conformance (real redis-server)', () => {
  const server = useRedis()
  // describeEngine reads configOverrides when each test makes an engine, after beforeAll ran.
  const overrides: CacheOptions = { l1: true }
  beforeAll(() => {
    overrides.redis = { url: server.url }
  })

  describeEngine({
    name: 'redis',
    create: (config) => createTieredEngine(createRedisEngine(config), config.l1!, { ttl: config.ttl, maxBytes: config.maxBytes }),
    capabilities: { ...REDIS_CAPABILITIES, l1: true },
    configOverrides: overrides,
    realTtl: 300,
  })
})
