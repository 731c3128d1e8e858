import {
  ConfigurationError,
  DEFAULT_MAXSIZE,
  EngineClosedError,
  type EngineConfig,
  MISS,
  type SetOptions,
  type SyncCapabilities,
  type SyncEngine,
  checkSetTtl,
  estimateHeapSize,
} from '@twat-cache/core'
import { LRUCache } from 'lru-cache'
import { type LruEngineOptions, parseLruEngineOptions } from './options.js'

export { type LruEngineOptions, type LruSizeCalculator, lruEngineOptionsSchema, parseLruEngineOptions } from './options.js'
/** The default `sizeCalculation` for values: core's `estimateHeapSize`, also used by the memory engine. */
export { estimateHeapSize as estimateSize } from '@twat-cache/core'

/** The registered name of this engine. */
export const ENGINE_NAME = 'lru'

/** What the `lru` engine honours; the selector and the conformance suite read this object. */
export const LRU_CAPABILITIES: SyncCapabilities = Object.freeze({
  mode: 'sync',
  persistent: false,
  shared: 'process',
  // lru-cache enforces TTL itself (per entry, checked on read), against the JS clock.
  ttl: 'native',
  policies: Object.freeze(['lru'] as const),
  structured: true,
  // lru-cache's maxSize, with the estimate of size.ts (or engineOptions.sizeCalculation).
  maxBytes: true,
})

/**
 * Up to this `maxsize`, lru-cache gets it as `max` and allocates its arrays for that many
 * entries up front (its fastest mode: about 20 bytes per slot, 1.3 MB at this bound). Above it,
 * pre-allocating is the wrong trade: `maxsize: 1e7` took 1.4 s and 161 MB before the first
 * call, and `2 ** 31` ran out of memory. There lru-cache grows with the entries instead, and
 * the count is bounded through its `maxSize` (each entry weighing 1), or, when `maxBytes`
 * already uses `maxSize`, by evicting the least recently used entry on insert.
 */
export const LRU_PREALLOCATE_LIMIT = 2 ** 16

/**
 * What `createLruEngine` reads: an `EngineConfig` as the registry passes it, or just the fields
 * that matter here when you call the factory yourself.
 */
export type LruEngineConfig = Partial<Pick<EngineConfig, 'maxsize' | 'maxBytes' | 'ttl' | 'policy' | 'namespace' | 'engineOptions'>>

/** The engine object: a `SyncEngine` plus the lru-cache instance behind it, for inspection. */
export interface LruEngine extends SyncEngine {
  /** The underlying cache. Values are stored as given, except `undefined` (see below). */
  readonly cache: LRUCache<string, NonNullable<unknown>>
}

/**
 * lru-cache treats `set(key, undefined)` as `delete(key)` and returns `undefined` for a miss, so
 * a cached `undefined` is stored as this stand-in. A sentinel costs one comparison on the hit
 * path; boxing every value would cost an allocation per set and a property read per hit.
 */
const UNDEFINED: unique symbol = Symbol('twat-cache.lru.undefined')

/**
 * Reads `performance` at call time, so a clock installed later (fake timers) is honoured. The +1
 * matters: lru-cache reads a start time of 0 as "no TTL", and a fake clock starts at 0.
 */
const clock =
  typeof performance === 'object' && performance !== null && typeof performance.now === 'function'
    ? { now: () => performance.now() + 1 }
    : { now: () => Date.now() }

/**
 * An engine on lru-cache: sync, least-recently-used eviction at `maxsize` entries, optional
 * `maxBytes` bound, per-entry TTL. Browser- and edge-safe.
 *
 * ```ts
 * const engine = createLruEngine({ maxsize: 500, ttl: 60_000 })
 * engine.set('k', 42)
 * engine.get('k') // 42; a miss returns MISS
 * ```
 */
