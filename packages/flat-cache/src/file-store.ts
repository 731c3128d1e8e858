import { Buffer } from 'node:buffer'
import { mkdirSync, readFileSync } from 'node:fs'
import { PathError, ResourceError, log, warnOnce } from '@twat-cache/core'
import { writeFileAtomic } from '@twat-cache/core/node'
import { FlatCache } from 'flat-cache'

/**
 * How much of flat-cache we use, and why:
 *
 * - Its `FlatCache` (a `CacheableMemory` underneath) is the in-memory structure: the entries,
 *   their stored `expires`, expiry on read, and LRU order and eviction (`lruSize`).
 * - Its file format is kept: the file is the JSON array of `{ key, value, expires }` items that
 *   `FlatCache#save` writes (with `JSON` instead of its default `flatted`), so flat-cache's own
 *   `createFromFile(path, { deserialize: JSON.parse })` can read our files.
 * - Its persistence is not used. `save()` (and `clear()`, which saves) call `writeFileSync` on
 *   the target file, so a crash mid-write leaves a truncated file; `load()` reports a corrupt
 *   file through an `error` event that nobody listens to. We write with `writeFileAtomic`
 *   (temp file + rename) from `@twat-cache/core/node` and parse the file ourselves, so a bad
 *   file is a logged miss. We never start its `persistInterval` or `expirationInterval` timers.
 *
 * One `FileStore` per file per process, shared by every engine opened on it (refcounted), so
 * two engines on the same namespace see each other's writes instead of overwriting each other's
 * file. Across processes the file is last-writer-wins.
 */

/** An item as `CacheableMemory` keeps it: the encoded entry (header + payload) as bytes. */
interface StoredItem {
  key: string
  value: Uint8Array
  expires?: number | undefined
}

/** An item as the file holds it: the same bytes as base64, since the file is JSON. */
export interface FileItem {
  key: string
  value: string
  expires?: number | undefined
}

export interface FileStoreSettings {
  /** Absolute path of the cache file. */
  readonly path: string
  /** Its directory, recreated if it disappears. */
  readonly dir: string
  readonly maxsize: number
  readonly policy: 'lru' | 'fifo'
  readonly debounceMs: number
  readonly flushOnExit: boolean
  readonly secure: boolean
}

const SCOPE = 'flat-cache'

/** Open stores by file path. Also what the exit hook walks. */
const stores = new Map<string, FileStore>()
let exitHookInstalled = false

function flushAllOnExit(): void {
  for (const store of stores.values()) {
    if (!store.settings.flushOnExit) continue
    try {
      store.flush()
    } catch (error) {
      // Nobody can catch an error thrown from an exit hook; say what was lost instead.
      log('error', SCOPE, `could not write ${store.settings.path} at exit: ${(error as Error).message}`)
    }
  }
}

/** Open (or join) the store for `settings.path`. Release it with {@link releaseStore}. */
export function acquireStore(settings: FileStoreSettings): FileStore {
  const existing = stores.get(settings.path)
  if (existing) {
    const theirs = existing.settings
    if (theirs.maxsize !== settings.maxsize || theirs.policy !== settings.policy || theirs.debounceMs !== settings.debounceMs) {
      warnOnce(
        `flat-cache:settings:${settings.path}`,
        SCOPE,
        `${settings.path} is already open in this process with maxsize ${theirs.maxsize}, policy '${theirs.policy}', debounceMs ${theirs.debounceMs}; those settings apply to this engine too (use another namespace to keep them apart)`,
      )
    }
    existing.refs++
    return existing
  }
  const store = new FileStore(settings)
  store.load()
  store.refs = 1
  stores.set(settings.path, store)
  if (!exitHookInstalled) {
    // Installed with the first open store, not at import: importing the package has no effects
    // beyond registering the engine.
    process.on('exit', flushAllOnExit)
    exitHookInstalled = true
  }
  return store
}

/** Flush, and close the store when its last engine lets go. Throws if the final write failed. */
export function releaseStore(store: FileStore): void {
  store.refs--
  let failure: unknown
  try {
    store.flush()
  } catch (error) {
    failure = error
  }
  if (store.refs <= 0) {
    store.stopTimer()
    stores.delete(store.settings.path)
    if (stores.size === 0 && exitHookInstalled) {
      process.off('exit', flushAllOnExit)
      exitHookInstalled = false
    }
  }
  if (failure !== undefined) throw failure
}

/** Number of stores open in this process (tests). */
export function openStoreCount(): number {
  return stores.size
}

