import { join } from 'node:path'
import {
  DEFAULT_MAXSIZE,
  type EngineConfig,
  EngineClosedError,
  type EngineStats,
  MISS,
  type SetOptions,
  type SyncCapabilities,
  type SyncEngine,
  checkSetTtl,
  warnOnce,
} from '@twat-cache/core'
import { type EncodeOptions, decodeValue, encodeValue, resolveCacheDir } from '@twat-cache/core/node'
import { acquire, followReplacement, recoverFromCorruption, release, translate } from './connection.js'
import { parseSqliteOptions } from './options.js'
import { sharedMethods } from './shared.js'
import { type Operations, type WriteSettings, prepareOperations, tick } from './statements.js'
import { sqliteTagMethods } from './tags.js'

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
  maxBytes: true,
  // l1 polls `version()`; lock takes lease rows (shared.ts).
  coherence: 'version',
  lease: true,
  tags: true,
})

/**
 * What `createSqliteEngine` reads: an `EngineConfig` as the registry passes it (validated once,
 * by core), or just these fields when you call the factory yourself. Durations are milliseconds
 * and `compress` is the resolved object: pass `createCacheConfig(options)` to use the option
 * spellings of `bcache` (`ttl: '5m'`, `compress: true`).
 */
export type SqliteEngineConfig = Partial<
  Pick<
    EngineConfig,
    'maxsize' | 'maxBytes' | 'ttl' | 'policy' | 'namespace' | 'folderName' | 'cacheDir' | 'secure' | 'compress' | 'serializer' | 'engineOptions'
  >
>

/** @deprecated Renamed {@link SqliteEngineConfig}. */
export type SqliteEngineInput = SqliteEngineConfig

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
/**
 * A sync, persistent engine on better-sqlite3: one database file per cache folder (WAL mode, so
 * several processes share it), one row per entry, isolated per namespace. Opens the file here,
 * never at import time; starts no timers.
 *
 * ```ts
 * const engine = createSqliteEngine({ folderName: 'my-app', namespace: 'fib', maxsize: 10_000 })
 * ```
 */
