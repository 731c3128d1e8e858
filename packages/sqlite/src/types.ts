import type Database from 'better-sqlite3'
import type { AccessLog } from './access.js'
import type { ResolvedSqliteOptions } from './options.js'

/** What a connection is opened with: the engine options plus the file mode. */
export type ConnectionOptions = ResolvedSqliteOptions & { readonly secure: boolean }

/**
 * One connection per database file per process, shared by every engine on that file (see
 * connection.ts). Mutable on purpose: when the file is replaced (moved aside as corrupt, here or
 * by another process) the connection reopens in place and bumps `epoch`, and each engine
 * prepares its statements again on its next call.
 */
export interface Connection {
  readonly path: string
  readonly options: ConnectionOptions
  db: Database.Database
  /** Bumped by every reopen. */
  epoch: number
  /** Device and inode of the file this connection has open, to notice it being replaced. */
  identity: string
  /** When (epoch ms) the next identity check is due on a read. */
  nextIdentityCheck: number
  /** Engines using it. */
  refs: number
  /** Writes since the last purge of expired rows. */
  writes: number
  /**
   * Entry writes (set, delete, clear) made through this connection by any of its engines. Its
   * own commits never move `PRAGMA data_version`, so an engine's `version()` adds the ones made
   * by the connection's other engines (another cache of this process on the same file).
   */
  commits: number
  /** Reads not yet written to the file (lru/lfu order), shared by the connection's engines. */
  access: AccessLog
  /** A prepared statement, compiled once per open database. */
  statement(sql: string): Database.Statement
}
