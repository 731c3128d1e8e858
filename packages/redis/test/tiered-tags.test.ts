/**
 * The conformance suite's tag cases over `l1` (a memory tier in front of Redis, real server):
 * the tiered engine passes the store's tag methods through, so tag state stays store-wide. Only
 * the tag cases: the rest of the suite checks things L1 answers for itself (its own eviction).
 */
import { type CacheOptions, createTieredEngine } from '@twat-cache/core'
import { beforeAll, describe } from 'vitest'
import { tagCases } from '../../conformance/src/cases/tags.js'
import { Harness } from '../../conformance/src/harness.js'
import { createRedisEngine } from '../src/engine.js'
import { redisSkipReason } from './redis-server.js'
import { useRedis } from './use-redis.js'

const skip = redisSkipReason()
if (skip) console.warn(`[redis l1 tag conformance] skipped: ${skip}`)

describe.skipIf(skip !== undefined)('redis with l1: tag conformance cases (real redis-server)', () => {
  const server = useRedis()
  const overrides: CacheOptions = {}
  beforeAll(() => {
    overrides.redis = { url: server.url }
  })
  tagCases(new Harness({ name: 'redis', create: (config) => createTieredEngine(createRedisEngine(config), { maxsize: 100 }), configOverrides: overrides, realTtl: 300 }))
})