export function createSqliteEngine(config: SqliteEngineConfig = {}): SqliteEngine {
  const namespace = config.namespace ?? 'default'
  const options = parseSqliteOptions(config.engineOptions)
  const maxsize = config.maxsize ?? DEFAULT_MAXSIZE
  const maxBytes = config.maxBytes ?? Number.POSITIVE_INFINITY
  const defaultTtl = config.ttl
  const policy = config.policy ?? 'lru'
  const secure = config.secure ?? true
  const codec: EncodeOptions = { compress: config.compress ?? false, serializer: config.serializer }
  const dir = resolveCacheDir({ cacheDir: config.cacheDir, folderName: config.folderName, secure })
  const path = join(dir, options.fileName)
  const connection = acquire(path, { ...options, secure })
  const settings: WriteSettings = { namespace, policy, maxsize, maxBytes, purgeEvery: options.purgeEvery, accessFlushMs: options.accessFlushMs }
  let ops: Operations = prepareOperations(connection, settings)
  const tracksReads = policy === 'lru' || policy === 'lfu'
  let hits = 0
  let misses = 0
  let closed = false
  /** This engine's share of `connection.commits`. */
  let ownCommits = 0
  /** Count an entry write (see `Connection.commits`): the connection's other engines' l1 must hear of it. */
  const committed = (): void => {
    connection.commits++
    ownCommits++
  }

  /**
   * Every operation goes through here: refuse after close(), follow the file if another process
   * replaced it, and turn errors into ours. Page-level corruption (with `onCorrupt: 'reset'`)
   * moves the file aside and the operation runs once more on the fresh file, so a read is a miss
   * and a write lands in the new file.
   */
  const run = <T>(doing: string, now: number, isWrite: boolean, op: (ops: Operations) => T): T => {
    if (closed) throw new EngineClosedError(ENGINE_NAME)
    try {
      followReplacement(connection, now, isWrite)
      if (ops.epoch !== connection.epoch) ops = prepareOperations(connection, settings)
      return op(ops)
    } catch (error) {
      let cause = error
      try {
        if (recoverFromCorruption(connection, error)) {
          ops = prepareOperations(connection, settings)
          return op(ops)
        }
      } catch (again) {
        cause = again
      }
      throw translate(cause, path, options.busyTimeout, doing)
    }
  }

  /** Record a read at `now` (the clock read of the get that hit: one per hit). */
  const touch = (key: string, now: number): void => {
    const { access } = ops
    if (policy === 'lru') access.recordUse(namespace, key, tick(now))
    else access.recordRead(namespace, key)
    if (access.size >= MAX_PENDING_READS || now - access.lastFlush >= options.accessFlushMs) {
      try {
        ops.flushReads()
      } catch (error) {
        // Access order is a hint: losing it must not fail a read that already succeeded.
        access.discard()
        warnOnce(`sqlite:touch:${path}`, 'sqlite', `could not record reads in ${path}; eviction order may be approximate: ${String(error)}`)
      }
    }
  }

  const undecodable = (key: string, error: unknown): void => {
    warnOnce(
      `sqlite:undecodable:${path}:${namespace}`,
      'sqlite',
      `an entry in ${path} (namespace '${namespace}') could not be decoded and was dropped; it is a miss and will be recomputed. ${(error as Error).message}`,
    )
    try {
      ops.remove.get(namespace, key)
    } catch {
      // The next set overwrites it anyway.
    }
  }

  const tagMethods = sqliteTagMethods(connection, (doing, now, isWrite, op) => run(doing, now, isWrite, () => op()))

  const isLive = (expiresAt: number | null | undefined): boolean => expiresAt !== undefined && (expiresAt === null || expiresAt > Date.now())

  const engine: SqliteEngine = {
    name: ENGINE_NAME,
    capabilities: SQLITE_CAPABILITIES,
    path,
    ...sharedMethods(
      connection,
      namespace,
      (doing, op) => run(doing, Date.now(), true, op),
      (key) => engine.get(key),
      () => connection.commits - ownCommits,
    ),
    ...tagMethods,

    get(key: string): unknown {
      const now = Date.now()
      const bytes = run('read from', now, false, (o) => o.getValue.get(namespace, key, now) as Uint8Array | undefined)
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
      if (closed) throw new EngineClosedError(ENGINE_NAME)
      const ttl = checkSetTtl(ENGINE_NAME, setOptions?.ttl ?? defaultTtl)
      if (ttl !== undefined && ttl <= 0) {
        // Expires at once: storing it would only evict a live entry.
        engine.delete(key)
        return
      }
      const bytes = encodeValue(value, codec)
      if (bytes.byteLength > maxBytes) {
        // It could only be stored by evicting everything else, and then not fit either.
        warnOnce(
          `sqlite:too-big:${path}:${namespace}`,
          'sqlite',
          `an entry of ${bytes.byteLength} bytes in namespace '${namespace}' is larger than maxBytes (${maxBytes}) on its own and was not stored; raise maxBytes to cache values this large`,
        )
        engine.delete(key)
        return
      }
      const now = Date.now()
      const expiresAt = ttl === undefined || ttl === Number.POSITIVE_INFINITY ? null : now + ttl
      run('write to', now, true, (o) => o.write(key, bytes, expiresAt, now))
      committed()
    },

    delete(key: string): boolean {
      return run('delete from', Date.now(), true, (o) => {
        committed()
        o.access.forget(namespace, key)
        return isLive(o.remove.get(namespace, key) as number | null | undefined)
      })
    },

    clear(): void {
      run('clear', Date.now(), true, (o) => {
        committed()
        o.access.forget(namespace)
        o.clear()
      })
    },

    has(key: string): boolean {
      return run('read from', Date.now(), false, (o) => isLive(o.readExpiry.get(namespace, key) as number | null | undefined))
    },

    size(): number {
      const now = Date.now()
      return run('read from', now, false, (o) => o.countLive.get(namespace, now) as number)
    },

    keys(): string[] {
      const now = Date.now()
      // A list, not a live iterator: a set() during iteration would hit a busy statement.
      return run('read from', now, false, (o) => o.listKeys.all(namespace, now) as string[])
    },

    stats(): EngineStats {
      return { hits, misses, size: engine.size(), maxsize, ...(config.maxBytes === undefined ? {} : { maxBytes }), policy, path }
    },

    close(): void {
      if (closed) return
      closed = true
      try {
        if (ops.epoch === connection.epoch && ops.access.size > 0) ops.flushReads()
      } catch (error) {
        ops.access.discard()
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
