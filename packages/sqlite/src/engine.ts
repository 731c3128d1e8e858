import { join } from 'node:path'
import {
  type CacheOptions,
  type EngineStats,
  MISS,
  type SetOptions,
  type SyncCapabilities,
  type SyncEngine,
  EngineError,
  createCacheConfig,
  warnOnce,
} from '@twat-cache/core'
import { type EncodeOptions, decodeValue, encodeValue, resolveCacheDir } from '@twat-cache/core/node'
import { type Connection, acquire, release, translate } from './connection.js'
import { parseSqliteOptions } from './options.js'
import { INLINE_VALUE_MAX, TABLE as T, VALUES_TABLE as V } from './schema.js'

export { SCHEMA_VERSION } from './version.js'
export { type ResolvedSqliteOptions, type SqliteEngineOptions, parseSqliteOptions, sqliteOptionsSchema } from './options.js'

export const ENGINE_NAME = 'sqlite'

export const SQLITE_CAPABILITIES: SyncCapabilities = Object.freeze({
  mode: 'sync',
  persistent: true,
  shared: 'host',
  ttl: 'emulated',
  policies: Object.freeze(['lru', 'fifo', 'lfu', 'rr'] as const),
  structured: false,
})

/** What `createSqliteEngine` accepts: cache options (as `bcache` takes them) and a namespace. */
export type SqliteEngineInput = CacheOptions & { namespace?: string }

export interface SqliteEngine extends SyncEngine {
  /** Absolute path of the database file. */
  readonly path: string
  has(key: string): boolean
  size(): number
  stats(): EngineStats
  keys(): string[]
}

/** Reads remembered for lru/lfu before they are written; more than this flushes at once. */
const MAX_PENDING_READS = 10_000
const SQL = {
  // Expiry is checked in SQL and only the value comes back: the hit path is one native call
  // that returns a Buffer (pluck), with no row array to build and no second clock read.
  get: `SELECT CASE WHEN value_id IS NULL THEN value ELSE (SELECT value FROM ${V} WHERE id = value_id) END
    FROM ${T} WHERE namespace = ? AND key = ? AND (expires_at IS NULL OR expires_at > ?)`,
  expiry: `SELECT expires_at FROM ${T} WHERE namespace = ? AND key = ?`,
  insertValue: `INSERT INTO ${V} (value) VALUES (?)`,
  /** lru and fifo: a write is a use, so it moves the entry to the young end. */
  upsertRanked: `INSERT INTO ${T} (namespace, key, value, value_id, expires_at, rank, seq) VALUES (?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (namespace, key) DO UPDATE SET value = excluded.value, value_id = excluded.value_id, expires_at = excluded.expires_at, rank = excluded.rank`,
  /** lfu and rr: an overwrite keeps the read count (lfu) or the random draw (rr). */
  upsertKeepRank: `INSERT INTO ${T} (namespace, key, value, value_id, expires_at, rank, seq) VALUES (?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (namespace, key) DO UPDATE SET value = excluded.value, value_id = excluded.value_id, expires_at = excluded.expires_at`,
  count: `SELECT entries FROM twat_cache_counts WHERE namespace = ?`,
  purge: `DELETE FROM ${T} WHERE expires_at <= ?`,
  /** The soonest expiry in the file (NULL when nothing expires): one step in the expiry index. */
  nextExpiry: `SELECT min(expires_at) FROM ${T} WHERE expires_at IS NOT NULL`,
  // The entry just written is never the victim: with maxsize ≥ 1 it always fits. Ties (lfu)
  // go to the oldest entry. Covered by the rank index.
  victims: `SELECT key FROM ${T} WHERE namespace = ? AND key <> ? ORDER BY rank, seq LIMIT ?`,
  deleteRow: `DELETE FROM ${T} WHERE namespace = ? AND key = ?`,
  delete: `DELETE FROM ${T} WHERE namespace = ? AND key = ? RETURNING expires_at`,
  clear: `DELETE FROM ${T} WHERE namespace = ?`,
  clearCount: `DELETE FROM twat_cache_counts WHERE namespace = ?`,
  size: `SELECT COUNT(*) FROM ${T} WHERE namespace = ? AND (expires_at IS NULL OR expires_at > ?)`,
  keys: `SELECT key FROM ${T} WHERE namespace = ? AND (expires_at IS NULL OR expires_at > ?) ORDER BY seq`,
} as const

let lastTick = 0
/**
 * A rank for lru/fifo and the `seq` of every write: wall-clock microseconds (from `ms`, the
 * caller's one clock read) made strictly increasing within the process, so ticks from different
 * processes interleave by time and ticks from one process never tie. Safe as a double until
 * the year 2255.
 */
