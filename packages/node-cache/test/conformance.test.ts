import { describeEngine } from '@twat-cache/conformance'
import { NODE_CACHE_CAPABILITIES, createNodeCacheEngine } from '../src/engine.js'

describeEngine({
  name: 'node-cache',
  create: (config) => createNodeCacheEngine(config),
  capabilities: NODE_CACHE_CAPABILITIES,
  importEntry: () => import('@twat-cache/node-cache'),
  importEngine: () => import('@twat-cache/node-cache/engine'),
  // node-cache's TTL is native but runs on Date.now(), so fake timers drive it: no real sleeps.
  timeMode: 'fake',
})
