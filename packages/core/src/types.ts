/**
 * The engine protocol. An engine is a plain object made by a factory; the selector and the
 * conformance suite both read its `capabilities`, so what an engine claims is what is tested.
 */

/** Eviction policies an engine may honour when `maxsize` is reached. */
export type Policy = 'lru' | 'lfu' | 'fifo' | 'rr'

/**
 * Returned by `get` for a key that is absent or expired. A sentinel (not `undefined`) because a
 * cached `undefined`, `null`, `0`, `''` or `false` is a hit. `Symbol.for` so two copies of core
 * in one process agree on it.
 */
export const MISS: unique symbol = Symbol.for('twat-cache.miss') as never
export type Miss = typeof MISS

export interface EngineCapabilities {
  /** `sync` engines return values; `async` engines return promises. */
  readonly mode: 'sync' | 'async'
  /** Entries survive the process. */
  readonly persistent: boolean
  /** Who sees the same entries: this process, every process on the host, or the network. */
  readonly shared: 'process' | 'host' | 'network'
  /** How per-entry TTL is enforced (`native` by the store, `emulated` by us), or `false`. */
  readonly ttl: 'native' | 'emulated' | false
  /** Eviction policies honoured when `maxsize` is reached. */
  readonly policies: readonly Policy[]
  /** Stores live JS values (no serialization, no copy). */
  readonly structured: boolean
  /**
   * Honours `maxBytes` (a bound on the stored size of its entries). Absent means `false`: the
   * chains skip the engine when `maxBytes` is set, and naming it explicitly is an error.
   */
  readonly maxBytes?: boolean
  /**
   * How the engine tells a process that another one changed an entry, so a memory tier (`l1`)
   * in front of it stays coherent: `'push'` (it has `watch`: changes arrive as messages) or
   * `'version'` (it has `version`: a cheap counter that moves whenever any entry changes, to
   * poll). Absent: it cannot tell, and `l1` is refused for it.
   */
  readonly coherence?: 'push' | 'version'
  /** It has `acquire`/`release`: leases other processes see, for `lock`. Absent means `false`. */
  readonly lease?: boolean
  /**
   * Keeps store-wide tag state (`readTags`, `markTags`, `keepTags`), so `invalidateTags` and
   * `expireTags` reach every process sharing the store. Absent means `false`: core then keeps
   * tag state in one in-process registry, which reaches only this process.
   */
  readonly tags?: boolean
  /**
   * Reads may be served by a process-local memory tier in front of the store (the `l1` option;
   * only the tiered engine declares it). Then a value served from memory is the object that was
   * set or first read, not a copy; the store's eviction never sees reads served from memory, and
   * each tier evicts on its own, so an entry the store evicted may still be served from memory.
   * Absent means `false`.
   */
  readonly l1?: boolean
}

/**
 * The tag state that matters for one entry: the latest invalidation and the latest expiry
 * among its tags (epoch ms; 0 when none of its tags was ever marked).
 */
export interface TagState {
  readonly invalidatedAt: number
  readonly expiredAt: number
}

/** What `invalidateTags` and `expireTags` record for a tag. */
export type TagMark = 'invalidate' | 'expire'

/**
 * Optional tag-state methods of a sync engine (declared by `capabilities.tags: true`). Tag
 * state is store-wide: it does not depend on the engine's namespace, so a process that never
 * cached anything can invalidate. Every method costs O(number of tags), never a key scan.
 */
export interface SyncTagMethods {
  /** The latest marks among `tags`, in one read (one query, one `MGET`). */
  readTags(tags: readonly string[]): TagState
  /** Record that `tags` were invalidated or expired at `at` (epoch ms); later marks win. */
  markTags(tags: readonly string[], kind: TagMark, at: number): void
  /**
   * A tagged entry may live `lifetime` ms (`Infinity`: no expiry). Tag records must be kept at
   * least as long as the longest lifetime noted, and may be dropped after it (that bounds them).
   */
  keepTags(lifetime: number): void
}

/** {@link SyncTagMethods} of an async engine: the same methods, returning promises. */
export interface AsyncTagMethods {
  readTags(tags: readonly string[]): Promise<TagState>
  markTags(tags: readonly string[], kind: TagMark, at: number): Promise<void>
  keepTags(lifetime: number): Promise<void>
}

export interface SyncCapabilities extends EngineCapabilities {
  readonly mode: 'sync'
}
export interface AsyncCapabilities extends EngineCapabilities {
  readonly mode: 'async'
}