function tick(ms: number): number {
  const now = ms * 1000
  lastTick = now > lastTick ? now : lastTick + 1
  return lastTick
}

/**
 * A sync, persistent engine on better-sqlite3: one database file per cache folder (WAL mode, so
 * several processes share it), one row per entry, isolated per namespace. Opens the file here,
 * never at import time; starts no timers.
 *
 * ```ts
 * const engine = createSqliteEngine({ folderName: 'my-app', namespace: 'fib', maxsize: 10_000 })
 * ```
 */
export function createSqliteEngine(input: SqliteEngineInput = {}): SqliteEngine {
  const config = createCacheConfig(input)
  const namespace = input.namespace ?? config.namespace ?? 'default'
  const options = parseSqliteOptions(config.engineOptions)
  const { maxsize, ttl: defaultTtl } = config
  const policy = config.policy ?? 'lru'
  const codec: EncodeOptions = { compress: config.compress, serializer: config.serializer }
  const dir = resolveCacheDir({ cacheDir: config.cacheDir, folderName: config.folderName, secure: config.secure })
  const path = join(dir, options.fileName)
  const connection: Connection = acquire(path, { ...options, secure: config.secure })
  const { db } = connection

  const getValue = connection.statement(SQL.get).pluck(true)
  const readExpiry = connection.statement(SQL.expiry).pluck(true)
  const insertValue = connection.statement(SQL.insertValue)
  const upsert = connection.statement(policy === 'lru' || policy === 'fifo' ? SQL.upsertRanked : SQL.upsertKeepRank)
  const count = connection.statement(SQL.count).pluck(true)
  const purge = connection.statement(SQL.purge)
  const nextExpiry = connection.statement(SQL.nextExpiry).pluck(true)
  const pickVictims = connection.statement(SQL.victims).pluck(true)
  const deleteRow = connection.statement(SQL.deleteRow)
  const remove = connection.statement(SQL.delete).pluck(true)
  const clearRows = connection.statement(SQL.clear)
  const clearCount = connection.statement(SQL.clearCount)
  const countLive = connection.statement(SQL.size).pluck(true)
  const listKeys = connection.statement(SQL.keys).pluck(true)

  const { access } = connection
  const tracksReads = policy === 'lru' || policy === 'lfu'
  let hits = 0
  let misses = 0
  let closed = false

  const fail = (error: unknown, doing: string): never => {
    throw translate(error, path, connection.busyTimeout, doing)
  }

  /** Delete the `excess` lowest-ranked entries, first writing recorded reads of any candidate. */
  const evict = (key: string, excess: number): void => {
    for (;;) {
      const victims = pickVictims.all(namespace, key, excess) as string[]
      let reordered = false
      for (const victim of victims) {
        if (access.has(namespace, victim)) {
          access.flushKey(namespace, victim)
          reordered = true
        }
      }
      // Each round writes at least one recorded read, so this ends.
      if (reordered) continue
      for (const victim of victims) deleteRow.run(namespace, victim)
      return
    }
  }

  // IMMEDIATE takes the write lock up front. A deferred transaction that reads first and then
  // writes gets SQLITE_BUSY without waiting when another process committed in between.
  const flushReads = db.transaction(() => access.flushAll()).immediate
  const write = db.transaction((key: string, bytes: Uint8Array, expiresAt: number | null, now: number) => {
    // seq is kept by an overwrite (the upserts leave it alone), so it records the first write.
    const seq = tick(now)
    const rank = policy === 'rr' ? Math.floor(Math.random() * 2 ** 52) : policy === 'lfu' ? 0 : seq
    if (bytes.byteLength > INLINE_VALUE_MAX) {
      const id = insertValue.run(bytes).lastInsertRowid
      upsert.run(namespace, key, null, id, expiresAt, rank, seq)
    } else {
      upsert.run(namespace, key, bytes, null, expiresAt, rank, seq)
    }
    if (++connection.writes >= options.purgeEvery) {
      connection.writes = 0
      purge.run(now)
    }
    if (access.size > 0 && now - access.lastFlush >= options.accessFlushMs) access.flushAll()
    let entries = count.get(namespace) as number
    if (entries > maxsize) {
      // Expired rows first: evicting a live entry while dead ones take up room would be wrong.
      // A full cache gets here on every miss, so the DELETE (and the recount) runs only when
      // the expiry index says some row has expired.
      const soonest = nextExpiry.get() as number | null
      if (soonest !== null && soonest <= now) {
        purge.run(now)
        entries = count.get(namespace) as number
      }
      if (entries > maxsize) evict(key, entries - maxsize)
    }
  }).immediate

  const clearAll = db.transaction(() => {
    clearRows.run(namespace)
    clearCount.run(namespace)
  }).immediate

  /** Record a read at `now` (the clock read of the get that hit: one per hit). */
  const touch = (key: string, now: number): void => {
    if (policy === 'lru') access.recordUse(namespace, key, tick(now))
    else access.recordRead(namespace, key)
    if (access.size >= MAX_PENDING_READS || now - access.lastFlush >= options.accessFlushMs) {
      try {
        flushReads()
      } catch (error) {
        // Access order is a hint: losing it must not fail a read that already succeeded.
        access.discard()
        warnOnce(`sqlite:touch:${path}`, 'sqlite', `could not record reads in ${path}; eviction order may be approximate: ${String(error)}`)
      }
    }
  }

  const checkOpen = (): void => {
    if (closed) throw new EngineError(`[twat-cache:sqlite] the engine for ${path} (namespace '${namespace}') is closed; create a new one`)
  }

  const undecodable = (key: string, error: unknown): void => {
    warnOnce(
      `sqlite:undecodable:${path}:${namespace}`,
      'sqlite',
      `an entry in ${path} (namespace '${namespace}') could not be decoded and was dropped; it is a miss and will be recomputed. ${(error as Error).message}`,
    )
    try {
      remove.get(namespace, key)
    } catch {
      // The next set overwrites it anyway.
    }
  }

  const engine: SqliteEngine = {
    name: ENGINE_NAME,
    capabilities: SQLITE_CAPABILITIES,
    path,

    get(key: string): unknown {
      checkOpen()
      const now = Date.now()
      let bytes: Uint8Array | undefined
      try {
        bytes = getValue.get(namespace, key, now) as Uint8Array | undefined
      } catch (error) {
        fail(error, 'read from')
      }
      if (bytes === undefined) {
        misses++
        return MISS
      }
      let value: unknown
      try {
        value = decodeValue(bytes, codec)
      } catch (error) {
        undecodable(key, error)
        misses++
        return MISS
      }
      if (tracksReads) touch(key, now)
      hits++
      return value
    },

    set(key: string, value: unknown, setOptions?: SetOptions): void {
      checkOpen()
      const ttl = setOptions?.ttl ?? defaultTtl
      if (ttl !== undefined && !(ttl > 0)) {
        // Expires at once: storing it would only evict a live entry.
        engine.delete(key)
        return
      }
      const bytes = encodeValue(value, codec)
      const now = Date.now()
      const expiresAt = ttl === undefined || ttl === Number.POSITIVE_INFINITY ? null : now + ttl
      try {
        write(key, bytes, expiresAt, now)
      } catch (error) {
        fail(error, 'write to')
      }
    },

    delete(key: string): boolean {
      checkOpen()
      access.forget(namespace, key)
      try {
        const expiresAt = remove.get(namespace, key) as number | null | undefined
        return expiresAt !== undefined && (expiresAt === null || expiresAt > Date.now())
      } catch (error) {
        return fail(error, 'delete from')
      }
    },

    clear(): void {
      checkOpen()
      access.forget(namespace)
      try {
        clearAll()
      } catch (error) {
        fail(error, 'clear')
      }
    },

    has(key: string): boolean {
      checkOpen()
      try {
        const expiresAt = readExpiry.get(namespace, key) as number | null | undefined
        return expiresAt !== undefined && (expiresAt === null || expiresAt > Date.now())
      } catch (error) {
        return fail(error, 'read from')
      }
    },

    size(): number {
      checkOpen()
      try {
        return countLive.get(namespace, Date.now()) as number
      } catch (error) {
        return fail(error, 'read from')
      }
    },

    keys(): string[] {
      checkOpen()
      try {
        // A list, not a live iterator: a set() during iteration would hit a busy statement.
        return listKeys.all(namespace, Date.now()) as string[]
      } catch (error) {
        return fail(error, 'read from')
      }
    },

    stats(): EngineStats {
      return { hits, misses, size: closed ? 0 : engine.size(), maxsize, policy, path }
    },

    close(): void {
      if (closed) return
      closed = true
      try {
        if (access.size > 0) flushReads()
      } catch (error) {
        access.discard()
        warnOnce(`sqlite:touch:${path}`, 'sqlite', `could not record reads in ${path} at close: ${String(error)}`)
      } finally {
        release(connection)
      }
    },

    [Symbol.dispose](): void {
      engine.close()
    },

    async [Symbol.asyncDispose](): Promise<void> {
      engine.close()
    },
  }
  return engine
}
