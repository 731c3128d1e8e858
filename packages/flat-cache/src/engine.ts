import { createHash } from 'node:crypto'
import { join } from 'node:path'
import {
  type CacheOptions,
  ConfigurationError,
  EngineError,
  type EngineStats,
  MISS,
  type SetOptions,
  type SyncCapabilities,
  type SyncEngine,
  createCacheConfig,
  warnOnce,
} from '@twat-cache/core'
import { type EncodeOptions, decodeValue, encodeValue, resolveCacheDir } from '@twat-cache/core/node'
import { type FileStore, acquireStore, releaseStore } from './file-store.js'
import { type FlatCacheEngineOptions, parseFlatCacheOptions } from './options.js'

export { DEFAULT_DEBOUNCE_MS, type FlatCacheEngineOptions, flatCacheOptionsSchema } from './options.js'

export const ENGINE_NAME = 'flat-cache'

/** flat-cache's LRU limit (a JS Map's practical size). */
const MAX_ENTRIES = 16_777_216

/**
 * Sync and persistent: one JSON file per namespace. `shared: 'process'` because each process
 * keeps its own copy in memory and rewrites the whole file: processes sharing a folder do not
 * see each other's new entries until they reopen it, and the last writer wins.
 */
export const FLAT_CACHE_CAPABILITIES = {
  mode: 'sync',
  persistent: true,
  shared: 'process',
  ttl: 'emulated',
  policies: ['lru', 'fifo'],
  structured: false,
} as const satisfies SyncCapabilities

/** A sync engine backed by one cache file; `path` is that file. */
export interface FlatCacheEngine extends SyncEngine {
  readonly capabilities: typeof FLAT_CACHE_CAPABILITIES
  /** Absolute path of this namespace's cache file. */
  readonly path: string
  /** Write pending changes now instead of waiting for the debounce. */
  flush(): void
  has(key: string): boolean
  size(): number
  stats(): EngineStats
  keys(): Iterable<string>
}

/** Cache options (validated with `createCacheConfig`), plus the namespace that names the file. */
export type FlatCacheEngineInput = CacheOptions & { namespace?: string }

/**
 * The file name for a namespace: a readable prefix plus a hash of the full name, so any
 * namespace (slashes, `..`, unicode, 10 kB long) maps to one safe, distinct file name.
 */
export function cacheFileName(namespace: string): string {
  const readable = namespace.replace(/[^A-Za-z0-9_-]+/g, '_').slice(0, 48)
  const digest = createHash('sha256').update(namespace).digest('hex').slice(0, 32)
  return `${readable}-${digest}.json`
}

/**
 * Create a flat-cache engine: entries live in memory (flat-cache's `FlatCache`) and in
 * `<cacheDir>/<folderName>/<namespace file>.json`, written atomically `debounceMs` after a
 * change, on `flush()`, on `close()` and at process exit. Takes cache options (the registry
 * passes an already validated `EngineConfig`); `engineOptions` are {@link FlatCacheEngineOptions}.
 *
 * As with the memory engine, after `close()` reads miss, `delete`/`has` return false,
 * `clear`/`flush`/`close` do nothing, and `set` throws an `EngineError`.
 */
