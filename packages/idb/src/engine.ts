/// <reference lib="dom" />
// IndexedDB types come from the DOM library: this package only runs where IndexedDB exists.
import {
  type AsyncCapabilities,
  type AsyncEngine,
  CacheValueError,
  ConfigurationError,
  DEFAULT_MAXSIZE,
  EngineClosedError,
  EngineNotAvailableError,
  type EngineConfig,
  MISS,
  type Policy,
  type SerializerOption,
  type SetOptions,
  checkSetTtl,
  log,
} from '@twat-cache/core'
import { DEFAULT_DB_NAME, parseIdbEngineOptions } from './options.js'

export { DEFAULT_DB_NAME, type IdbEngineOptions, idbEngineOptionsSchema, parseIdbEngineOptions } from './options.js'

/** The registered name of this engine. */
export const ENGINE_NAME = 'idb'

/** What the `idb` engine honours; the selector and the conformance suite read this object. */
export const IDB_CAPABILITIES: AsyncCapabilities = Object.freeze({
  mode: 'async',
  // Entries live in the origin's IndexedDB: they survive reloads and browser restarts (until
  // the browser evicts the origin's storage under pressure, or the user clears it).
  persistent: true,
  // Every tab, worker and iframe of the same origin opens the same database. 'host' is the
  // closest of the three: more than one process (tabs are processes), never the network.
  shared: 'host',
  // IndexedDB has no expiry: each row carries `expiresAt`, checked on read and pruned in batches.
  ttl: 'emulated',
  // LRU needs a write per hit (the recency stamp); FIFO reads without writing. LFU and random
  // eviction would need a counter write per hit or a random cursor walk: not offered.
  policies: Object.freeze(['lru', 'fifo'] as const),
  // Not live objects: IndexedDB stores a structured clone, so every hit is a fresh copy. The
  // browser's clone keeps every type of the default serializer (Date, Map, Set, BigInt, RegExp,
  // typed arrays, undefined, NaN, -0), so no serializer runs unless `serializer` asks for one.
  structured: false,
  maxBytes: false,
})

/** What `createIdbEngine` reads: an `EngineConfig` as the registry passes it, or the fields that matter here. */
export type IdbEngineConfig = Partial<Pick<EngineConfig, 'maxsize' | 'maxBytes' | 'ttl' | 'policy' | 'namespace' | 'engineOptions' | 'serializer'>>

/** The engine object: an `AsyncEngine` plus the database name it uses. */
export interface IdbEngine extends AsyncEngine {
  readonly dbName: string
}

/**
 * Table layout: one object store, key path `[ns, key]`, so every cached function (namespace)
 * shares one database and a namespace is one contiguous key range (clear = one range delete).
 * Three indexes, each prefixed by `ns` so they also stay per namespace: `expires` (lazy pruning
 * walks the expired head of it), `used` (LRU victims) and `created` (FIFO victims).
 */
const STORE = 'entries'
const DB_VERSION = 1
interface Row {
  ns: string
  key: string
  value: unknown
  /** Epoch ms; `Infinity` for no TTL (a valid IndexedDB key, sorts last). */
  expiresAt: number
  usedAt: number
  createdAt: number
}
const POLICY_INDEX: Record<'lru' | 'fifo', string> = { lru: 'used', fifo: 'created' }

/** Expired rows deleted per write: bounded, so one set never pays for a long-idle namespace at once. */
export const PRUNE_BATCH = 64

/** True where an IndexedDB factory is reachable: `engineOptions.indexedDB`, or `globalThis.indexedDB`. */
export function hasIndexedDB(engineOptions?: Record<string, unknown>): boolean {
  const given = engineOptions?.indexedDB ?? (globalThis as { indexedDB?: unknown }).indexedDB
  return typeof given === 'object' && given !== null
}

/** A request as a promise. Awaiting it keeps the transaction alive (its callbacks run before it commits). */
function done<T>(request: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result)
    request.onerror = () => reject(request.error)
  })
}

/** A transaction's outcome: resolves when it commits, rejects with the error that aborted it. */
function committed(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve()
    tx.onabort = tx.onerror = () => reject(tx.error ?? new DOMException('transaction aborted', 'AbortError'))
  })
}

const isQuotaError = (error: unknown): boolean => (error as { name?: unknown } | null)?.name === 'QuotaExceededError'

/**
 * An engine on IndexedDB: async, persistent per origin, shared by every tab of the origin, TTL
 * kept with each row, LRU or FIFO eviction at `maxsize` entries per namespace. A write that
 * hits the storage quota is logged, frees room by evicting, and is dropped (the next call is a
 * miss); it never rejects.
 *
 * ```ts
 * const engine = createIdbEngine({ namespace: 'api', maxsize: 500, ttl: 60_000 })
 * await engine.set('k', { rows: [1, 2] })
 * await engine.get('k') // a copy of { rows: [1, 2] }; a miss resolves to MISS
 * ```
 */
