import { describeEngine } from '@twat-cache/conformance'
import { CACHEABLE_CAPABILITIES, createCacheableEngine } from '../src/engine.js'

describeEngine({
  name: 'cacheable',
  create: (config) => createCacheableEngine(config),
  capabilities: CACHEABLE_CAPABILITIES,
  importEntry: () => import('@twat-cache/cacheable'),
  importEngine: () => import('@twat-cache/cacheable/engine'),
  // cacheable's TTL is native but runs on Date.now(), so fake timers drive it: no real sleeps.
  timeMode: 'fake',
})
