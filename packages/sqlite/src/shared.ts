import { MISS, type StoredEntry } from '@twat-cache/core'
import { TABLE } from './schema.js'
import type { Connection } from './types.js'

/**
 * What `l1` and `lock` need from SQLite, for processes of one host (ARCHITECTURE.md §14).
 *
 * - `version()`: `PRAGMA data_version` moves when another connection (another process)
 *   commits to the file; the reopen epoch is folded in, since a fresh file starts it again.
 *   Commits of this process's own connection do not move it, so our own writes never empty L1;
 *   entry writes by the connection's other engines (another cache of this process on the same
 *   file) are counted apart (`others`) and added in.
 * - Leases: one row per (namespace, key) in `twat_cache_leases`, taken by a single upsert that
 *   only replaces an expired row. One statement is one write transaction, so two processes cannot
 *   both take it; a holder that dies leaves a row that expires. The table is created on first
 *   use (and again after the file was replaced), so files without locks never carry it.
 */

const LEASES = 'twat_cache_leases'
const SQL = {
  create: `CREATE TABLE IF NOT EXISTS ${LEASES} (namespace TEXT NOT NULL, key TEXT NOT NULL, token TEXT NOT NULL, expires_at INTEGER NOT NULL, PRIMARY KEY (namespace, key)) WITHOUT ROWID`,
  take: `INSERT INTO ${LEASES} (namespace, key, token, expires_at) VALUES (?, ?, ?, ?)
    ON CONFLICT (namespace, key) DO UPDATE SET token = excluded.token, expires_at = excluded.expires_at WHERE ${LEASES}.expires_at <= ?`,
  give: `DELETE FROM ${LEASES} WHERE namespace = ? AND key = ? AND token = ?`,
  expiry: `SELECT expires_at FROM ${TABLE} WHERE namespace = ? AND key = ?`,
}

export interface SharedMethods {
  version(): number
  readEntry(key: string): StoredEntry | typeof MISS
  acquire(key: string, ttlMs: number): string | undefined
  release(key: string, token: string): void
}

/**
 * `guard` is the engine's `run` (closed check, following a replaced file, error translation);
 * `get` is the engine's own read, so decoding and hit counts stay in one place; `others` counts
 * the entry writes of the connection's other engines.
 */
export function sharedMethods(
  connection: Connection,
  namespace: string,
  guard: <T>(doing: string, op: () => T) => T,
  get: (key: string) => unknown,
  others: () => number,
): SharedMethods {
  let createdAt = -1
  const leases = (): void => {
    if (createdAt === connection.epoch) return
    connection.db.exec(SQL.create)
    createdAt = connection.epoch
  }
  return {
    // Both counts only grow, so their sum moves whenever either does.
    version: () =>
      guard('read the version of', () => connection.epoch * 2 ** 32 + (connection.db.pragma('data_version', { simple: true }) as number) + others()),
    readEntry(key) {
      const value = get(key)
      if (value === MISS) return MISS
      const expiresAt = guard('read from', () => connection.statement(SQL.expiry).pluck().get(namespace, key) as number | null | undefined)
      return { value, expiresAt: expiresAt ?? undefined }
    },
    acquire(key, ttlMs) {
      const token = `${process.pid}-${Math.random().toString(36).slice(2)}`
      return guard('take a lease in', () => {
        leases()
        const now = Date.now()
        return connection.statement(SQL.take).run(namespace, key, token, now + Math.ceil(ttlMs), now).changes === 1 ? token : undefined
      })
    },
    release(key, token) {
      guard('release a lease in', () => {
        leases()
        connection.statement(SQL.give).run(namespace, key, token)
      })
    },
  }
}
