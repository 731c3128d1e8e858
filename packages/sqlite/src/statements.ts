import type Database from 'better-sqlite3'
import type { Policy } from '@twat-cache/core'
import type { AccessLog } from './access.js'
import { INLINE_VALUE_MAX, TABLE as T, VALUES_TABLE as V } from './schema.js'
import type { Connection } from './types.js'

const SQL = {
  // Expiry is checked in SQL and only the value comes back: the hit path is one native call
  // that returns a Buffer (pluck), with no row array to build and no second clock read.
  get: `SELECT CASE WHEN value_id IS NULL THEN value ELSE (SELECT value FROM ${V} WHERE id = value_id) END
    FROM ${T} WHERE namespace = ? AND key = ? AND (expires_at IS NULL OR expires_at > ?)`,
  expiry: `SELECT expires_at FROM ${T} WHERE namespace = ? AND key = ?`,
  insertValue: `INSERT INTO ${V} (value) VALUES (?)`,
  /** lru and fifo: a write is a use, so it moves the entry to the young end. */
  upsertRanked: `INSERT INTO ${T} (namespace, key, value, value_id, expires_at, rank, seq, size) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (namespace, key) DO UPDATE SET value = excluded.value, value_id = excluded.value_id, expires_at = excluded.expires_at, rank = excluded.rank, size = excluded.size`,
  /** lfu and rr: an overwrite keeps the read count (lfu) or the random draw (rr). */
  upsertKeepRank: `INSERT INTO ${T} (namespace, key, value, value_id, expires_at, rank, seq, size) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (namespace, key) DO UPDATE SET value = excluded.value, value_id = excluded.value_id, expires_at = excluded.expires_at, size = excluded.size`,
  /** [entries, bytes] of a namespace, kept by triggers. */
  count: `SELECT entries, bytes FROM twat_cache_counts WHERE namespace = ?`,
  purge: `DELETE FROM ${T} WHERE expires_at <= ?`,
  /** The soonest expiry in the file (NULL when nothing expires): one step in the expiry index. */
  nextExpiry: `SELECT min(expires_at) FROM ${T} WHERE expires_at IS NOT NULL`,
  // The entry just written is never the victim: it fits on its own (maxsize ≥ 1, and a value
  // over maxBytes is never written). Ties (lfu) go to the oldest entry. Covered by the rank index.
  victims: `SELECT key FROM ${T} WHERE namespace = ? AND key <> ? ORDER BY rank, seq LIMIT ?`,
  deleteRow: `DELETE FROM ${T} WHERE namespace = ? AND key = ?`,
  delete: `DELETE FROM ${T} WHERE namespace = ? AND key = ? RETURNING expires_at`,
  clear: `DELETE FROM ${T} WHERE namespace = ?`,
  clearCount: `DELETE FROM twat_cache_counts WHERE namespace = ?`,
  size: `SELECT COUNT(*) FROM ${T} WHERE namespace = ? AND (expires_at IS NULL OR expires_at > ?)`,
  keys: `SELECT key FROM ${T} WHERE namespace = ? AND (expires_at IS NULL OR expires_at > ?) ORDER BY seq`,
} as const

/** What one engine needs to know to write: its namespace, bounds and eviction order. */
export interface WriteSettings {
  readonly namespace: string
  readonly policy: Policy
  readonly maxsize: number
  /** `Infinity` when not set. */
  readonly maxBytes: number
  readonly purgeEvery: number
  readonly accessFlushMs: number
}

/**
 * An engine's statements and transactions on one open database. Prepared again (cheaply: the
 * connection caches statements) whenever the connection reopens on a new file.
 */
export interface Operations {
  readonly epoch: number
  readonly access: AccessLog
  readonly getValue: Database.Statement
  readonly readExpiry: Database.Statement
  readonly remove: Database.Statement
  readonly countLive: Database.Statement
  readonly listKeys: Database.Statement
  write(key: string, bytes: Uint8Array, expiresAt: number | null, now: number): void
  clear(): void
  flushReads(): void
}

