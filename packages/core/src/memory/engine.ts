import { parseDuration } from '../duration.js'
import { ConfigurationError, EngineError } from '../errors.js'
import { MISS, type EngineStats, type Policy, type SetOptions, type SyncCapabilities, type SyncEngine } from '../types.js'
import { Entry, FrequencyOrder, InsertionOrder, type Order, RandomOrder, RecencyOrder } from './order.js'

export const ENGINE_NAME = 'memory'

/**
 * Same as config's `DEFAULT_MAXSIZE` (a test keeps them equal). Not imported: config.ts builds
 * its option rule table at load, which a bundle using only the engine should not carry.
 */
const DEFAULT_MAXSIZE = 1000

/** The built-in engine: live values in this process, every policy, TTL kept by us. Read-only by type. */
export const MEMORY_CAPABILITIES: SyncCapabilities = {
  mode: 'sync',
  persistent: false,
  shared: 'process',
  ttl: 'emulated',
  policies: ['lru', 'lfu', 'fifo', 'rr'],
  structured: true,
}

/** A structural subset of `EngineConfig`, so the factory takes a config or plain options. */
export interface MemoryEngineOptions {
  /** Entries kept before the policy evicts one. `Infinity` for unbounded. @default 1000 */
  readonly maxsize?: number | undefined
  /** Default time to live in milliseconds; omit for no expiry. */
  readonly ttl?: number | undefined
  /** Which entry goes when the cache is full. @default 'lru' */
  readonly policy?: Policy | undefined
  /** Only used in error messages: each engine instance is its own store. */
  readonly namespace?: string | undefined
  /** The clock for TTL, in milliseconds. @default () => Date.now() (read at call time, so fake timers work) */
  readonly now?: (() => number) | undefined
  /** The source of randomness for `rr`, in [0, 1). @default Math.random */
  readonly random?: (() => number) | undefined
}

/** `stats()` of the memory engine. Counters are cumulative: `clear()` does not reset them. */
export interface MemoryEngineStats extends EngineStats {
  maxsize: number
  /** Entries removed by the policy to make room (expired entries are not counted). */
  evictions: number
}

export interface MemoryEngine extends SyncEngine {
  readonly capabilities: typeof MEMORY_CAPABILITIES
  has(key: string): boolean
  size(): number
  stats(): MemoryEngineStats
  keys(): string[]
}

const ORDERS: Record<Policy, new (random: () => number) => Order> = {
  lru: RecencyOrder,
  lfu: FrequencyOrder,
  fifo: InsertionOrder,
  rr: RandomOrder,
}

/**
 * The built-in memory engine: a `Map` plus an O(1) eviction order per policy, and per-entry
 * TTL checked lazily (on read, and by a purge in `size()`/`keys()`/`stats()`); it starts no
 * timers. Values are stored as they are (no copy).
 *
 * After `close()` (or `Symbol.dispose`) the store is empty: reads miss, `delete` returns
 * false, `clear`/`close` do nothing, and `set` throws an `EngineError`, because writing to a
 * closed cache is a lifetime bug worth surfacing rather than a silent no-op.
 */
export function createMemoryEngine(options: MemoryEngineOptions = {}): MemoryEngine {
  const maxsize = options.maxsize ?? DEFAULT_MAXSIZE
  if (!(maxsize >= 1) || (!Number.isInteger(maxsize) && maxsize !== Number.POSITIVE_INFINITY)) {
    throw new ConfigurationError(`memory engine: maxsize must be a whole number ≥ 1 or Infinity, got ${maxsize}`)
  }
  const defaultTtl = options.ttl
  // Infinity is allowed here (no expiry), unlike in cache options.
  if (defaultTtl !== undefined && defaultTtl !== Number.POSITIVE_INFINITY) parseDuration(defaultTtl, 'memory engine: ttl')
  const now = options.now ?? (() => Date.now())
  const policy = options.policy ?? 'lru'
  if (!Object.hasOwn(ORDERS, policy)) {
    throw new ConfigurationError(`memory engine: unknown policy '${String(policy)}': use 'lru', 'lfu', 'fifo' or 'rr'`)
  }
  const order = new ORDERS[policy](options.random ?? Math.random)
  const namespace = options.namespace
  const map = new Map<string, Entry>()
  let hits = 0
  let misses = 0
  let evictions = 0
  /** Entries with an expiry: when 0 (the common case) purges skip the scan and the clock. */
  let expiring = 0
  let closed = false

  const drop = (entry: Entry): void => {
    map.delete(entry.key)
    order.remove(entry)
    if (entry.expires !== 0) expiring--
  }

  /** The live entry for `key`; an expired one is removed on the way. */
  const find = (key: string): Entry | undefined => {
    const entry = map.get(key)
    if (entry === undefined || entry.expires === 0 || entry.expires > now()) return entry
    drop(entry)
    return undefined
  }

  const purge = (): void => {
    if (expiring === 0) return
    const t = now()
    for (const entry of map.values()) if (entry.expires !== 0 && entry.expires <= t) drop(entry)
  }

  const expiryOf = (options: SetOptions | undefined): number => {
    const ttl = options?.ttl ?? defaultTtl
    if (ttl === undefined || ttl === Number.POSITIVE_INFINITY) return 0
    // A ttl of 0 or less (or NaN) means "already expired": the entry is not stored.
    return ttl > 0 ? now() + ttl : -1
  }

  // The hot path of the whole library: one Map lookup, no allocation, and the clock only for
  // entries that have a ttl.
  function get(key: string): unknown {
    const entry = find(key)
    if (entry === undefined) {
      misses++
      return MISS
    }
    hits++
    order.read(entry)
    return entry.value
  }

  function set(key: string, value: unknown, options?: SetOptions): void {
    if (closed) {
      throw new EngineError(
        `memory engine${namespace ? ` '${namespace}'` : ''} is closed: create a new engine to keep caching`,
      )
    }
    const expires = expiryOf(options)
    const existing = map.get(key)
    if (expires === -1) {
      if (existing !== undefined) drop(existing)
      return
    }
    if (existing !== undefined) {
      if (existing.expires !== 0) expiring--
      if (expires !== 0) expiring++
      existing.value = value
      existing.expires = expires
      order.write(existing)
      return
    }
    if (map.size >= maxsize) {
      const victim = order.victim()
      if (victim !== undefined) {
        drop(victim)
        evictions++
      }
    }
    const entry = new Entry(key, value, expires)
    map.set(key, entry)
    order.add(entry)
    if (expires !== 0) expiring++
  }

  function remove(key: string): boolean {
    const entry = find(key)
    if (entry) drop(entry)
    return entry !== undefined
  }

  function clear(): void {
    map.clear()
    order.reset()
    expiring = 0
  }

  function close(): void {
    closed = true
    clear()
  }

  const engine: MemoryEngine = {
    name: ENGINE_NAME,
    capabilities: MEMORY_CAPABILITIES,
    get,
    set,
    delete: remove,
    clear,
    close,
    has: (key) => find(key) !== undefined,
    size() {
      purge()
      return map.size
    },
    stats() {
      purge()
      return { hits, misses, size: map.size, maxsize, evictions }
    },
    keys() {
      purge()
      return [...map.keys()]
    },
    [Symbol.dispose]: close,
    async [Symbol.asyncDispose]() {
      close()
    },
  }
  return engine
}
