import { closeSync, openSync, readSync, readdirSync, statSync } from 'node:fs'
import { homedir } from 'node:os'
import { join, resolve } from 'node:path'
import { readEnv } from '@twat-cache/core'
import { type EntryInfo, decodeValue, inspectEntry, platformCacheDir } from '@twat-cache/core/node'
import {
  clearFlatCacheFile,
  flatCacheFileMatches,
  flatCacheFileProblem,
  isFlatCacheFileName,
  pruneFlatCacheFile,
  readFlatCacheFile,
  TAGS_FILE,
} from '@twat-cache/flat-cache/inspect'
import { type RedisInspector, openRedisInspector } from '@twat-cache/redis/inspect'
import { clearSqliteNamespace, deleteSqliteKeys, openSqliteInspector, sqliteCacheProblem } from '@twat-cache/sqlite/inspect'
import { CliError } from './errors.js'

/** One namespace of one store: a row of `twat-cache ls`. */
export interface NamespaceRow {
  engine: 'sqlite' | 'flat-cache' | 'redis'
  /** The database file, the namespace file, or the Redis server. */
  location: string
  namespace: string
  entries: number
  bytes: number
  /** ISO time of the oldest / newest write, null when the engine keeps none. */
  oldest: string | null
  newest: string | null
  expired: number
}

/** One entry, engine-independent, for `inspect`. */
export interface EntryRow {
  key: string
  bytes: number
  expiresAt: number | null
  expired: boolean
  /** The entry header, or why the bytes are not a readable entry. */
  format: EntryInfo | { error: string }
  /** The decoded value; absent when it cannot be decoded here (custom serializer, damage). */
  value?: unknown
}

/** Decode what an engine's inspector read, with core's own decoder. */
function decoded(raw: { key: string; bytes: number; expiresAt: number | null; expired?: boolean; data: Uint8Array }): EntryRow {
  // Redis removes expired keys itself: what it returns is live.
  const entry: EntryRow = { key: raw.key, bytes: raw.bytes, expiresAt: raw.expiresAt, expired: raw.expired ?? false, format: { error: '' } }
  try {
    entry.format = inspectEntry(raw.data)
    if (entry.format.serializer !== 'custom') entry.value = decodeValue(raw.data)
  } catch (error) {
    entry.format = { error: (error as Error).message }
  }
  return entry
}

/**
 * A cache the CLI can read: a SQLite database (every namespace in it), a flat-cache namespace
 * file, or a Redis server. Reads never write; `clear` and `prune` use the engine's own code.
 */
export interface Store {
  readonly engine: NamespaceRow['engine']
  readonly location: string
  namespaces(): Promise<NamespaceRow[]>
  /** The namespaces of this store that answer to `namespace` as typed by the user ({@link answersTo}). */
  find(namespace: string): Promise<string[]>
  entries(namespace: string, limit: number): Promise<EntryRow[]>
  entry(namespace: string, key: string): Promise<EntryRow | undefined>
  clear(namespace: string): Promise<void>
  /** Remove expired entries of `namespace`. */
  prune(namespace: string): Promise<void>
  close(): Promise<void>
}

/** `--dir`, else `TWAT_CACHE_DIR`, else the platform cache directory (as the engines pick it). */
export function cacheDir(dir: string | undefined): { dir: string; explicit: boolean } {
  const named = dir ?? readEnv('TWAT_CACHE_DIR')
  if (named === undefined) return { dir: platformCacheDir(), explicit: false }
  const expanded = named === '~' ? homedir() : named.startsWith('~/') ? join(homedir(), named.slice(2)) : named
  return { dir: resolve(expanded), explicit: true }
}

/**
 * Whether a stored namespace answers to what the user typed: the namespace itself, or a
 * function's name when the namespace is the default one (`<name>-<source hash>`, see core's
 * `defaultNamespace`), so `twat-cache inspect fib` finds `fib-5afac828c2ba`.
 */
export function answersTo(stored: string, wanted: string): boolean {
  return stored === wanted || (stored.startsWith(`${wanted}-`) && /^[0-9a-f]{6,}(-\d+)?$/.test(stored.slice(wanted.length + 1)))
}

const SQLITE_MAGIC = 'SQLite format 3\0'
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString())

function startsLikeSqlite(path: string): boolean {
  const fd = openSync(path, 'r')
  try {
    const head = Buffer.alloc(16)
    return readSync(fd, head, 0, 16, 0) === 16 && head.toString('latin1') === SQLITE_MAGIC
  } finally {
    closeSync(fd)
  }
}

/**
 * Every twat-cache store in `dir` and its sub-folders one level down (`<cacheDir>/<folderName>/`
 * is how the engines lay them out). A file counts only if it carries the engine's marker: a
 * SQLite file with twat-cache's `application_id`, or a flat-cache namespace file (name shape
 * and entry headers). Everything else is left alone. `onProgress` hears each file looked at.
 */