let lastTick = 0
/**
 * A rank for lru/fifo and the `seq` of every write: wall-clock microseconds (from `ms`, the
 * caller's one clock read) made strictly increasing within the process, so ticks from different
 * processes interleave by time and ticks from one process never tie. Safe as a double until
 * the year 2255.
 */
export function tick(ms: number): number {
  const now = ms * 1000
  lastTick = now > lastTick ? now : lastTick + 1
  return lastTick
}

export function prepareOperations(connection: Connection, settings: WriteSettings): Operations {
  const { db, access } = connection
  const { namespace, policy, maxsize, maxBytes } = settings
  const statement = (sql: string) => connection.statement(sql)
  const insertValue = statement(SQL.insertValue)
  const upsert = statement(policy === 'lru' || policy === 'fifo' ? SQL.upsertRanked : SQL.upsertKeepRank)
  const count = statement(SQL.count).raw(true)
  const purge = statement(SQL.purge)
  const nextExpiry = statement(SQL.nextExpiry).pluck(true)
  const pickVictims = statement(SQL.victims).pluck(true)
  const deleteRow = statement(SQL.deleteRow)
  const clearRows = statement(SQL.clear)
  const clearCount = statement(SQL.clearCount)
  const over = (c: [number, number] | undefined): boolean => c !== undefined && (c[0] > maxsize || c[1] > maxBytes)

  /** Delete the `n` lowest-ranked entries, first writing recorded reads of any candidate. */
  const evict = (key: string, n: number): number => {
    for (;;) {
      const victims = pickVictims.all(namespace, key, n) as string[]
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
      return victims.length
    }
  }

  const write = (key: string, bytes: Uint8Array, expiresAt: number | null, now: number): void => {
    // seq is kept by an overwrite (the upserts leave it alone), so it records the first write.
    const seq = tick(now)
    const rank = policy === 'rr' ? Math.floor(Math.random() * 2 ** 52) : policy === 'lfu' ? 0 : seq
    const size = bytes.byteLength
    if (size > INLINE_VALUE_MAX) {
      const id = insertValue.run(bytes).lastInsertRowid
      upsert.run(namespace, key, null, id, expiresAt, rank, seq, size)
    } else {
      upsert.run(namespace, key, bytes, null, expiresAt, rank, seq, size)
    }
    if (++connection.writes >= settings.purgeEvery) {
      connection.writes = 0
      purge.run(now)
    }
    if (access.size > 0 && now - access.lastFlush >= settings.accessFlushMs) access.flushAll()
    let counts = count.get(namespace) as [number, number] | undefined
    if (!over(counts)) return
    // Expired rows first: evicting a live entry while dead ones take up room would be wrong.
    // A full cache gets here on every miss, so the DELETE (and the recount) runs only when
    // the expiry index says some row has expired.
    const soonest = nextExpiry.get() as number | null
    if (soonest !== null && soonest <= now) {
      purge.run(now)
      counts = count.get(namespace) as [number, number] | undefined
    }
    // Entries beyond maxsize go in one round; bytes beyond maxBytes one victim at a time (sizes
    // vary), each round a step in the rank index.
    while (counts !== undefined && over(counts)) {
      if (evict(key, Math.max(1, counts[0] - maxsize)) === 0) break
      counts = count.get(namespace) as [number, number] | undefined
    }
  }

  return {
    epoch: connection.epoch,
    access,
    getValue: statement(SQL.get).pluck(true),
    readExpiry: statement(SQL.expiry).pluck(true),
    remove: statement(SQL.delete).pluck(true),
    countLive: statement(SQL.size).pluck(true),
    listKeys: statement(SQL.keys).pluck(true),
    // IMMEDIATE takes the write lock up front. A deferred transaction that reads first and then
    // writes gets SQLITE_BUSY without waiting when another process committed in between.
    write: db.transaction(write).immediate,
    clear: db.transaction(() => {
      clearRows.run(namespace)
      clearCount.run(namespace)
    }).immediate,
    flushReads: db.transaction(() => access.flushAll()).immediate,
  }
}
