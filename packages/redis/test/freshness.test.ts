import { acache } from '@twat-cache/core'
import '@twat-cache/redis'
import { describe } from 'vitest'
import { describeFreshnessTable } from '../../core/test/freshness-table.js'
import { redisSkipReason } from './redis-server.js'
import { useRedis } from './use-redis.js'

const skip = redisSkipReason()
if (skip) console.warn(`[redis freshness tests] skipped: ${skip}`)

// Redis expires entries itself (native PX TTL), so this table runs on the real clock with short
// windows: 300 ms units, every probe mid-window.
describe.skipIf(skip !== undefined)('freshness on a real redis-server', () => {
  const server = useRedis()
  describeFreshnessTable({ engine: 'redis', wrapper: acache, options: () => ({ engine: 'redis', redis: { url: server.url } }), unit: 300, clock: 'real', sync: false })
})
