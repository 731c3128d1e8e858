/**
 * `import '@twat-cache/node-cache'` registers the `node-cache` engine (no I/O, no timers until an
 * engine is created); import `@twat-cache/node-cache/engine` for the factory alone.
 */
import { registerEngine } from '@twat-cache/core'
import { ENGINE_NAME, NODE_CACHE_CAPABILITIES, createNodeCacheEngine } from './engine.js'

/** Second of the memory engines: the mcache chain is lru → node-cache → cacheable → memory. */
export const NODE_CACHE_PRIORITY = 20

registerEngine({
  name: ENGINE_NAME,
  capabilities: NODE_CACHE_CAPABILITIES,
  priority: NODE_CACHE_PRIORITY,
  packageName: '@twat-cache/node-cache',
  create: (config) => createNodeCacheEngine(config),
})

export * from './engine.js'
