/**
 * Choosing engines from the data (ARCHITECTURE.md §10): size and type detection, the
 * decision tables, option helpers, and the hybridCache / smartCache wrappers. Separate from
 * the wrappers' modules so that importing `mcache` never pulls this in.
 */
export { type DataSize, type EstimateOptions, SIZE_THRESHOLDS, estimateBytes, estimateDataSize, sizeClassOf } from './estimate-size.js'
export { type ResultType, RESULT_TYPES, detectResultType, hasImageSignature } from './detect-type.js'
export {
  type AccessPattern,
  type Concurrency,
  type DataHints,
  type SelectionOptions,
  ACCESS_PATTERN_POLICY,
  getTypeBasedEngine,
  selectEngineForData,
} from './select.js'
export {
  type FunctionHints,
  type HybridCacheOptions,
  type ResolvedHybridOptions,
  type SmartCacheOptions,
  configureForBinary,
  configureForImages,
  configureForJson,
  configureForType,
  hybridCacheConfig,
  smartCacheConfig,
} from './configure.js'
export { createHybridEngine, hybridCache } from './hybrid-cache.js'
export { createDeferredEngine, smartCache } from './smart-cache.js'
