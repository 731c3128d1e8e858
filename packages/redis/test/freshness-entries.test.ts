import '@twat-cache/redis'
import { describe } from 'vitest'
import { describeEntryMixing } from '../../core/test/freshness-entries.js'
import { redisSkipReason } from './redis-server.js'
import { useRedis } from './use-redis.js'

const skip = redisSkipReason()
if (skip) console.warn(`[redis freshness-entries tests] skipped: ${skip}`)

// Bare values and envelopes on a real redis-server, read by functions with other options.
describe.skipIf(skip !== undefined)('entry mixing on a real redis-server', () => {
  const server = useRedis()
  describeEntryMixing('redis', () => ({ engine: 'redis', redis: { url: server.url } }))
})
