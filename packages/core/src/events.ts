import { hash128 } from './keys/hash.js'
import { log } from './logger.js'

/**
 * Cache events: what the wrappers saw, for metrics and tracing (`@twat-cache/otel` turns them
 * into OpenTelemetry metrics). Edge-safe: no Node built-ins.
 *
 * Cost when nobody listens: the wrappers test {@link hasCacheListeners} before building an
 * event, a call the JIT inlines to one array-length read; no event object, no key hash, no
 * clock read happens.
 */

/** What happened. `stale` and `refresh` come from freshness (stale-while-revalidate). */
export type CacheEventType = 'hit' | 'miss' | 'stale' | 'set' | 'delete' | 'error' | 'refresh'

/** Every event type, in a fixed order (for metric setup and tests). */
export const CACHE_EVENT_TYPES: readonly CacheEventType[] = Object.freeze(['hit', 'miss', 'stale', 'set', 'delete', 'error', 'refresh'])

/** One event, as listeners receive it. */
export interface CacheEvent {
  readonly type: CacheEventType
  /** The cached function's name (or the cache's `name` option). */
  readonly name: string
  /** The engine that served it, e.g. `'sqlite'`. */
  readonly engine: string
  /**
   * A short hash of the cache key ({@link eventKeyHash}), never the key itself: keys are built
   * from arguments, which may be personal data that must not reach a metrics backend.
   */
  readonly key?: string
  /** How long the function ran (`miss`, `refresh`) or the operation took, in milliseconds. */
  readonly durationMs?: number
  /** What failed (`error` events). */
  readonly error?: unknown
}

/** What a wrapper passes to {@link emitCacheEvent}: the same, with the raw key. */
export interface CacheEventInit extends Omit<CacheEvent, 'key'> {
  /** The raw cache key; listeners get its hash. */
  readonly key?: string
}

export type CacheEventListener = (event: CacheEvent) => void

/**
 * The listeners live on a global symbol, like the engine registry: with two copies of core in
 * one process (a duplicated dependency), `@twat-cache/otel` subscribing through one copy still
 * hears the wrappers of the other. The array is replaced, never mutated, so a listener that
 * unsubscribes (itself or another) during an emit does not disturb the loop in progress.
 */
const HUB_KEY = Symbol.for('twat-cache.events')
interface Hub {
  listeners: readonly CacheEventListener[]
  /** Listeners that threw once already: each is reported once, then only counted as failing. */
  readonly failed: WeakSet<CacheEventListener>
}
const hub: Hub = ((globalThis as { [HUB_KEY]?: Hub })[HUB_KEY] ??= { listeners: [], failed: new WeakSet() })

/**
 * Call `listener` synchronously with every cache event from now on; returns the function that
 * unsubscribes it (calling that twice is harmless). Subscribing the same function twice calls
 * it twice, and each returned function removes one subscription.
 *
 * A listener that throws never breaks the cache: the error is logged once per listener and the
 * other listeners still run. Keep listeners fast; they run on the cache's hot path.
 *
 * ```ts
 * const stop = onCacheEvent((e) => { if (e.type === 'miss') console.log(e.name, e.durationMs) })
 * ```
 */
export function onCacheEvent(listener: CacheEventListener): () => void {
  if (typeof listener !== 'function') {
    throw new TypeError(`onCacheEvent expects a function, got ${listener === null ? 'null' : typeof listener}`)
  }
  hub.listeners = [...hub.listeners, listener]
  let subscribed = true
  return () => {
    if (!subscribed) return
    subscribed = false
    const at = hub.listeners.indexOf(listener)
    if (at >= 0) hub.listeners = [...hub.listeners.slice(0, at), ...hub.listeners.slice(at + 1)]
  }
}

/**
 * Whether anyone listens. The wrappers call this before building an event, so the hot path
 * pays one inlined length check when nobody does.
 */
export function hasCacheListeners(): boolean {
  return hub.listeners.length !== 0
}

// Hashing is most of an event's cost (a hit's key hashed on every hit halved the throughput of
// a listened-to cache), and hot keys repeat: recent hashes are kept, dropped all at once when full.
const HASH_CACHE_SIZE = 4096
const hashes = new Map<string, string>()

/** A short, stable hash of a cache key (the first 12 hex digits of its 128-bit MurmurHash3). */
export function eventKeyHash(key: string): string {
  let hash = hashes.get(key)
  if (hash === undefined) {
    if (hashes.size >= HASH_CACHE_SIZE) hashes.clear()
    hash = hash128(key).slice(0, 12)
    hashes.set(key, hash)
  }
  return hash
}

/**
 * Deliver an event to every listener, in subscription order. The raw `key` is replaced by its
 * {@link eventKeyHash}, once for all listeners. Call only after {@link hasCacheListeners}
 * returned true (it is correct without, just not free).
 */
export function emitCacheEvent(init: CacheEventInit): void {
  if (hub.listeners.length === 0) return
  deliver(init.key === undefined ? init : { ...init, key: eventKeyHash(init.key) })
}

/**
 * The wrappers' emit: builds the event once, in one shape (no spreads). `key` is the raw key.
 * Call only after {@link hasCacheListeners} returned true.
 */
export function emitWrapperEvent(type: CacheEventType, name: string, engine: string, key: string, durationMs?: number, error?: unknown): void {
  const event: { -readonly [K in keyof CacheEvent]: CacheEvent[K] } = { type, name, engine, key: eventKeyHash(key) }
  if (durationMs !== undefined) event.durationMs = durationMs
  if (error !== undefined) event.error = error
  deliver(event)
}

function deliver(event: CacheEvent): void {
  for (const listener of hub.listeners) {
    try {
      listener(event)
    } catch (error) {
      if (hub.failed.has(listener)) continue
      hub.failed.add(listener)
      log(
        'warn',
        'events',
        `a cache event listener threw on a '${event.type}' event (${error instanceof Error ? error.message : String(error)}); the cache carries on, fix or unsubscribe the listener`,
      )
    }
  }
}
