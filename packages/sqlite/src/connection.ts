import { renameSync, statSync } from 'node:fs'
import Database from 'better-sqlite3'
import { ConcurrencyError, EngineError, ResourceError, log } from '@twat-cache/core'
import { ensureFile } from '@twat-cache/core/node'
import { AccessLog } from './access.js'
import { TABLE, ensureSchema } from './schema.js'
import type { Connection, ConnectionOptions } from './types.js'

/**
 * One connection per database file per process, shared by every engine on that file and
 * closed when the last of them closes. SQLite serializes writers per file anyway; a
 * connection per engine would only multiply file handles, page caches and WAL readers.
 */

/**
 * How often a read checks that the file at the path is still the one this connection has open
 * (another process may have moved a corrupt file aside and started a new one). Writes check
 * every time: a `stat` is ~1 µs against the tens of µs of a write transaction, and a write to
 * the old file would be lost to every other process.
 */
const IDENTITY_CHECK_MS = 1000

const open = new Map<string, Connection>()

/** The shared connection for `path`, opened (and the schema created) on first use. */
export function acquire(path: string, options: ConnectionOptions): Connection {
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
  closeQuietly(connection.db)
}

/**
 * Called with the error of a failed operation. When it is page-level corruption and
 * `onCorrupt` is `'reset'`, the file is moved aside (unless another process already did) and
 * the connection reopens on a fresh one: returns `true`, and the caller retries once.
 */
export function recoverFromCorruption(connection: Connection, error: unknown): boolean {
  if (connection.options.onCorrupt !== 'reset' || !isCorruption(error)) return false
  // Another process may have moved it aside already: then only follow it to the new file.
  const ours = identityOf(connection.path) === connection.identity
  closeQuietly(connection.db)
  if (ours) moveAside(connection.path)
  reopen(connection)
  return true
}

/**
 * Reopen when the file at the path is no longer the one this connection has open (moved aside
 * as corrupt, or deleted, by another process). `force` checks now; otherwise at most once per
 * {@link IDENTITY_CHECK_MS}.
 */
export function followReplacement(connection: Connection, now: number, force: boolean): void {
  if (!force && now < connection.nextIdentityCheck) return
  connection.nextIdentityCheck = now + IDENTITY_CHECK_MS
  if (identityOf(connection.path) === connection.identity) return
  log('info', 'sqlite', `${connection.path} was replaced by another process; reopening it`)
  // A known limit: if this was the last connection to the old file, SQLite checkpoints it and
  // unlinks `<path>-wal` by name at close, which is now the new file's WAL. The new file's
  // connections keep theirs open, and a reader that then sees a damaged file recovers as above.
  closeQuietly(connection.db)
  reopen(connection)
}

function reopen(connection: Connection): void {
  const fresh = connect(connection.path, connection.options)
  connection.db = fresh.db
  connection.identity = fresh.identity
  connection.statement = fresh.statement
  connection.access = fresh.access
  connection.writes = 0
  connection.epoch++
}

function connect(path: string, options: ConnectionOptions): Connection {
  try {
    return connectOnce(path, options)
  } catch (error) {
    if (options.onCorrupt !== 'reset' || !isCorruption(error)) throw error
    moveAside(path)
    return connectOnce(path, options)
  }
}

/** Rename the database (and its -wal and -shm) to `<file>.corrupt-<epoch ms>`, with one warning. */
function moveAside(path: string): void {
  const aside = `${path}.corrupt-${Date.now()}`
  for (const suffix of ['', '-wal', '-shm']) {
    try {
      renameSync(path + suffix, aside + suffix)
    } catch {
      // -wal and -shm may not exist; a main file already gone was moved by another process.
    }
  }
  log('warn', 'sqlite', `${path} is corrupted (not a usable SQLite database); moved it to ${aside} and started an empty cache`)
}

function connectOnce(path: string, options: ConnectionOptions): Connection {
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
    closeQuietly(db)
    throw translate(cause, path, options.busyTimeout, 'open')
  }
  const statements = new Map<string, Database.Statement>()
  const statement = (sql: string): Database.Statement => {
    let prepared = statements.get(sql)
    if (!prepared) statements.set(sql, (prepared = db.prepare(sql)))
    return prepared
  }
  return {
    path,
    options,
    db,
    epoch: 0,
    identity: identityOf(path) ?? '',
    nextIdentityCheck: Date.now() + IDENTITY_CHECK_MS,
    refs: 0,
    writes: 0,
    commits: 0,
    access: new AccessLog(statement, TABLE),
    statement,
  }
}

function setUp(db: Database.Database, options: ConnectionOptions): void {
  // WAL: readers never block writers or each other, which is what lets several processes
  // share one cache. The mode is stored in the file, so this is a no-op after the first open.
  const mode = db.pragma('journal_mode = WAL', { simple: true })
  if (mode !== 'wal') {
    log('warn', 'sqlite', `${db.name}: WAL mode unavailable (journal_mode=${String(mode)}); concurrent processes will wait on each other more`)
  }
  db.pragma(`synchronous = ${options.synchronous === 'full' ? 'FULL' : 'NORMAL'}`)
  ensureSchema(db)
}

function closeQuietly(db: Database.Database): void {
  try {
    db.close()
  } catch {
    // A damaged file may fail its final checkpoint; the handle is released either way.
  }
}

/** Device and inode of the file at `path`, or undefined when there is none. */
function identityOf(path: string): string | undefined {
  try {
    const { dev, ino } = statSync(path)
    return `${dev}:${ino}`
  } catch {
    return undefined
  }
}

export function isCorruption(error: unknown): boolean {
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
      `[twat-cache:sqlite] cannot ${doing} ${path}: the file is not a SQLite database or is corrupted (${detail}); delete it (the cache will be rebuilt), choose another folderName, or leave engineOptions.onCorrupt at 'reset' to have it moved aside`,
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
