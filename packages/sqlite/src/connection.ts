import { renameSync } from 'node:fs'
import Database from 'better-sqlite3'
import { ConcurrencyError, EngineError, ResourceError, log } from '@twat-cache/core'
import { ensureFile } from '@twat-cache/core/node'
import { AccessLog } from './access.js'
import type { ResolvedSqliteOptions } from './options.js'
import { TABLE, ensureSchema } from './schema.js'

/**
 * One connection per database file per process, shared by every engine on that file and
 * closed when the last of them closes. SQLite serializes writers per file anyway; a
 * connection per engine would only multiply file handles, page caches and WAL readers.
 */

export interface Connection {
  readonly path: string
  readonly db: Database.Database
  readonly busyTimeout: number
  /** Engines using it. */
  refs: number
  /** Writes since the last purge of expired rows. */
  writes: number
  /** Reads not yet written to the file (lru/lfu order), shared by the connection's engines. */
  readonly access: AccessLog
  /** A prepared statement, compiled once per connection. */
  statement(sql: string): Database.Statement
}

const open = new Map<string, Connection>()

/** The shared connection for `path`, opened (and the schema created) on first use. */
export function acquire(path: string, options: ResolvedSqliteOptions & { secure: boolean }): Connection {
  let connection = open.get(path)
  if (!connection) {
    connection = connect(path, options)
    open.set(path, connection)
  }
  connection.refs++
  return connection
}

export function release(connection: Connection): void {
  if (--connection.refs > 0) return
  open.delete(connection.path)
  try {
    // Cheap, and keeps query plans good for files that live for months.
    connection.db.pragma('optimize')
  } catch {
    // Advisory only; closing matters more.
  }
  connection.db.close()
}

function connect(path: string, options: ResolvedSqliteOptions & { secure: boolean }): Connection {
  try {
    return connectOnce(path, options)
  } catch (error) {
    if (options.onCorrupt !== 'reset' || !isCorruption(error)) throw error
    const aside = `${path}.corrupt-${Date.now()}`
    log('warn', 'sqlite', `${path} is not a usable SQLite database; moved it to ${aside} and started an empty cache`)
    for (const suffix of ['', '-wal', '-shm']) {
      try {
        renameSync(path + suffix, aside + suffix)
      } catch {
        // -wal and -shm may not exist.
      }
    }
    return connectOnce(path, options)
  }
}

function connectOnce(path: string, options: ResolvedSqliteOptions & { secure: boolean }): Connection {
  // Created 0600 by us before SQLite sees it: SQLite gives -wal and -shm the same mode.
  ensureFile(path, { secure: options.secure })
  let db: Database.Database
  try {
    db = new Database(path, { timeout: options.busyTimeout })
  } catch (cause) {
    throw translate(cause, path, options.busyTimeout, 'open')
  }
  try {
    setUp(db, options)
  } catch (cause) {
    db.close()
    throw translate(cause, path, options.busyTimeout, 'open')
  }
  const statements = new Map<string, Database.Statement>()
  const connection: Omit<Connection, 'access'> & { access?: AccessLog } = {
    path,
    db,
    busyTimeout: options.busyTimeout,
    refs: 0,
    writes: 0,
    statement(sql) {
      let statement = statements.get(sql)
      if (!statement) statements.set(sql, (statement = db.prepare(sql)))
      return statement
    },
  }
  connection.access = new AccessLog(connection as Connection, TABLE)
  return connection as Connection
}

function setUp(db: Database.Database, options: ResolvedSqliteOptions): void {
  // WAL: readers never block writers or each other, which is what lets several processes
  // share one cache. The mode is stored in the file, so this is a no-op after the first open.
  const mode = db.pragma('journal_mode = WAL', { simple: true })
  if (mode !== 'wal') {
    log('warn', 'sqlite', `${db.name}: WAL mode unavailable (journal_mode=${String(mode)}); concurrent processes will wait on each other more`)
  }
  db.pragma(`synchronous = ${options.synchronous === 'full' ? 'FULL' : 'NORMAL'}`)
  ensureSchema(db)
}

function isCorruption(error: unknown): boolean {
  const codes = [codeOf(error), codeOf((error as { cause?: unknown } | undefined)?.cause)]
  return codes.some((code) => code === 'SQLITE_NOTADB' || code?.startsWith('SQLITE_CORRUPT'))
}

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | undefined)?.code
  return typeof code === 'string' ? code : undefined
}

/**
 * Turn a better-sqlite3 error into one of ours, naming the file and what to do. Our own
 * errors pass through unchanged.
 */
export function translate(error: unknown, path: string, busyTimeout: number, doing: string): Error {
  if (error instanceof EngineError || error instanceof ResourceError) return error
  const code = codeOf(error) ?? ''
  const detail = error instanceof Error ? error.message : String(error)
  const options = { cause: error }
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return new ConcurrencyError(
      `[twat-cache:sqlite] cannot ${doing} ${path}: another process held it locked for more than ${busyTimeout} ms; raise engineOptions.busyTimeout or reduce concurrent writers`,
      options,
    )
  }
  if (code === 'SQLITE_NOTADB' || code.startsWith('SQLITE_CORRUPT')) {
    return new ResourceError(
      `[twat-cache:sqlite] cannot ${doing} ${path}: the file is not a SQLite database or is corrupted (${detail}); delete it (the cache will be rebuilt), choose another folderName, or pass engineOptions: { onCorrupt: 'reset' }`,
      options,
    )
  }
  if (code === 'SQLITE_FULL') {
    return new ResourceError(`[twat-cache:sqlite] cannot ${doing} ${path}: the disk is full; free space or clear old caches`, options)
  }
  if (code.startsWith('SQLITE_READONLY') || code.startsWith('SQLITE_CANTOPEN') || code.startsWith('SQLITE_PERM')) {
    return new ResourceError(
      `[twat-cache:sqlite] cannot ${doing} ${path}: ${detail}; check that the directory and file are writable by this user`,
      options,
    )
  }
  if (code.startsWith('SQLITE_IOERR')) {
    return new ResourceError(`[twat-cache:sqlite] cannot ${doing} ${path}: I/O error (${detail})`, options)
  }
  return new EngineError(`[twat-cache:sqlite] cannot ${doing} ${path}: ${detail}`, options)
}
