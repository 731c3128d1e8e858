/**
 * `import '@twat-cache/lru'` registers the `lru` engine (no I/O, no timers); import
 * `@twat-cache/lru/engine` for the factory alone.
 */
import { registerEngine } from '@twat-cache/core'
import { ENGINE_NAME, LRU_CAPABILITIES, createLruEngine } from './engine.js'

/** Highest of the memory engines: the mcache chain is lru → node-cache → cacheable → memory. */
export const LRU_PRIORITY = 30

registerEngine({
  name: ENGINE_NAME,
  capabilities: LRU_CAPABILITIES,
  priority: LRU_PRIORITY,
  packageName: '@twat-cache/lru',
  create: (config) => createLruEngine(config),
})

export * from './engine.js'
