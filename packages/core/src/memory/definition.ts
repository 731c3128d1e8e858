import type { EngineConfig } from '../config.js'
import { warnOnce } from '../logger.js'
import type { EngineDefinition } from '../types.js'
import { MEMORY_CAPABILITIES, memoryEngineFromConfig } from './engine.js'

/** The built-in engine that ends every fallback chain: always available, every policy. */
export const memoryEngineDefinition: EngineDefinition<EngineConfig> = {
  name: 'memory',
  capabilities: MEMORY_CAPABILITIES,
  priority: 0,
  packageName: '@twat-cache/core',
  // The config is validated: skip the engine's own checks (and their bytes in browser bundles).
  create: (config) => {
    // Also where a chain ends when the engine they were meant for is not installed.
    const unused = Object.keys(config.engineOptions ?? {})
    if (unused.length > 0) {
      warnOnce(`memory-engine-options:${unused}`, 'memory', `the memory engine takes no engineOptions, so ${unused.join(', ')} ${unused.length === 1 ? 'is' : 'are'} not used (was another engine meant, and is it installed?)`)
    }
    return memoryEngineFromConfig(config)
  },
}
