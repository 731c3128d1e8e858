/**
 * `@twat-cache/flat-cache/inspect`: read and clean namespace files for the `twat-cache` CLI.
 * Reading parses the file once and never writes it; clearing and pruning go through the
 * engine's own store (`file-store.ts`), which writes atomically.
 */
import { Buffer } from 'node:buffer'
import { readFileSync, statSync } from 'node:fs'
import { basename, dirname } from 'node:path'
import { type EntryInfo, inspectEntry } from '@twat-cache/core/node'
import { cacheFileName } from './engine.js'
import { type FileItem, isFileItem } from './file-format.js'
import { acquireStore, releaseStore } from './stores.js'

/** The folder's tag state (tags.ts): part of a cache folder, but not a namespace file. */
export { TAGS_FILE } from './tags.js'

/**
 * A namespace file's name, as {@link cacheFileName} makes it: a readable prefix of the
 * namespace (at most 48 characters), `-`, 32 hex digits of its SHA-256, `.json`.
 */
const FILE_NAME = /^([A-Za-z0-9_-]{0,48})-([0-9a-f]{32})\.json$/

/** Whether a file name has the shape of a flat-cache namespace file (the contents decide). */
export function isFlatCacheFileName(name: string): boolean {
  return FILE_NAME.test(name)
}

/**
 * What `twat-cache ls` calls a namespace file: the readable prefix of its namespace, which is
 * all the file says (the full namespace is hashed into the name, never stored).
 */
export function flatCacheLabel(path: string): string {
  return FILE_NAME.exec(basename(path))?.[1] ?? basename(path)
}

/** Whether `file` (a name in a folder) holds `namespace`: its exact name, or its label. */
export function flatCacheFileMatches(file: string, namespace: string): boolean {
  const name = basename(file)
  return name === cacheFileName(namespace) || name === namespace || name === `${namespace}.json` || flatCacheLabel(file) === namespace
}

export interface FlatCacheEntryView {
  key: string
  /** Size of the encoded value. */
  bytes: number
  /** Unix ms, null for no expiry. */
  expiresAt: number | null
  expired: boolean
  /** The encoded entry as stored (header + payload): `decodeValue` / `inspectEntry` of `@twat-cache/core/node` read it. */
  data: Uint8Array
}

export interface FlatCacheFile {
  readonly path: string
  /** {@link flatCacheLabel} */
  readonly namespace: string
  /** Size of the file. */
  readonly bytes: number
  /** Last write of the file (Unix ms): entries carry no write time of their own. */
  readonly modified: number
  /** Entries in insertion order. */
  readonly entries: FlatCacheEntryView[]
}

/**
 * Why `path` is not a flat-cache namespace file, or undefined. The marker is the file name
 * shape plus the contents: a JSON array of `{ key, value, expires? }` whose values are
 * twat-cache entries (base64 of bytes with the entry header).
 */
export function flatCacheFileProblem(path: string): string | undefined {
  if (!isFlatCacheFileName(basename(path))) return 'file name is not <namespace>-<32 hex digits>.json'
  try {
    const items = parse(path)
    const foreign = items.find((item) => !isFileItem(item) || headerOf(item) === undefined)
    return foreign === undefined ? undefined : 'holds entries that are not twat-cache entries'
  } catch (error) {
    return (error as Error).message
  }
}

/** Read a namespace file (never writes it). Throws when it is not one. */
export function readFlatCacheFile(path: string, now = Date.now()): FlatCacheFile {
  const problem = flatCacheFileProblem(path)
  if (problem) throw new Error(`[twat-cache:flat-cache] ${path}: ${problem}`)
  const stats = statSync(path)
  const entries = (parse(path) as FileItem[]).map((item) => view(item, now))
  return { path, namespace: flatCacheLabel(path), bytes: stats.size, modified: Math.floor(stats.mtimeMs), entries }
}

function parse(path: string): unknown[] {
  const items: unknown = JSON.parse(readFileSync(path, 'utf8'))
  if (!Array.isArray(items)) throw new Error('not a JSON array of entries')
  return items
}

function headerOf(item: FileItem): EntryInfo | undefined {
  try {
    return inspectEntry(Buffer.from(item.value, 'base64'))
  } catch {
    return undefined
  }
}

function view(item: FileItem, now: number): FlatCacheEntryView {
  const bytes = Buffer.from(item.value, 'base64')
  const expiresAt = item.expires ?? null
  return { key: item.key, bytes: bytes.byteLength, expiresAt, expired: expiresAt !== null && expiresAt <= now, data: new Uint8Array(bytes) }
}

/**
 * Open the file through the engine's store, apply `change`, write it (atomically), release.
 * The store loads only live entries and writes only live ones, so any write purges.
 */
function rewrite(path: string, change: (store: ReturnType<typeof acquireStore>) => void): void {
  const store = acquireStore({
    path,
    dir: dirname(path),
    // The largest flat-cache allows: loading must never evict what it came to keep.
    maxsize: 16_777_216,
    maxBytes: Number.POSITIVE_INFINITY,
    policy: 'lru',
    debounceMs: 0,
    flushOnExit: false,
    secure: false,
  })
  try {
    change(store)
  } finally {
    releaseStore(store)
  }
}

/** Remove every entry of the namespace file (the file stays, as an empty cache). */
export function clearFlatCacheFile(path: string): void {
  rewrite(path, (store) => store.clear())
}

/** Drop expired entries from the file. */
export function pruneFlatCacheFile(path: string): void {
  rewrite(path, (store) => store.changed())
}
