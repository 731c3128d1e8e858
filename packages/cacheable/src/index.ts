/**
 * `import '@twat-cache/cacheable'` registers the `cacheable` engine (no I/O, no timers); import
 * `@twat-cache/cacheable/engine` for the factory alone.
 */
import { registerEngine } from '@twat-cache/core'
import { CACHEABLE_CAPABILITIES, ENGINE_NAME, createCacheableEngine } from './engine.js'

/**
 * Below the sync memory engines (it is async, so it cannot serve a sync function); first of the
 * acache chain, which is cacheable → redis → the mcache chain.
 */
export const CACHEABLE_PRIORITY = 10

registerEngine({
  name: ENGINE_NAME,
  capabilities: CACHEABLE_CAPABILITIES,
  priority: CACHEABLE_PRIORITY,
  packageName: '@twat-cache/cacheable',
  create: (config) => createCacheableEngine(config),
})

export * from './engine.js'