export function createLruEngine(config: LruEngineConfig = {}): LruEngine {
  const maxsize = config.maxsize ?? DEFAULT_MAXSIZE
  checkConfig(config, maxsize)
  const options: LruEngineOptions = parseLruEngineOptions(config.engineOptions)
  const sizeOf = options.sizeCalculation ?? ((value: unknown, key: string) => estimateHeapSize(value) + estimateHeapSize(key))

  const preallocate = maxsize <= LRU_PREALLOCATE_LIMIT
  const bytes =
    config.maxBytes === undefined
      ? undefined
      : {
          maxSize: config.maxBytes,
          sizeCalculation: (value: unknown, key: string) => {
            const size = sizeOf(value === UNDEFINED ? undefined : value, key)
            if (!Number.isFinite(size) || size < 0) {
              throw new ConfigurationError(`lru engine: sizeCalculation returned ${String(size)} for key '${key}'; it must return a number of bytes ≥ 0`)
            }
            // lru-cache needs a positive integer.
            return Math.max(1, Math.ceil(size))
          },
        }
  const cache = new LRUCache<string, NonNullable<unknown>>({
    // 0: no arrays allocated up front (see LRU_PREALLOCATE_LIMIT).
    max: preallocate ? maxsize : 0,
    // 0 means "no default TTL" to lru-cache; per-entry TTLs still work.
    ttl: config.ttl ?? 0,
    // Entries expire lazily on read: no timer per entry (ttlAutopurge would start one each).
    ttlAutopurge: false,
    updateAgeOnGet: options.updateAgeOnGet ?? false,
    allowStale: false,
    perf: clock,
    ...(bytes ?? (preallocate ? {} : { maxSize: maxsize, sizeCalculation: () => 1 })),
  })
  // Only when both bounds are large and byte-based: lru-cache then bounds bytes, we bound the count.
  const countByHand = !preallocate && bytes !== undefined

  let sawTtl = config.ttl !== undefined
  let closed = false
  const open = (): void => {
    if (closed) throw new EngineClosedError(ENGINE_NAME)
  }
  const close = (): void => {
    if (closed) return
    closed = true
    cache.clear()
  }

  return {
    name: ENGINE_NAME,
    capabilities: LRU_CAPABILITIES,
    cache,
    get(key: string): unknown {
      if (closed) open()
      const value = cache.get(key)
      return value === undefined ? MISS : value === UNDEFINED ? undefined : value
    },
    set(key: string, value: unknown, setOptions?: SetOptions): void {
      open()
      const ttl = checkSetTtl(ENGINE_NAME, setOptions?.ttl)
      const stored = value === undefined ? UNDEFINED : (value as NonNullable<unknown>)
      if (ttl !== undefined && ttl <= 0) {
        // Expires at once: storing it would only evict a live entry. (lru-cache reads 0 as "forever".)
        cache.delete(key)
        return
      }
      if (countByHand && cache.size >= maxsize && !cache.has(key)) cache.pop()
      if (ttl === undefined) {
        cache.set(key, stored)
      } else {
        sawTtl = true
        cache.set(key, stored, { ttl })
      }
    },
    delete(key: string): boolean {
      open()
      return cache.delete(key)
    },
    clear(): void {
      open()
      cache.clear()
    },
    close,
    has(key: string): boolean {
      open()
      return cache.has(key)
    },
    size(): number {
      open()
      // Expired entries linger until read; drop them so the count is what a reader would see.
      if (sawTtl) cache.purgeStale()
      return cache.size
    },
    keys(): Iterable<string> {
      open()
      return cache.keys()
    },
    [Symbol.dispose]: close,
    [Symbol.asyncDispose]: async (): Promise<void> => close(),
  }
}

function checkConfig(config: LruEngineConfig, maxsize: number): void {
  const problems: string[] = []
  if (!Number.isInteger(maxsize) || maxsize < 1) problems.push(`maxsize must be a whole number ≥ 1, got ${String(maxsize)}`)
  if (config.maxBytes !== undefined && (!Number.isInteger(config.maxBytes) || config.maxBytes < 1)) {
    problems.push(`maxBytes must be a whole number of bytes ≥ 1, got ${String(config.maxBytes)}`)
  }
  if (config.ttl !== undefined && !(config.ttl > 0 && Number.isFinite(config.ttl))) {
    problems.push(`ttl must be a positive number of milliseconds, got ${String(config.ttl)}`)
  }
  if (config.policy !== undefined && !LRU_CAPABILITIES.policies.includes(config.policy)) {
    problems.push(`the lru engine only evicts least-recently-used entries, so policy '${config.policy}' cannot be honoured: use policy 'lru', or the memory engine for '${config.policy}'`)
  }
  if (problems.length > 0) {
    throw new ConfigurationError(`invalid lru engine config:\n${problems.map((p) => `  - ${p}`).join('\n')}`, { issues: problems })
  }
}
