import { createHash } from 'node:crypto'
import { join } from 'node:path'
import {
  ConfigurationError,
  DEFAULT_MAXSIZE,
  EngineClosedError,
  type EngineConfig,
  type EngineStats,
  MISS,
  type SetOptions,
  type StoredEntry,
  type SyncCapabilities,
  type SyncEngine,
  type SyncTagMethods,
  checkSetTtl,
  log,
  warnOnce,
} from '@twat-cache/core'
import { type EncodeOptions, decodeValue, encodeValue, resolveCacheDir } from '@twat-cache/core/node'
import { ownBuffer } from './file-format.js'
import type { FileStore } from './file-store.js'
import { acquireStore, releaseStore } from './stores.js'
import { type FlatCacheEngineOptions, parseFlatCacheOptions } from './options.js'
import { flatCacheTagMethods } from './tags.js'

export { REFRESH_MS } from './file-store.js'
export { DEFAULT_DEBOUNCE_MS, type FlatCacheEngineOptions, flatCacheOptionsSchema } from './options.js'
export { TAGS_FILE } from './tags.js'

export const ENGINE_NAME = 'flat-cache'

/** flat-cache's LRU limit (a JS Map's practical size). */
const MAX_ENTRIES = 16_777_216

/**
 * Sync and persistent: one JSON file per namespace. Each process reads from its own copy in
 * memory, which takes in what other processes flushed to the file at most `REFRESH_MS` after it
 * landed (one `stat` per `REFRESH_MS` of reads), so processes of one host share entries
 * (`shared: 'host'`) within `debounceMs` (the writer's flush delay) + `REFRESH_MS`.
 *
 * `coherence: 'version'`: `version()` counts the versions of the file written by other
 * processes that this one took in. It is the file's own version (inode, size, mtime: one `stat`,
 * made unique per write by file-write.ts), not a separate change counter, because the file is
 * what this process reads from: a counter bumped elsewhere could move before the data it
 * announces is readable, or a flush could land without it. Its own writes never move it, so
 * they never empty its L1; writes by another engine of this process on the same namespace (one
 * shared store) are counted apart (`FileStore.commits`) and added in. Tag state lives in a tags
 * file in the folder (tags.ts).
 */
export const FLAT_CACHE_CAPABILITIES = {
  mode: 'sync',
  persistent: true,
  shared: 'host',
  ttl: 'emulated',
  policies: ['lru', 'fifo'],
  structured: false,
  maxBytes: true,
  coherence: 'version',
  tags: true,
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
  /** Moves whenever this process takes in a version of the file another process wrote (reads it from disk first). */
  version(): number
  /** The entry with its expiry, or `MISS` (what `l1` promotes). */
  readEntry(key: string): StoredEntry | typeof MISS
  /** Tag state, in the folder's tags file (store-wide: every namespace and process). */
  readTags: SyncTagMethods['readTags']
  markTags: SyncTagMethods['markTags']
  keepTags: SyncTagMethods['keepTags']
}

/**
 * What `createFlatCacheEngine` reads: an `EngineConfig` as the registry passes it (validated once,
 * by core), or just these fields when you call the factory yourself. Durations are milliseconds
 * and `compress` is the resolved object: pass `createCacheConfig(options)` to use the option
 * spellings of `fcache` (`ttl: '5m'`, `compress: true`).
 */
export type FlatCacheEngineConfig = Partial<
  Pick<
    EngineConfig,
    'maxsize' | 'maxBytes' | 'ttl' | 'policy' | 'namespace' | 'folderName' | 'cacheDir' | 'secure' | 'compress' | 'serializer' | 'engineOptions'
  >
>

/** @deprecated Renamed {@link FlatCacheEngineConfig}. */
export type FlatCacheEngineInput = FlatCacheEngineConfig

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
 * Engines collected without `close()` (a cached function created per call, then dropped): their
 * store is flushed and released as `close()` would, so stores and their pending writes do not
 * pile up for the life of the process. The store holds nothing of the engine.
 */
const dropped = new FinalizationRegistry<FileStore>((store) => {
  try {
    releaseStore(store)
  } catch (error) {
    log('warn', ENGINE_NAME, `could not write ${store.settings.path} for an engine dropped without close(): ${(error as Error).message}`)
  }
})

/**
 * Create a flat-cache engine: entries live in memory (flat-cache's `FlatCache`) and in
 * `<cacheDir>/<folderName>/<namespace file>.json`, written atomically `debounceMs` after a
 * change, on `flush()`, on `close()` and at process exit, each time merged with what other
 * processes wrote. `engineOptions` are {@link FlatCacheEngineOptions}. After `close()` every
 * operation throws `EngineClosedError`; `close()` again does nothing.
 */