export class FileStore {
  readonly settings: FileStoreSettings
  readonly flat: FlatCache
  refs = 0
  #dirty = false
  #timer: ReturnType<typeof setTimeout> | undefined
  /** A background write is failing: logged once per episode, not once per retry. */
  #failing = false

  constructor(settings: FileStoreSettings) {
    this.settings = settings
    this.flat = new FlatCache({
      cacheDir: settings.dir,
      cacheId: settings.path.slice(settings.dir.length + 1),
      // Values are encoded bytes that we never hand out (a hit decodes a fresh value).
      useClone: false,
      lruSize: settings.policy === 'lru' ? settings.maxsize : 0,
    })
    // One Map instead of 16 hashed ones. CacheableMemory picks the Map by hashing the key
    // (JSON.stringify + a new Hashery per call): a FlatCache lookup measured 2.4 µs with the
    // default 16 Maps and 0.075 µs with one. The one Map's insertion order is also the FIFO
    // order, and the order entries are written in.
    this.flat.cache.storeHashSize = 1
  }

  /** The single Map behind the cache. Re-read on every call: `clear()` replaces it. */
  get map(): Map<string, StoredItem> {
    return this.flat.cache.store[0] as Map<string, StoredItem>
  }

  /** Read the file into memory. A missing file is an empty cache; an unreadable one is a miss. */
  load(): void {
    const { path } = this.settings
    let text: string
    try {
      text = readFileSync(path, 'utf8')
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return
      throw new PathError(
        `cannot read cache file ${path}: ${(error as Error).message}; check its permissions or choose another cacheDir`,
        { cause: error },
      )
    }
    let items: unknown
    try {
      items = JSON.parse(text)
      if (!Array.isArray(items)) throw new Error(`expected a JSON array of entries, found ${typeof items}`)
    } catch (error) {
      warnOnce(
        `flat-cache:corrupt:${path}`,
        SCOPE,
        `cache file ${path} is unreadable (${(error as Error).message}); starting empty, it will be overwritten on the next write`,
      )
      return
    }
    const now = Date.now()
    let dropped = 0
    for (const item of items as unknown[]) {
      if (!isFileItem(item)) {
        dropped++
        continue
      }
      if (item.expires !== undefined && item.expires <= now) continue
      // Copied out of Buffer's shared pool, so a small entry does not pin an 8 KiB slab.
      const bytes = new Uint8Array(Buffer.from(item.value, 'base64'))
      this.flat.cache.set(item.key, bytes, item.expires === undefined ? undefined : { expire: item.expires })
    }
    if (this.settings.policy === 'fifo') this.trim()
    if (dropped > 0) {
      warnOnce(
        `flat-cache:malformed:${path}`,
        SCOPE,
        `cache file ${path} holds ${dropped} malformed entr${dropped === 1 ? 'y' : 'ies'}; treated as misses and dropped on the next write`,
      )
    }
  }

  /** Store an encoded entry (owned by the store from now on); `expires` is epoch milliseconds. */
  put(key: string, value: Uint8Array, expires: number | undefined): void {
    this.flat.cache.set(key, value, expires === undefined ? undefined : { expire: expires })
    // LRU eviction is flat-cache's (`lruSize`); FIFO is ours, on the Map's insertion order.
    if (this.settings.policy === 'fifo') this.trim()
    this.changed()
  }

  /** Evict the oldest-inserted entries beyond `maxsize` (FIFO). */
  trim(): void {
    const map = this.map
    const excess = map.size - this.settings.maxsize
    if (excess <= 0) return
    let n = 0
    for (const key of map.keys()) {
      if (n++ >= excess) break
      this.flat.cache.delete(key)
    }
  }

  /**
   * The entry under `key` if it is live, marking it recently used. `getRaw`, not `get`: the
   * same lookup without two hook calls and an allocation per read. Expiry is checked here too,
   * because flat-cache keeps an entry through its expiry millisecond and twat-cache engines
   * agree that an entry is gone at `expires` (as the memory engine does).
   */
  lookup(key: string): Uint8Array | undefined {
    const item = this.flat.cache.getRaw(key) as StoredItem | undefined
    if (item === undefined) return undefined
    if (item.expires !== undefined && item.expires <= Date.now()) {
      // Not a change worth a write: the file's copy is skipped as expired when loaded.
      this.flat.cache.delete(key)
      return undefined
    }
    return item.value
  }

