export type {
  AsyncCapabilities,
  AsyncEngine,
  Engine,
  EngineCapabilities,
  EngineDefinition,
  EngineStats,
  InvalidationListener,
  Miss,
  Policy,
  SetOptions,
  SharedEngineMethods,
  StoredEntry,
  SyncCapabilities,
  SyncEngine,
  Watch,
  SyncTagMethods,
  AsyncTagMethods,
  TagMark,
  TagState,
} from './types.js'
export { type TieredEngine, type TierOptions, VERSION_CHECK_MS, createTieredEngine } from './tiers/tiered-engine.js'
export { MISS } from './types.js'
export {
  CacheKeyError,
  CacheOperationError,
  CacheValueError,
  ConcurrencyError,
  ConfigurationError,
  EngineClosedError,
  EngineError,
  EngineNotAvailableError,
  PathError,
  ResourceError,
  SerializationError,
  TimeoutError,
  TwatCacheError,
} from './errors.js'
export {
  type CacheConfig,
  type LockConfig,
  type TierConfig,
  type CacheOptions,
  type CompressOptions,
  type EngineConfig,
  type RedisOptions,
  type SerializerOption,
  type TagsOption,
  DEFAULT_MAXSIZE,
  createCacheConfig,
  folderNameProblem,
  readEnv,
} from './config.js'
export { cacheConfigSchema, redisSchema } from './schema.js'
export { type OptionsSchema, parseEngineOptions } from './engine-options.js'
export { checkSetTtl } from './set-ttl.js'
export { type DurationString, parseDuration } from './duration.js'
export { type LogLevel, type Logger, log, resetWarnings, setLogLevel, setLogger, warnOnce } from './logger.js'
export {
  type ChainName,
  type EngineNeeds,
  CHAINS,
  enginePackage,
  availableEngines,
  createEngine,
  getEngine,
  listEngines,
  registerEngine,
  selectEngine,
  unregisterEngine,
} from './registry.js'
export { defaultNamespace, encodeNamespace, hash128, stableKey } from './keys/index.js'
export {
  ENGINE_NAME as MEMORY_ENGINE_NAME,
  MEMORY_CAPABILITIES,
  type MemoryEngine,
  type MemoryEngineOptions,
  type MemoryEngineStats,
  createMemoryEngine,
} from './memory/engine.js'
export { estimateHeapSize } from './memory/heap-size.js'
export type { AnyFunction, AsyncFunction, CacheControls, Cached, Cacher } from './wrap/memoize.js'
export { acache, bcache, fcache, mcache, ucache } from './wrap/wrappers.js'
export { type NotModified, type PreviousEntry, notModified } from './wrap/freshness.js'
export { type CacheInfo, type CacheStatsEntry, clearCache, getStats } from './wrap/stats.js'
export { type TagsOptions, expireTags, invalidateTags } from './wrap/tags-api.js'
export { createTagRegistry, newestMarks, type TaggedReads } from './wrap/tag-registry.js'
export { CacheContext, type ScopedEngine, engineContext, getOrCreateEngine } from './context.js'
export * from './selection/index.js'
export {
  type CacheEvent,
  type CacheEventInit,
  type CacheEventListener,
  type CacheEventType,
  CACHE_EVENT_TYPES,
  emitCacheEvent,
  eventKeyHash,
  hasCacheListeners,
  onCacheEvent,
} from './events.js'