export function createFlatCacheEngine(config: FlatCacheEngineConfig = {}): FlatCacheEngine {
  const namespace = config.namespace ?? 'default'
  const maxsize = config.maxsize ?? DEFAULT_MAXSIZE
  const maxBytes = config.maxBytes ?? Number.POSITIVE_INFINITY
  // No policy given: evict least-recently-used, as every engine does by default.
  const policy = config.policy ?? 'lru'
  if (policy !== 'lru' && policy !== 'fifo') {
    throw new ConfigurationError(
      `the flat-cache engine supports policy 'lru' or 'fifo', not '${policy}': choose one of those, or the memory engine for '${policy}'`,
    )
  }
  if (maxsize > MAX_ENTRIES) {
    // flat-cache refuses a larger lruSize by emitting an error event and then not evicting at
    // all, which would make the cache silently unbounded.
    throw new ConfigurationError(
      `the flat-cache engine keeps at most ${MAX_ENTRIES} entries per namespace (maxsize ${maxsize}); lower maxsize or use the sqlite engine`,
    )
  }
  const defaultTtl = config.ttl
  const secure = config.secure ?? true
  const engineOptions = parseFlatCacheOptions(config.engineOptions)
  const dir = resolveCacheDir({ cacheDir: config.cacheDir, folderName: config.folderName, secure })
  const path = join(dir, cacheFileName(namespace))
  const store: FileStore = acquireStore({
    path,
    dir,
    maxsize,
    maxBytes,
    policy,
    debounceMs: engineOptions.debounceMs,
    flushOnExit: engineOptions.flushOnExit,
    secure,
  })
  const encodeOptions: EncodeOptions = { compress: config.compress ?? false, serializer: config.serializer }
  const decodeOptions = { serializer: config.serializer }
  const customSerializer = typeof config.serializer === 'object'
  let hits = 0
  let misses = 0
  let closed = false
  /** This engine's share of `store.commits`. */
  let ownCommits = 0
  /** Count an entry write (see `FileStore.commits`): the store's other engines' l1 must hear of it. */
  const committed = (): void => {
    store.commits++
    ownCommits++
  }

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

  const open = (): FileStore => {
    if (closed) throw new EngineClosedError(ENGINE_NAME)
    return store
  }

  /** The value of the stored bytes `data` (counted as a hit), or `MISS` (counted). */
  function decoded(key: string, data: Uint8Array | undefined): unknown {
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
  }

  const engine: FlatCacheEngine = {
    name: ENGINE_NAME,
    capabilities: FLAT_CACHE_CAPABILITIES,
    path,

    get: (key) => decoded(key, open().lookup(key)),

    readEntry(key) {
      const value = decoded(key, open().lookup(key))
      return value === MISS ? MISS : { value, expiresAt: store.map.get(key)?.expires }
    },

    set(key, value, setOptions?: SetOptions) {
      open()
      // Same rule as the memory engine: a ttl of 0 or less is already expired, NaN throws.
      const ttl = checkSetTtl(ENGINE_NAME, setOptions?.ttl ?? defaultTtl)
      committed()
      if (ttl !== undefined && ttl <= 0) {
        store.remove(key)
        return
      }
      const data = ownBuffer(encodeValue(value, encodeOptions))
      if (data.byteLength > maxBytes) {
        // It could only be stored by evicting everything else, and then not fit either.
        warnOnce(
          `flat-cache:too-big:${path}`,
          ENGINE_NAME,
          `an entry of ${data.byteLength} bytes for ${path} is larger than maxBytes (${maxBytes}) on its own and was not stored; raise maxBytes to cache values this large`,
        )
        store.remove(key)
        return
      }
      // Expiry is stored as wall-clock epoch ms because it must mean the same in the next
      // process; a monotonic clock would not. Fake timers drive it through Date.
      const expires = ttl === undefined || ttl === Number.POSITIVE_INFINITY ? undefined : Date.now() + ttl
      store.put(key, data, expires)
    },

    delete(key) {
      open()
      committed()
      return store.remove(key)
    },
    clear() {
      open()
      committed()
      store.clear()
    },
    has: (key) => open().peek(key) !== undefined,
    size: () => open().liveKeys().length,
    keys: () => open().liveKeys(),
    flush: () => open().flush(),
    // Both counts only grow, so their sum moves whenever either does.
    version: () => open().refresh() + store.commits - ownCommits,
    ...flatCacheTagMethods(dir, secure, open),

    stats() {
      return { hits, misses, size: engine.size(), maxsize, bytes: store.bytes, path }
    },

    close() {
      if (closed) return
      closed = true
      dropped.unregister(engine)
      releaseStore(store)
    },

    [Symbol.dispose]() {
      engine.close()
    },

    async [Symbol.asyncDispose]() {
      engine.close()
    },
  }
  dropped.register(engine, store, engine)
  return engine
}
