import { accessSync, constants } from 'node:fs'
import { log, warnOnce } from '@twat-cache/core'
import { FlatCache } from 'flat-cache'
import { type StoredItem, fileVersion, readCacheFile, sameBytes, serializeItems } from './file-format.js'
import { errorCode, lockedWrite } from './file-write.js'

/**
 * How much of flat-cache we use, and why:
 *
 * - Its `FlatCache` (a `CacheableMemory` underneath) is the in-memory structure: the entries,
 *   their stored `expires`, and LRU order and eviction (`lruSize`).
 * - Its file format is kept (see file-format.ts).
 * - Its persistence is not used. `save()` (and `clear()`, which saves) call `writeFileSync` on
 *   the target file, so a crash mid-write leaves a truncated file, and it knows nothing of other
 *   processes. We write with `writeFileAtomic` (temp file + rename) from `@twat-cache/core/node`
 *   and parse the file ourselves, so a bad file is a logged miss. We never start its
 *   `persistInterval` or `expirationInterval` timers.
 *
 * One `FileStore` per file per process, shared by every engine opened on it (refcounted). Across
 * processes, a flush merges: under a lock file it re-reads the file, takes the entries other
 * processes wrote, keeps this process's sets, deletes and clear since its last flush (those win
 * for their keys), and writes the result. So processes sharing a namespace never lose each
 * other's entries. Reads merge the same way (without writing) when a `stat` at most every
 * `REFRESH_MS` shows the file changed, so they see other processes' flushes within that long.
 */

export interface FileStoreSettings {
  /** Absolute path of the cache file. */
  readonly path: string
  /** Its directory, recreated if it disappears. */
  readonly dir: string
  readonly maxsize: number
  /** `Infinity` when not set. */
  readonly maxBytes: number
  readonly policy: 'lru' | 'fifo'
  readonly debounceMs: number
  readonly flushOnExit: boolean
  readonly secure: boolean
}

export const SCOPE = 'flat-cache'

/**
 * How often reads look at the file for other processes' writes (one `stat`; the file is read
 * only when it changed). A process so sees another's change within this long of its flush.
 */
export const REFRESH_MS = 50

