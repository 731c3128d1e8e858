import { describeEngine } from '@twat-cache/conformance'
import { MEMORY_CAPABILITIES, createMemoryEngine } from '../src/memory/engine.js'

describeEngine({
  name: 'memory',
  create: (config) => createMemoryEngine(config),
  capabilities: MEMORY_CAPABILITIES,
})
