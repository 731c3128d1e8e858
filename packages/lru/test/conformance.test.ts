import { describeEngine } from '@twat-cache/conformance'
import { LRU_CAPABILITIES, createLruEngine } from '../src/engine.js'

describeEngine({
  name: 'lru',
  create: (config) => createLruEngine(config),
  capabilities: LRU_CAPABILITIES,
  importEntry: () => import('@twat-cache/lru'),
  importEngine: () => import('@twat-cache/lru/engine'),
  // lru-cache's TTL is native but runs on the JS clock (performance.now, read at call time), so
  // fake timers drive it: no real sleeps.
  timeMode: 'fake',
  fakeTimers: { toFake: ['Date', 'performance', 'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] },
})