export class FileStore {
  readonly settings: FileStoreSettings
  readonly flat: FlatCache
  refs = 0
  /** Writing is failing: reported once per episode, not once per retry. */
  failing = false
  #dirty = false
  #timer: ReturnType<typeof setTimeout> | undefined
  /** Stored bytes of all entries (what `maxBytes` bounds). */
  #bytes = 0
  /** Changes since the last flush, which win over the file's contents at the next merge. */
  readonly #written = new Set<string>()
  readonly #removed = new Set<string>()
  #cleared = false
  /** The file version last read or written here: unchanged means no other process wrote. */
  #seen: string | undefined
  #probed = false
  /** When reads last looked at the file ({@link REFRESH_MS}). */
  #checkedAt = 0
  /** How many times this process took in a version of the file another process wrote. */
  changes = 0
  /**
   * Entry writes (set, delete, clear) made through this store by any of its engines: the file's
   * version never shows them to the store's other engines (another cache of this process on
   * the same namespace), so an engine's `version()` adds the ones it did not make.
   */
  commits = 0

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
    // Every removal (ours, its LRU eviction) goes through `delete`, which runs this hook first.
    this.flat.cache.onHook('BEFORE_DELETE', (key: string) => {
      const item = this.map.get(key)
      if (item !== undefined) this.#bytes -= item.value.byteLength
    })
  }

  /** The single Map behind the cache. Re-read on every call: `clear()` replaces it. */
  get map(): Map<string, StoredItem> {
    return this.flat.cache.store[0] as Map<string, StoredItem>
  }

  /** Stored bytes of the entries in memory. */
  get bytes(): number {
    return this.#bytes
  }

  /** Read the file into memory. A missing file is an empty cache; an unreadable one is a miss. */
  load(): void {
    this.#checkedAt = Date.now()
    this.#seen = fileVersion(this.settings.path)
    for (const item of readCacheFile(this.settings.path, Date.now())) this.#set(item.key, item.value, item.expires)
    this.#fit()
  }

  /** Store an encoded entry (owned by the store from now on); `expires` is epoch milliseconds. */
  put(key: string, value: Uint8Array, expires: number | undefined): void {
    this.#set(key, value, expires)
    this.#written.add(key)
    this.#removed.delete(key)
    this.#fit(key)
    this.changed()
  }

  /**
   * The entry under `key` if it is live, marking it recently used. Expiry is checked here,
   * because flat-cache keeps an entry through its expiry millisecond and twat-cache engines
   * agree that an entry is gone at `expires` (as the memory engine does).
   */
  lookup(key: string): Uint8Array | undefined {
    const now = Date.now()
    this.#current(now)
    const item = this.map.get(key)
    if (item === undefined) return undefined
    if (item.expires !== undefined && item.expires <= now) {
      // Not a change worth a write: the file's copy is skipped as expired when read.
      this.flat.cache.delete(key)
      return undefined
    }
    this.flat.cache.lruMoveToFront(key)
    return item.value
  }

  /** The live item under `key`, without touching LRU order. */
  peek(key: string): StoredItem | undefined {
    const now = Date.now()
    this.#current(now)
    const item = this.map.get(key)
    if (item === undefined) return undefined
    return item.expires !== undefined && item.expires <= now ? undefined : item
  }

  /** Keys of live entries, in insertion order; expired ones are dropped on the way. */
  liveKeys(): string[] {
    const now = Date.now()
    this.#current(now)
    const keys: string[] = []
    for (const item of this.map.values()) {
      if (item.expires !== undefined && item.expires <= now) this.flat.cache.delete(item.key)
      else keys.push(item.key)
    }
    return keys
  }

  remove(key: string): boolean {
    // Recorded even when absent here: another process may have written it since our last merge.
    this.#removed.add(key)
    this.#written.delete(key)
    const live = this.peek(key) !== undefined
    if (!this.map.has(key)) return false
    this.flat.cache.delete(key)
    this.changed()
    return live
  }

  clear(): void {
    // `CacheableMemory#clear`, not `FlatCache#clear`: the latter saves non-atomically.
    this.flat.cache.clear()
    this.#bytes = 0
    this.#cleared = true
    this.#written.clear()
    this.#removed.clear()
    this.changed()
  }

  /** Record an unsaved change and schedule (or, with `debounceMs: 0`, do) the write. */
  changed(): void {
    this.#dirty = true
    if (!this.#probed) this.#probe()
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

  /** Merge with the file and write it now, if anything changed. Throws `ResourceError` if it cannot. */
  flush(): void {
    this.stopTimer()
    if (!this.#dirty) return
    const { path, secure } = this.settings
    this.#seen = lockedWrite(path, secure, () => {
      this.#merge()
      return serializeItems(this.map.values(), Date.now())
    })
    this.#dirty = false
    this.#cleared = false
    this.#written.clear()
    this.#removed.clear()
    if (this.failing) {
      this.failing = false
      log('info', SCOPE, `writing ${path} works again`)
    }
  }

  /**
   * Take in what other processes wrote to the file since this one last read or wrote it, now.
   * One `stat` when nothing changed. Returns {@link changes}.
   */
  refresh(): number {
    this.#checkedAt = Date.now()
    this.#merge()
    return this.changes
  }

  /**
   * {@link refresh} at most every {@link REFRESH_MS} of reads, so a read sees other processes'
   * flushed writes within that long. A file that cannot be read is logged once; reads go on
   * from memory.
   */
  #current(now: number): void {
    if (now - this.#checkedAt < REFRESH_MS && now >= this.#checkedAt) return
    try {
      this.refresh()
    } catch (error) {
      warnOnce(`flat-cache:refresh:${this.settings.path}`, SCOPE, `${(error as Error).message}; serving this process's copy`)
    }
  }

  /** Store `value` under `key` in memory, keeping the byte count. */
  #set(key: string, value: Uint8Array, expires: number | undefined): void {
    this.#bytes += value.byteLength - (this.map.get(key)?.value.byteLength ?? 0)
    this.flat.cache.set(key, value, expires === undefined ? undefined : { expire: expires })
  }

  /**
   * Bring in what other processes wrote since this one last read or wrote the file. Keys this
   * process set or deleted since its last flush keep its version; a clear() here drops the
   * file's entries. Entries gone from the file (deleted or evicted elsewhere) go here too.
   * Reading a version this process has not seen counts as a change made elsewhere.
   */
  #merge(): void {
    const { path } = this.settings
    if (this.#cleared) return
    // Taken before reading: a write landing in between is read now and again next time.
    const version = fileVersion(path)
    if (version === this.#seen) return
    const items = readCacheFile(path, Date.now())
    this.#seen = version
    this.changes++
    const onDisk = new Set<string>()
    for (const item of items) {
      onDisk.add(item.key)
      if (this.#written.has(item.key) || this.#removed.has(item.key)) continue
      const mine = this.map.get(item.key)
      if (mine !== undefined && mine.expires === item.expires && sameBytes(mine.value, item.value)) continue
      this.#set(item.key, item.value, item.expires)
    }
    for (const key of [...this.map.keys()]) {
      if (!onDisk.has(key) && !this.#written.has(key)) this.flat.cache.delete(key)
    }
    this.#fit()
  }

  /** Evict beyond `maxsize` (FIFO; LRU is flat-cache's `lruSize`) and beyond `maxBytes`, never `keep`. */
  #fit(keep?: string): void {
    const { maxsize, maxBytes, policy } = this.settings
    if (policy === 'fifo') {
      for (const key of this.map.keys()) {
        if (this.map.size <= maxsize && this.#bytes <= maxBytes) break
        if (key !== keep) this.flat.cache.delete(key)
      }
      return
    }
    while (this.#bytes > maxBytes && this.map.size > 0) {
      if (this.map.size === 1) {
        const only = this.map.keys().next().value as string
        if (only === keep) break
        this.flat.cache.delete(only)
      } else {
        // flat-cache keeps LRU order privately; shrinking `lruSize` by one evicts the least
        // recently used entry (never `keep`, which was just used), and restoring it evicts none.
        this.flat.cache.lruSize = this.map.size - 1
        this.flat.cache.lruSize = maxsize
      }
    }
  }

  /**
   * Report a folder this process cannot write at the first change, as ucache reports a failing
   * engine, instead of only when a background write (or close()) fails.
   */
  #probe(): void {
    this.#probed = true
    try {
      accessSync(this.settings.dir, constants.W_OK)
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return
      this.failing = true
      log(
        'warn',
        SCOPE,
        `cannot write to ${this.settings.dir} (${errorCode(error) ?? (error as Error).message}): entries of ${this.settings.path} stay in this process's memory and are not saved; fix the folder's permissions or choose another cacheDir`,
      )
    }
  }

  #flushInBackground(): void {
    this.#timer = undefined
    try {
      this.flush()
    } catch (error) {
      // No caller to throw to from a timer. The entries stay in memory and dirty, so the next
      // change, close() or exit retries the write.
      if (!this.failing) {
        this.failing = true
        log('warn', SCOPE, `${(error as Error).message}; entries stay in memory and the write is retried`)
      }
    }
  }
}
