/**
 * `@twat-cache/core/node`: Node-only helpers shared by the persistent engines (sqlite,
 * flat-cache, redis). Kept out of `@twat-cache/core` so that entry stays edge-safe.
 */
export {
  FORMAT_VERSION,
  type DecodeOptions,
  type EncodeOptions,
  type EntryInfo,
  decodeValue,
  encodeValue,
  inspectEntry,
} from './serializer.js'
export { type CacheDirOptions, ensureFile, platformCacheDir, resolveCacheDir } from './paths.js'
export { type AtomicWriteOptions, writeFileAtomic } from './atomic-write.js'
export type { CompressionAlgorithm } from './compression.js'