export function createFlatCacheEngine(options: FlatCacheEngineInput = {}): FlatCacheEngine {
  const config = createCacheConfig(options)
  const namespace = config.namespace ?? 'default'
  // No policy given: evict least-recently-used, as every engine does by default.
  const policy = config.policy ?? 'lru'
  if (policy !== 'lru' && policy !== 'fifo') {
    throw new ConfigurationError(
      `the flat-cache engine supports policy 'lru' or 'fifo', not '${policy}': choose one of those, or the memory engine for '${policy}'`,
    )
  }
  if (config.maxsize > MAX_ENTRIES) {
    // flat-cache refuses a larger lruSize by emitting an error event and then not evicting at
    // all, which would make the cache silently unbounded.
    throw new ConfigurationError(
      `the flat-cache engine keeps at most ${MAX_ENTRIES} entries per namespace (maxsize ${config.maxsize}); lower maxsize or use the sqlite engine`,
    )
  }
  const defaultTtl = config.ttl
  if (defaultTtl !== undefined && !(defaultTtl > 0)) {
    throw new ConfigurationError(`flat-cache engine: ttl must be a positive number of milliseconds (omit it for no expiry), got ${String(defaultTtl)}`)
  }
  const engineOptions = parseFlatCacheOptions(config.engineOptions)
  const dir = resolveCacheDir({ cacheDir: config.cacheDir, folderName: config.folderName, secure: config.secure })
  const path = join(dir, cacheFileName(namespace))
  const store: FileStore = acquireStore({
    path,
    dir,
    maxsize: config.maxsize,
    policy,
    debounceMs: engineOptions.debounceMs,
    flushOnExit: engineOptions.flushOnExit,
    secure: config.secure,
  })
  const encodeOptions: EncodeOptions = { compress: config.compress, serializer: config.serializer }
  const decodeOptions = { serializer: config.serializer }
  const customSerializer = typeof config.serializer === 'object'
  let hits = 0
  let misses = 0
  let closed = false

  /** An entry that cannot be decoded is a miss, logged once per file, and dropped. */
  function undecodable(key: string, error: unknown): typeof MISS {
    warnOnce(
      `flat-cache:undecodable:${path}`,
      ENGINE_NAME,
      `an entry in ${path} cannot be decoded (${(error as Error).message}); treating it as a miss, it will be overwritten`,
    )
    store.remove(key)
    misses++
    return MISS
  }

  const engine: FlatCacheEngine = {
    name: ENGINE_NAME,
    capabilities: FLAT_CACHE_CAPABILITIES,
    path,

    get(key) {
      const data = closed ? undefined : store.lookup(key)
      if (data === undefined) {
        misses++
        return MISS
      }
      let value: unknown
      try {
        // A custom deserializer may return (a view of) the bytes it is given: give it a copy,
        // so the caller can never mutate the stored entry. Built-in formats always copy.
        value = decodeValue(customSerializer ? data.slice() : data, decodeOptions)
      } catch (error) {
        return undecodable(key, error)
      }
      hits++
      return value
    },

    set(key, value, setOptions?: SetOptions) {
      if (closed) throw new EngineError(`the flat-cache engine for ${path} is closed: create a new engine (or stop using this one after close())`)
      const ttl = setOptions?.ttl ?? defaultTtl
      // Same rule as the memory engine: a ttl of 0 or less (or NaN) is already expired.
      if (ttl !== undefined && !(ttl > 0)) {
        store.remove(key)
        return
      }
      // Copied out of Buffer's shared pool (encodeValue allocates small entries there), so a
      // stored entry does not keep an 8 KiB slab alive.
      const data = new Uint8Array(encodeValue(value, encodeOptions))
      // Expiry is stored as wall-clock epoch ms because it must mean the same in the next
      // process; a monotonic clock would not. Fake timers drive it through Date.
      const expires = ttl === undefined || ttl === Number.POSITIVE_INFINITY ? undefined : Date.now() + ttl
      store.put(key, data, expires)
    },

    delete(key) {
      return closed ? false : store.remove(key)
    },

    clear() {
      if (!closed) store.clear()
    },

    has(key) {
      return closed ? false : store.peek(key) !== undefined
    },

    size() {
      return closed ? 0 : store.liveKeys().length
    },

    keys() {
      return closed ? [] : store.liveKeys()
    },

    stats() {
      return { hits, misses, size: engine.size(), maxsize: config.maxsize, path }
    },

    flush() {
      if (!closed) store.flush()
    },

    close() {
      if (closed) return
      closed = true
      releaseStore(store)
    },

    [Symbol.dispose]() {
      engine.close()
    },

    async [Symbol.asyncDispose]() {
      engine.close()
    },
  }
  return engine
}