export interface SetOptions {
  /** Milliseconds until the entry expires; `undefined` uses the engine's configured ttl. */
  readonly ttl?: number | undefined
}

/** What `watch` returns: whether changes are arriving right now, and how to stop. */
export interface Watch {
  /**
   * `true` while changes are being delivered. While `false` (the connection that carries them is
   * down, or not up yet), messages may be lost, so a tier must not serve from its memory.
   */
  readonly live: boolean
  /** Stop watching and release the connection. Idempotent. */
  stop(): void
}

/**
 * Called with a key another process (or this one) changed, or `undefined` when anything may
 * have changed (a clear, a flush, or a gap in delivery).
 */
export type InvalidationListener = (key: string | undefined) => void

/** An entry with its expiry, as `readEntry` returns it. */
export interface StoredEntry {
  readonly value: unknown
  /** Epoch milliseconds when the store drops it; `undefined` for never. */
  readonly expiresAt: number | undefined
}

/**
 * Optional methods a shared engine offers for tiers and locks (ARCHITECTURE.md §14), declared
 * by `capabilities.coherence` and `capabilities.lease` and checked by the conformance suite.
 * Results are values for a sync engine and promises for an async one, as for `get`.
 */
export interface SharedEngineMethods<R> {
  /** With `coherence: 'push'`: report changes under this engine's namespace until stopped. */
  watch?(listener: InvalidationListener): Watch
  /** With `coherence: 'version'`: a number that changes whenever another process changes an entry. */
  version?(): number
  /** An entry with its expiry (so a tier never keeps it longer than the store does), or `MISS`. */
  readEntry?(key: string): R extends Promise<unknown> ? Promise<StoredEntry | Miss> : StoredEntry | Miss
  /**
   * With `lease`: take the lease on `key` for `ttlMs` if nobody holds it; resolves to a token
   * (pass it to `release`), or `undefined` when another holder has it.
   */
  acquire?(key: string, ttlMs: number): R extends Promise<unknown> ? Promise<string | undefined> : string | undefined
  /** Give the lease back, only if `token` still holds it (a lease that expired is someone else's). */
  release?(key: string, token: string): R extends Promise<unknown> ? Promise<void> : void
}

export interface EngineStats {
  hits: number
  misses: number
  size: number
  maxsize?: number | undefined
  [extra: string]: unknown
}

/** An engine whose operations complete synchronously. */
export interface SyncEngine extends SharedEngineMethods<void> {
  readonly name: string
  readonly capabilities: SyncCapabilities
  get(key: string): unknown
  set(key: string, value: unknown, options?: SetOptions): void
  delete(key: string): boolean
  clear(): void
  close(): void
  has?(key: string): boolean
  size?(): number
  stats?(): EngineStats
  keys?(): Iterable<string>
  readTags?: SyncTagMethods['readTags']
  markTags?: SyncTagMethods['markTags']
  keepTags?: SyncTagMethods['keepTags']
  [Symbol.dispose](): void
  [Symbol.asyncDispose](): Promise<void>
}

/** An engine whose operations return promises. */
export interface AsyncEngine extends SharedEngineMethods<Promise<void>> {
  readonly name: string
  readonly capabilities: AsyncCapabilities
  get(key: string): Promise<unknown>
  set(key: string, value: unknown, options?: SetOptions): Promise<void>
  delete(key: string): Promise<boolean>
  clear(): Promise<void>
  close(): Promise<void>
  has?(key: string): Promise<boolean>
  size?(): Promise<number>
  stats?(): Promise<EngineStats>
  keys?(): AsyncIterable<string>
  readTags?: AsyncTagMethods['readTags']
  markTags?: AsyncTagMethods['markTags']
  keepTags?: AsyncTagMethods['keepTags']
  [Symbol.asyncDispose](): Promise<void>
}

/** `get` returns the stored value or {@link MISS}. */
export type Engine = SyncEngine | AsyncEngine

/** What a backend package registers: cheap to define, no I/O until `create`. */
export interface EngineDefinition<C = unknown> {
  readonly name: string
  readonly capabilities: EngineCapabilities
  /** Higher wins when several engines meet the same need. */
  readonly priority: number
  /** The npm package that provides it, named in fallback warnings. */
  readonly packageName?: string | undefined
  /**
   * Whether a fallback chain may pick this engine for `config` (e.g. redis only with redis
   * settings, idb only where IndexedDB exists, cloudflare-kv only with a KV binding). Absent
   * means always. Naming the engine explicitly (`engine: 'redis'`) still selects it.
   */
  usable?(config: C): boolean
  create(config: C): Engine
}