  /** The live item under `key`, without touching LRU order. */
  peek(key: string): StoredItem | undefined {
    const item = this.map.get(key)
    if (item === undefined) return undefined
    return item.expires !== undefined && item.expires <= Date.now() ? undefined : item
  }

  /** Keys of live entries, in insertion order; expired ones are dropped on the way. */
  liveKeys(): string[] {
    const now = Date.now()
    const keys: string[] = []
    for (const item of this.map.values()) {
      if (item.expires !== undefined && item.expires <= now) this.flat.cache.delete(item.key)
      else keys.push(item.key)
    }
    return keys
  }

  remove(key: string): boolean {
    const live = this.peek(key) !== undefined
    const present = this.map.has(key)
    if (!present) return false
    this.flat.cache.delete(key)
    this.changed()
    return live
  }

  clear(): void {
    // `CacheableMemory#clear`, not `FlatCache#clear`: the latter saves non-atomically.
    this.flat.cache.clear()
    this.changed()
  }

  /** Record an unsaved change and schedule (or, with `debounceMs: 0`, do) the write. */
  changed(): void {
    this.#dirty = true
    if (this.settings.debounceMs === 0) {
      this.flush()
      return
    }
    if (this.#timer !== undefined) return
    // Scheduled by the first change and not pushed back by later ones: a steady stream of
    // writes still reaches disk every `debounceMs`.
    this.#timer = setTimeout(() => this.#flushInBackground(), this.settings.debounceMs)
    this.#timer.unref()
  }

  stopTimer(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer)
    this.#timer = undefined
  }

  /** Write the file now if anything changed. Throws `ResourceError` if it cannot be written. */
  flush(): void {
    this.stopTimer()
    if (!this.#dirty) return
    // Expired entries are left out, so every write also purges the file. Entries are kept
    // as bytes and turned into base64 only here: a hit then decodes the bytes directly, which
    // measured 0.7 µs (small object) to 3 µs (10 KB) faster per hit than decoding base64
    // first, while base64 for a whole flush of 1,000 small entries is ~0.3 ms.
    const now = Date.now()
    const out: FileItem[] = []
    for (const { key, value, expires } of this.map.values()) {
      if (expires !== undefined && expires <= now) continue
      const data = Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64')
      out.push(expires === undefined ? { key, value: data } : { key, value: data, expires })
    }
    const text = JSON.stringify(out)
    this.#write(text)
    this.#dirty = false
    if (this.#failing) {
      this.#failing = false
      log('info', SCOPE, `writing ${this.settings.path} works again`)
    }
  }

  #write(text: string): void {
    const { path, dir, secure } = this.settings
    try {
      writeFileAtomic(path, text, { secure })
    } catch (error) {
      if (errorCode(error) !== 'ENOENT') throw wrapWriteError(path, error)
      // The directory was removed under us (someone purged the cache): recreate it once.
      try {
        mkdirSync(dir, { recursive: true, ...(secure ? { mode: 0o700 } : {}) })
        writeFileAtomic(path, text, { secure })
      } catch (again) {
        throw wrapWriteError(path, again)
      }
    }
  }

  #flushInBackground(): void {
    this.#timer = undefined
    try {
      this.flush()
    } catch (error) {
      // No caller to throw to from a timer. The entries stay in memory and dirty, so the next
      // change, close() or exit retries the write.
      if (!this.#failing) {
        this.#failing = true
        log('warn', SCOPE, `${(error as Error).message}; entries stay in memory and the write is retried`)
      }
    }
  }
}

/** The errno code of `error` or of the error it wraps (`writeFileAtomic` wraps fs errors). */
function errorCode(error: unknown): string | undefined {
  const own = (error as NodeJS.ErrnoException | undefined)?.code
  if (own !== undefined && !own.startsWith('E_')) return own
  return ((error as { cause?: NodeJS.ErrnoException } | undefined)?.cause)?.code
}

function wrapWriteError(path: string, error: unknown): ResourceError {
  const detail = error instanceof ResourceError ? error.message : `cannot write ${path}: ${(error as Error).message}`
  return new ResourceError(`${detail}; check free space and permissions, or choose another cacheDir`, { cause: error })
}

export function isFileItem(item: unknown): item is FileItem {
  if (typeof item !== 'object' || item === null) return false
  const { key, value, expires } = item as Record<string, unknown>
  return (
    typeof key === 'string' &&
    typeof value === 'string' &&
    (expires === undefined || (typeof expires === 'number' && Number.isFinite(expires)))
  )
}
