/**
 * `import '@twat-cache/idb'` registers the `idb` engine (no database is opened until a cache
 * uses it); import `@twat-cache/idb/engine` for the factory alone.
 */
import { type EngineConfig, type EngineDefinition, registerEngine } from '@twat-cache/core'
import { ENGINE_NAME, IDB_CAPABILITIES, createIdbEngine, hasIndexedDB } from './engine.js'

/**
 * Below the memory engines: a lookup crosses into the browser's storage process. The `acache`
 * chain reaches idb only where IndexedDB exists and no earlier engine fits.
 */
export const IDB_PRIORITY = 15

/** What the registry knows about this engine; `create` runs only when a cache needs it. */
export const idbEngineDefinition: EngineDefinition<EngineConfig> = {
  name: ENGINE_NAME,
  capabilities: IDB_CAPABILITIES,
  priority: IDB_PRIORITY,
  packageName: '@twat-cache/idb',
  usable: (config) => hasIndexedDB(config.engineOptions),
  create: (config) => createIdbEngine(config),
}

registerEngine(idbEngineDefinition)

export * from './engine.js'