export function findStores(dir: string, onProgress?: (seen: number) => void): { stores: Store[]; foreign: string[] } {
  let top: string[]
  try {
    top = readdirSync(dir)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    throw new CliError(code === 'ENOENT' ? `${dir} does not exist` : code === 'ENOTDIR' ? `${dir} is not a directory` : `cannot read ${dir}: ${(error as Error).message}`)
  }
  const files: string[] = []
  const foreign: string[] = []
  for (const name of top) {
    const path = join(dir, name)
    const stats = statSync(path, { throwIfNoEntry: false })
    if (stats?.isDirectory()) {
      for (const inner of readdirSync(path)) files.push(join(path, inner))
    } else if (stats?.isFile()) files.push(path)
  }
  const stores: Store[] = []
  let seen = 0
  for (const path of files) {
    onProgress?.(++seen)
    const name = path.slice(path.lastIndexOf('/') + 1)
    // SQLite's side files, files our engines moved aside, atomic-write temp files, flat-cache's
    // lock files and its folder's tag state (a folder only invalidated in holds just that).
    if (/-(wal|shm|journal)$|\.corrupt-\d+|\.tmp|\.lock$|\.break$/.test(name) || name === TAGS_FILE) continue
    const stats = statSync(path, { throwIfNoEntry: false })
    if (!stats?.isFile()) continue
    if (isFlatCacheFileName(name) && flatCacheFileProblem(path) === undefined) stores.push(flatCacheStore(path))
    else if (stats.size >= 16 && startsLikeSqlite(path) && sqliteCacheProblem(path) === undefined) stores.push(sqliteStore(path))
    else foreign.push(path)
  }
  return { stores, foreign }
}

function sqliteStore(path: string): Store {
  // Opened lazily and kept for the command: one read-only connection per file.
  let inspector: ReturnType<typeof openSqliteInspector> | undefined
  const open = () => (inspector ??= openSqliteInspector(path))
  const rows = () =>
    open()
      .namespaces()
      .map((n) => ({ engine: 'sqlite' as const, location: path, ...n, oldest: iso(n.oldest), newest: iso(n.newest) }))
  return {
    engine: 'sqlite',
    location: path,
    namespaces: async () => rows(),
    find: async (namespace) => rows().filter((r) => answersTo(r.namespace, namespace)).map((r) => r.namespace),
    entries: async (namespace, limit) => open().entries(namespace, { limit }).map((e) => decoded(e)),
    entry: async (namespace, key) => {
      const found = open().entry(namespace, key)
      return found && decoded(found)
    },
    clear: async (namespace) => clearSqliteNamespace(path, namespace),
    prune: async (namespace) => deleteSqliteKeys(path, namespace, open().expiredKeys(namespace)),
    close: async () => inspector?.close(),
  }
}

function flatCacheStore(path: string): Store {
  const read = () => readFlatCacheFile(path)
  return {
    engine: 'flat-cache',
    location: path,
    async namespaces() {
      const file = read()
      const expired = file.entries.filter((e) => e.expired).length
      // Entries carry no write time; the file's last write bounds the newest.
      return [{ engine: 'flat-cache', location: path, namespace: file.namespace, entries: file.entries.length, bytes: file.bytes, oldest: null, newest: file.entries.length ? iso(file.modified) : null, expired }]
    },
    find: async (namespace) => {
      const label = read().namespace
      return flatCacheFileMatches(path, namespace) || answersTo(label, namespace) ? [label] : []
    },
    entries: async (_, limit) => read().entries.slice(0, limit).map((e) => decoded(e)),
    entry: async (_, key) => {
      const found = read().entries.find((e) => e.key === key)
      return found && decoded(found)
    },
    clear: async () => clearFlatCacheFile(path),
    prune: async () => pruneFlatCacheFile(path),
    close: async () => undefined,
  }
}

/** The Redis server at `url`, with its password hidden wherever it is shown. */
export function redisStore(url: string, onProgress?: (seen: number) => void): Store {
  let inspector: RedisInspector
  try {
    inspector = openRedisInspector({ url })
  } catch (error) {
    throw new CliError(`--redis-url ${redact(url)}: ${(error as Error).message}`, 2)
  }
  const location = redact(url)
  const rows = async () => (await inspector.namespaces(onProgress)).map((n) => ({ engine: 'redis' as const, location, ...n }))
  return {
    engine: 'redis',
    location,
    namespaces: rows,
    find: async (namespace) => (await rows()).filter((r) => answersTo(r.namespace, namespace)).map((r) => r.namespace),
    entries: async (namespace, limit) => (await inspector.entries(namespace, limit)).map((e) => decoded(e)),
    entry: async (namespace, key) => {
      const found = await inspector.entry(namespace, key)
      return found && decoded(found)
    },
    clear: (namespace) => inspector.clear(namespace),
    // Redis expires keys itself: there is never anything to prune.
    prune: async () => undefined,
    close: () => inspector.close(),
  }
}

function redact(url: string): string {
  try {
    const parsed = new URL(url)
    if (parsed.password) parsed.password = '***'
    return parsed.toString().replace(/\/$/, '')
  } catch {
    return url
  }
}
