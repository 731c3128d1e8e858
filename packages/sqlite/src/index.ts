/**
 * `@twat-cache/sqlite`: importing this entry registers the `sqlite` engine (no I/O: the database
 * opens when a cache first needs it). Import `@twat-cache/sqlite/engine` for the factory alone.
 */
import { type EngineConfig, type EngineDefinition, registerEngine } from '@twat-cache/core'
import { ENGINE_NAME, SQLITE_CAPABILITIES, createSqliteEngine } from './engine.js'

export * from './engine.js'

/** Highest of the disk engines: the bcache chain is sqlite → flat-cache → the memory chain. */
export const SQLITE_PRIORITY = 50

/** What the registry knows about this engine; `create` runs only when a cache needs it. */
export const sqliteEngineDefinition: EngineDefinition<EngineConfig> = {
  name: ENGINE_NAME,
  capabilities: SQLITE_CAPABILITIES,
  priority: SQLITE_PRIORITY,
  packageName: '@twat-cache/sqlite',
  create: (config) => createSqliteEngine(config),
}

registerEngine(sqliteEngineDefinition)
