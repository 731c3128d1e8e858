import type { EngineConfig } from '../config.js'
import type { EngineDefinition } from '../types.js'
import { MEMORY_CAPABILITIES, memoryEngineFromConfig } from './engine.js'

/** The built-in engine that ends every fallback chain: always available, every policy. */
export const memoryEngineDefinition: EngineDefinition<EngineConfig> = {
  name: 'memory',
  capabilities: MEMORY_CAPABILITIES,
  priority: 0,
  packageName: '@twat-cache/core',
  // The config is validated: skip the engine's own checks (and their bytes in browser bundles).
  create: (config) => memoryEngineFromConfig(config),
}
