/**
 * `@twat-cache/flat-cache`: importing this entry registers the `flat-cache` engine (a file per
 * namespace, sync, persistent). Import `@twat-cache/flat-cache/engine` for the factory alone.
 */
import { type EngineConfig, type EngineDefinition, registerEngine } from '@twat-cache/core'
import { ENGINE_NAME, FLAT_CACHE_CAPABILITIES, createFlatCacheEngine } from './engine.js'

export {
  DEFAULT_DEBOUNCE_MS,
  ENGINE_NAME,
  REFRESH_MS,
  TAGS_FILE,
  FLAT_CACHE_CAPABILITIES,
  type FlatCacheEngine,
  type FlatCacheEngineConfig,
  type FlatCacheEngineInput,
  type FlatCacheEngineOptions,
  cacheFileName,
  createFlatCacheEngine,
  flatCacheOptionsSchema,
} from './engine.js'

/**
 * Persistent engines rank above the memory ones and flat-cache just below sqlite, which copes
 * better with several processes and large caches. The fallback chains (`fcache` asks for
 * flat-cache first) do not depend on it.
 */
export const FLAT_CACHE_PRIORITY = 40

/** What the registry knows about this engine; `create` runs only when a cache needs it. */
export const flatCacheEngineDefinition: EngineDefinition<EngineConfig> = {
  name: ENGINE_NAME,
  capabilities: FLAT_CACHE_CAPABILITIES,
  priority: FLAT_CACHE_PRIORITY,
  packageName: '@twat-cache/flat-cache',
  create: (config) => createFlatCacheEngine(config),
}

registerEngine(flatCacheEngineDefinition)
