/**
 * `@twat-cache/sqlite/inspect`: read a cache file without taking part in it, for the
 * `twat-cache` CLI. Reads open the file read-only: in WAL mode a reader never blocks the
 * processes writing to it and never waits for them. Deletions go through the engine itself.
 */
import { basename, dirname } from 'node:path'
import Database from 'better-sqlite3'
import { createSqliteEngine } from './engine.js'
import { APPLICATION_ID, TABLE as T, VALUES_TABLE as V } from './schema.js'
import { SCHEMA_VERSION } from './version.js'

/** One namespace of a cache file, as `twat-cache ls` shows it. */
export interface SqliteNamespaceSummary {
  namespace: string
  entries: number
  /** Bytes of keys and encoded values (the file also holds indexes and free pages). */
  bytes: number
  /** When the oldest / newest entry was first written (Unix ms), null when empty. */
  oldest: number | null
  newest: number | null
  /** Entries past their expiry that no write has purged yet. */
  expired: number
}

/** One entry, decoded. */
export interface SqliteEntryView {
  key: string
  /** Size of the encoded value. */
  bytes: number
  /** Unix ms, null for no expiry. */
  expiresAt: number | null
  /** When it was first written (Unix ms). */
  writtenAt: number
  expired: boolean
  /** The encoded entry as stored (header + payload): `decodeValue` / `inspectEntry` of `@twat-cache/core/node` read it. */
  data: Uint8Array
}

export interface SqliteInspector {
  readonly path: string
  /** Every namespace in the file. One pass over the entries table. */
  namespaces(now?: number): SqliteNamespaceSummary[]
  /** Entries of `namespace` in write order, at most `limit` (default all). */
  entries(namespace: string, options?: { limit?: number; now?: number }): SqliteEntryView[]
  /** One entry, or undefined. */
  entry(namespace: string, key: string, now?: number): SqliteEntryView | undefined
  /** Keys of expired entries in `namespace`. */
  expiredKeys(namespace: string, now?: number): string[]
  close(): void
}

/** Why `path` is not a twat-cache SQLite file, or undefined when it is one. */
export function sqliteCacheProblem(path: string): string | undefined {
  let db: Database.Database | undefined
  try {
    db = new Database(path, { readonly: true, fileMustExist: true })
    return problemOf(db)
  } catch (error) {
    return `not a SQLite database (${(error as Error).message})`
  } finally {
    db?.close()
  }
}

function problemOf(db: Database.Database): string | undefined {
  // application_id is set by ensureSchema in the same transaction as the tables: it is the
  // marker that the file is ours, not merely a SQLite file that happens to be in the folder.
  const id = db.pragma('application_id', { simple: true }) as number
  if (id !== APPLICATION_ID) return `not a twat-cache database (application_id ${id})`
  const version = db.pragma('user_version', { simple: true }) as number
  if (version !== SCHEMA_VERSION) {
    return `written with schema ${version}, this @twat-cache/sqlite reads ${SCHEMA_VERSION}: ${version < SCHEMA_VERSION ? 'open it once with the current engine to migrate it' : 'upgrade @twat-cache/sqlite'}`
  }
  return undefined
}

/** Size of an entry's encoded value, inline or out of line. */
const VALUE_BYTES = `coalesce(length(value), (SELECT length(value) FROM ${V} WHERE id = value_id), 0)`
const VALUE = `CASE WHEN value_id IS NULL THEN value ELSE (SELECT value FROM ${V} WHERE id = value_id) END`

/**
 * Open `path` read-only. Throws when it is not a twat-cache database of this schema version.
 * `seq` is the engine's write tick in wall-clock microseconds, so it doubles as the write time.
 */
export function openSqliteInspector(path: string): SqliteInspector {
  const db = new Database(path, { readonly: true, fileMustExist: true })
  const problem = problemOf(db)
  if (problem) {
    db.close()
    throw new Error(`[twat-cache:sqlite] ${path}: ${problem}`)
  }
  const summary = db.prepare(
    `SELECT namespace, COUNT(*) AS entries, SUM(length(key) + ${VALUE_BYTES}) AS bytes,
       MIN(seq) AS oldest, MAX(seq) AS newest, SUM(expires_at IS NOT NULL AND expires_at <= ?) AS expired
     FROM ${T} GROUP BY namespace ORDER BY namespace`,
  )
  const columns = `key, ${VALUE} AS value, ${VALUE_BYTES} AS bytes, expires_at, seq`
  const list = db.prepare(`SELECT ${columns} FROM ${T} WHERE namespace = ? ORDER BY seq LIMIT ?`)
  const one = db.prepare(`SELECT ${columns} FROM ${T} WHERE namespace = ? AND key = ?`)
  const expired = db.prepare(`SELECT key FROM ${T} WHERE namespace = ? AND expires_at <= ?`).pluck(true)

  return {
    path,
    namespaces(now = Date.now()) {
      return (summary.all(now) as Row[]).map((r) => ({
        namespace: r.namespace,
        entries: r.entries,
        bytes: r.bytes ?? 0,
        oldest: r.oldest === null ? null : Math.floor(r.oldest / 1000),
        newest: r.newest === null ? null : Math.floor(r.newest / 1000),
        expired: r.expired ?? 0,
      }))
    },
    entries(namespace, options = {}) {
      const now = options.now ?? Date.now()
      return (list.all(namespace, options.limit ?? -1) as EntryRow[]).map((r) => view(r, now))
    },
    entry(namespace, key, now = Date.now()) {
      const row = one.get(namespace, key) as EntryRow | undefined
      return row && view(row, now)
    },
    expiredKeys(namespace, now = Date.now()) {
      return expired.all(namespace, now) as string[]
    },
    close() {
      db.close()
    },
  }
}

interface Row {
  namespace: string
  entries: number
  bytes: number | null
  oldest: number | null
  newest: number | null
  expired: number | null
}

interface EntryRow {
  key: string
  value: Uint8Array | null
  bytes: number
  expires_at: number | null
  seq: number
}

function view(row: EntryRow, now: number): SqliteEntryView {
  return {
    key: row.key,
    bytes: row.bytes,
    expiresAt: row.expires_at,
    writtenAt: Math.floor(row.seq / 1000),
    expired: row.expires_at !== null && row.expires_at <= now,
    data: row.value ?? new Uint8Array(0),
  }
}

/** The engine for one namespace of the file at `path`, opened as an application would. */
function engineFor(path: string, namespace: string) {
  return createSqliteEngine({
    cacheDir: dirname(path),
    namespace,
    // Never tighten the modes of a file we only came to clean.
    secure: false,
    engineOptions: { fileName: basename(path) },
  })
}

/**
 * Remove every entry of `namespace` through the engine's own `clear()` (one transaction), as a
 * running application would. Safe while other processes write to the file: whatever they
 * write after it commits is kept.
 */
export function clearSqliteNamespace(path: string, namespace: string): void {
  const engine = engineFor(path, namespace)
  try {
    engine.clear()
  } finally {
    engine.close()
  }
}

/** Delete `keys` of `namespace` (expired ones, for prune) through the engine's own `delete()`. */
export function deleteSqliteKeys(path: string, namespace: string, keys: readonly string[]): void {
  const engine = engineFor(path, namespace)
  try {
    for (const key of keys) engine.delete(key)
  } finally {
    engine.close()
  }
}