export function createIdbEngine(config: IdbEngineConfig = {}): IdbEngine {
  const maxsize = config.maxsize ?? DEFAULT_MAXSIZE
  const policy = (config.policy ?? 'lru') as 'lru' | 'fifo'
  checkConfig(config, maxsize)
  const options = parseIdbEngineOptions(config.engineOptions)
  const dbName = options.dbName ?? DEFAULT_DB_NAME
  const ns = config.namespace ?? 'default'
  const { encode, decode } = codec(config.serializer)
  const found = options.indexedDB ?? (globalThis as { indexedDB?: IDBFactory }).indexedDB
  if (!found || typeof IDBKeyRange !== 'function') {
    throw new EngineNotAvailableError(ENGINE_NAME, 'IndexedDB is not available in this runtime: use the idb engine in a browser (or a worker), and another engine elsewhere')
  }
  const factory: IDBFactory = found
  const all = IDBKeyRange.bound([ns], [ns, []])
  // Rows of this namespace in the ns-prefixed indexes, from `from` (exclusive) on.
  const indexRange = (from: number, to = Number.POSITIVE_INFINITY, openLower = true) => IDBKeyRange.bound([ns, from], [ns, to], openLower, false)

  let closed = false
  let opening: Promise<IDBDatabase> | undefined
  let lastTick = 0
  /** Epoch ms, strictly increasing within this engine, so two writes in one ms keep their order. */
  const tick = (): number => (lastTick = Math.max(Date.now(), lastTick + 1 / 1024))

  function open(): Promise<IDBDatabase> {
    if (closed) return Promise.reject(new EngineClosedError(ENGINE_NAME))
    return (opening ??= new Promise<IDBDatabase>((resolve, reject) => {
      const request = factory.open(dbName, DB_VERSION)
      request.onupgradeneeded = () => {
        const store = request.result.createObjectStore(STORE, { keyPath: ['ns', 'key'] })
        store.createIndex('expires', ['ns', 'expiresAt'])
        store.createIndex('used', ['ns', 'usedAt'])
        store.createIndex('created', ['ns', 'createdAt'])
      }
      request.onsuccess = () => {
        const db = request.result
        // Another tab upgrading the schema waits for us: let go, and reopen on the next call.
        db.onversionchange = () => {
          db.close()
          opening = undefined
        }
        // The browser closes the connection itself when the origin's data is cleared (site settings,
        // a Clear-Site-Data response, storage pressure): every later transaction on it would throw
        // InvalidStateError, so forget it and open a fresh database on the next call.
        db.onclose = () => {
          opening = undefined
        }
        if (closed) db.close()
        resolve(db)
      }
      request.onerror = () => reject(request.error)
      request.onblocked = () => log('warn', ENGINE_NAME, `opening database '${dbName}' waits for another tab to close an older version of it`)
    }).catch((error: unknown) => {
      opening = undefined
      throw error
    }))
  }

  async function transaction(mode: IDBTransactionMode): Promise<{ tx: IDBTransaction; store: IDBObjectStore }> {
    const db = await open()
    const tx = db.transaction(STORE, mode)
    return { tx, store: tx.objectStore(STORE) }
  }

  /** Delete up to `limit` rows of this namespace, walking `index` from its oldest entry up to `upTo`. */
  async function deleteOldest(store: IDBObjectStore, index: string, limit: number, upTo = Number.POSITIVE_INFINITY): Promise<number> {
    let deleted = 0
    if (limit <= 0) return 0
    const cursors = store.index(index).openCursor(indexRange(Number.NEGATIVE_INFINITY, upTo, false))
    for (let cursor = await done(cursors); cursor; cursor = await done(cursors)) {
      cursor.delete()
      if (++deleted >= limit) break
      cursor.continue()
    }
    return deleted
  }

  /** Room after a quota error: drop expired rows and a quarter of the namespace (at least one row). */
  async function evictForQuota(): Promise<void> {
    const { tx, store } = await transaction('readwrite')
    const outcome = committed(tx)
    await deleteOldest(store, 'expires', PRUNE_BATCH, Date.now())
    const count = await done(store.count(all))
    await deleteOldest(store, POLICY_INDEX[policy], Math.max(1, Math.ceil(count / 4)))
    await outcome
  }

  async function get(key: string): Promise<unknown> {
    const { tx, store } = await transaction(policy === 'lru' ? 'readwrite' : 'readonly')
    // A failed recency stamp must not surface as an unhandled rejection: the read already succeeded.
    committed(tx).catch((error: unknown) => log('debug', ENGINE_NAME, `recency update for '${key}' failed`, error))
    const row = (await done(store.get([ns, key]))) as Row | undefined
    if (row === undefined) return MISS
    if (row.expiresAt <= Date.now()) {
      if (policy === 'lru') store.delete([ns, key])
      return MISS
    }
    if (policy === 'lru') {
      row.usedAt = tick()
      store.put(row)
    }
    return decode(row.value)
  }

  async function set(key: string, value: unknown, setOptions?: SetOptions): Promise<void> {
    const ttl = checkSetTtl(ENGINE_NAME, setOptions?.ttl ?? config.ttl)
    if (ttl !== undefined && ttl <= 0) {
      // Expires at once: storing it would only evict a live entry.
      await remove(key)
      return
    }
    const now = tick()
    const row: Row = { ns, key, value: encode(value), expiresAt: ttl === undefined ? Number.POSITIVE_INFINITY : Date.now() + ttl, usedAt: now, createdAt: now }
    const { tx, store } = await transaction('readwrite')
    const outcome = committed(tx)
    try {
      try {
        store.put(row)
      } catch (cause) {
        tx.abort()
        throw cause
      }
      // Lazy expiry: each write clears a bounded batch of this namespace's expired rows.
      await deleteOldest(store, 'expires', PRUNE_BATCH, Date.now())
      const excess = (await done(store.count(all))) - maxsize
      if (excess > 0) await deleteOldest(store, POLICY_INDEX[policy], excess)
      await outcome
    } catch (thrown) {
      // A failed request aborts the transaction, and the requests still queued then fail with a
      // plain AbortError: the transaction's own error says what went wrong (e.g. the quota).
      const error = await outcome.then(() => thrown, (txError: unknown) => txError ?? thrown)
      if ((thrown as { name?: unknown } | null)?.name === 'DataCloneError') {
        throw new CacheValueError(`[twat-cache:idb] cannot store the value of '${key}': IndexedDB stores structured clones, and ${(thrown as Error).message}`, { cause: thrown })
      }
      if (!isQuotaError(error)) throw error
      log('warn', ENGINE_NAME, `the origin's storage quota is full: '${key}' was not cached; evicting older entries of '${ns}' to make room`)
      await evictForQuota().catch((cause: unknown) => log('warn', ENGINE_NAME, `eviction after a quota error failed`, cause))
    }
  }

  async function remove(key: string): Promise<boolean> {
    const { tx, store } = await transaction('readwrite')
    const outcome = committed(tx)
    const existed = (await done(store.count([ns, key]))) > 0
    store.delete([ns, key])
    await outcome
    return existed
  }

  async function live<T>(read: (index: IDBIndex, range: IDBKeyRange) => IDBRequest<T>): Promise<T> {
    const { store } = await transaction('readonly')
    return done(read(store.index('expires'), indexRange(Date.now())))
  }

  async function close(): Promise<void> {
    if (closed) return
    closed = true
    const pending = opening
    opening = undefined
    // A database still opening is closed by its success handler (closed is already true).
    const db = await pending?.catch(() => undefined)
    db?.close()
  }

  return {
    name: ENGINE_NAME,
    capabilities: IDB_CAPABILITIES,
    dbName,
    get,
    set,
    delete: remove,
    async clear(): Promise<void> {
      const { tx, store } = await transaction('readwrite')
      store.delete(all)
      await committed(tx)
    },
    async has(key: string): Promise<boolean> {
      const { store } = await transaction('readonly')
      const row = (await done(store.get([ns, key]))) as Row | undefined
      return row !== undefined && row.expiresAt > Date.now()
    },
    size: () => live((index, range) => index.count(range)),
    async *keys(): AsyncIterable<string> {
      // Collected in one transaction first: a transaction cannot stay open across the caller's awaits.
      const primaryKeys = await live((index, range) => index.getAllKeys(range))
      for (const primary of primaryKeys) yield (primary as [string, string])[1]
    },
    close,
    [Symbol.asyncDispose]: close,
  }
}

