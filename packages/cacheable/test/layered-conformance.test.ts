import { describeEngine } from '@twat-cache/conformance'
import { Keyv } from 'cacheable'
import { describe } from 'vitest'
import { createCacheableEngine } from '../src/engine.js'

// The whole suite again with a secondary Keyv store shared by every engine of the run: values go
// through twat-cache's serializer, namespaces share one store, and clear() must stay in its own.
describe('with a secondary Keyv store', () => {
  const secondary = new Keyv()
  describeEngine({
    name: 'cacheable',
    create: (config) => createCacheableEngine({ ...config, engineOptions: { secondary } }),
    timeMode: 'fake',
    sharedStore: true,
  })
})