/**
 * The browser's structured clone is the default (no serializer code at all); `'json'` and a
 * custom `{ serialize, deserialize }` are honoured when asked for, so the option is never ignored.
 */
function codec(serializer: SerializerOption | undefined): { encode(value: unknown): unknown; decode(stored: unknown): unknown } {
  if (serializer === undefined || serializer === 'default') return { encode: (v) => v, decode: (v) => v }
  if (serializer === 'json') {
    // JSON.stringify(undefined) is undefined, which the clone keeps: it reads back as undefined.
    return { encode: (v) => JSON.stringify(v), decode: (v) => (v === undefined ? undefined : JSON.parse(v as string)) }
  }
  return { encode: (v) => serializer.serialize(v), decode: (v) => serializer.deserialize(v as string & Uint8Array) }
}

function checkConfig(config: IdbEngineConfig, maxsize: number): void {
  const problems: string[] = []
  if (!Number.isInteger(maxsize) || maxsize < 1) problems.push(`maxsize must be a whole number ≥ 1, got ${String(maxsize)}`)
  if (config.maxBytes !== undefined) {
    problems.push('maxBytes cannot be honoured: the idb engine bounds entries by count (maxsize); the browser bounds the bytes of the origin')
  }
  if (config.ttl !== undefined && !(config.ttl > 0 && Number.isFinite(config.ttl))) {
    problems.push(`ttl must be a positive number of milliseconds, got ${String(config.ttl)}`)
  }
  if (config.policy !== undefined && !IDB_CAPABILITIES.policies.includes(config.policy as Policy)) {
    problems.push(`the idb engine evicts by 'lru' or 'fifo', so policy '${config.policy}' cannot be honoured: use one of those, or the memory engine`)
  }
  if (problems.length > 0) {
    throw new ConfigurationError(`invalid idb engine config:\n${problems.map((p) => `  - ${p}`).join('\n')}`, { issues: problems })
  }
}
