import { NodeCache } from '@cacheable/node-cache'
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
} from '@twat-cache/core'
import { type NodeCacheEngineOptions, parseNodeCacheEngineOptions } from './options.js'
import { type Stamped, createRecency } from './recency.js'

export { type NodeCacheEngineOptions, nodeCacheEngineOptionsSchema, parseNodeCacheEngineOptions } from './options.js'

/** The registered name of this engine. */
export const ENGINE_NAME = 'node-cache'

/** What the `node-cache` engine honours; the selector and the conformance suite read this object. */
export const NODE_CACHE_CAPABILITIES: SyncCapabilities = Object.freeze({
  mode: 'sync',
  persistent: false,
  shared: 'process',
  // node-cache checks expiry itself (on read, and in its check-period sweep), on Date.now().
  ttl: 'native',
  // 'fifo' is the insertion order of node-cache's Map; 'lru' is tracked beside it (recency.ts).
  policies: Object.freeze(['lru', 'fifo'] as const),
  structured: true,
  // node-cache bounds keys, not bytes: the chains skip this engine when maxBytes is set.
  maxBytes: false,
})

/** With `useClones`, values are copied in and out, so the engine is no longer `structured`. */
const CLONING_CAPABILITIES: SyncCapabilities = Object.freeze({ ...NODE_CACHE_CAPABILITIES, structured: false })

/**
 * What `createNodeCacheEngine` reads: an `EngineConfig` as the registry passes it, or just the
 * fields that matter here when you call the factory yourself.
 */
export type NodeCacheEngineConfig = Partial<Pick<EngineConfig, 'maxsize' | 'ttl' | 'policy' | 'namespace' | 'engineOptions'>>

/** The engine object: a `SyncEngine` plus the node-cache instance behind it, for inspection. */
export interface NodeCacheEngine extends SyncEngine {
  readonly cache: NodeCache<unknown>
}

/**
 * node-cache's `get` returns `undefined` both for a miss and for a cached `undefined`, so a cached
 * `undefined` is stored as this stand-in: one comparison on the hit path, where `get` + `has` would
 * cost a second lookup on every miss and boxing an allocation on every set.
 */
const UNDEFINED: unique symbol = Symbol('twat-cache.node-cache.undefined')

/**
 * node-cache keeps statistics that size every value on each set and delete, walking it with an
 * O(n²) `includes` (measured: 16 ms to set an array of 5,000 small objects, 0.02 ms without).
 * It offers no option to turn them off, so this switches its private flag when it is there;
 * if a future version renames it, only speed is lost.
 */
function disableStats(cache: NodeCache<unknown>): void {
  const stats = (cache as unknown as { _stats?: { enabled?: unknown } })._stats
  if (stats && typeof stats.enabled === 'boolean') stats.enabled = false
}

/**
 * An engine on @cacheable/node-cache: sync, `maxsize` entries evicted first-in-first-out (node-cache's
 * own insertion order; or least-recently-used with `policy: 'lru'`) instead of node-cache's throw at
 * `maxKeys`, per-entry TTL. FIFO is the default because keeping recency costs ~30% of a hit and
 * 59 bytes per entry (apps/bench, engines suite); ask for `policy: 'lru'` when it matters.
 *
 * ```ts
 * const engine = createNodeCacheEngine({ maxsize: 500, ttl: 60_000 })
 * engine.set('k', 42)
 * engine.get('k') // 42; a miss returns MISS
 * engine.close()  // stops the check-period timer
 * ```
 */
export function createNodeCacheEngine(config: NodeCacheEngineConfig = {}): NodeCacheEngine {
  const maxsize = config.maxsize ?? DEFAULT_MAXSIZE
  const policy = config.policy ?? 'fifo'
  checkConfig(config, maxsize, policy)
  const options: NodeCacheEngineOptions = parseNodeCacheEngineOptions(config.engineOptions)
  const useClones = options.useClones ?? false

  const cache = new NodeCache<unknown>({
    // node-cache counts seconds; ours are milliseconds. 0 means "no default TTL".
    stdTTL: config.ttl === undefined ? 0 : config.ttl / 1000,
    checkperiod: options.checkperiod ?? (config.ttl === undefined ? 0 : 600),
    useClones,
    deleteOnExpire: true,
    // Unbounded for node-cache (it would throw when full); this engine evicts at maxsize itself.
    maxKeys: -1,
  })
  disableStats(cache)
  const store = cache.store as Map<string, Stamped & { value: unknown }>
  const lru = policy === 'lru'
  const recency = createRecency(store)
  let sawTtl = config.ttl !== undefined

  /** Drop expired entries (node-cache's `has` deletes them) so counts and listings are exact. */
  const liveKeys = (): string[] => cache.keys().filter((key) => cache.has(key))

  let closed = false
  const open = (): void => {
    if (closed) throw new EngineClosedError(ENGINE_NAME)
  }
  const clear = (): void => {
    open()
    cache.flushAll()
    // flushAll re-creates node-cache's statistics, enabled.
    disableStats(cache)
    recency.reset()
  }
  const close = (): void => {
    if (closed) return
    cache.close()
    clear()
    closed = true
  }

  return {
    name: ENGINE_NAME,
    capabilities: useClones ? CLONING_CAPABILITIES : NODE_CACHE_CAPABILITIES,
    cache,
    get: lru
      ? (key: string): unknown => {
          if (closed) open()
          const value = cache.get(key)
          if (value === undefined) return MISS
          recency.touch(store.get(key)!, key)
          return value === UNDEFINED ? undefined : value
        }
      : (key: string): unknown => {
          if (closed) open()
          const value = cache.get(key)
          return value === undefined ? MISS : value === UNDEFINED ? undefined : value
        },
    set(key: string, value: unknown, setOptions?: SetOptions): void {
      open()
      const ttl = checkSetTtl(ENGINE_NAME, setOptions?.ttl)
      if (ttl !== undefined && ttl <= 0) {
        // Expires at once (node-cache would read 0 as "forever").
        cache.del(key)
        return
      }
      if (store.size >= maxsize && !store.has(key)) {
        // node-cache would throw at maxKeys; evict instead. An overwrite keeps its place in
        // 'fifo' order (the Map's insertion order) and counts as a use in 'lru' order.
        const victim = lru ? recency.victim() : store.keys().next().value
        if (victim !== undefined) cache.del(victim)
      }
      const stored = value === undefined ? UNDEFINED : value
      if (ttl === undefined) {
        cache.set(key, stored)
      } else {
        sawTtl = true
        cache.set(key, stored, ttl / 1000)
      }
      if (lru) recency.touch(store.get(key)!, key)
    },
    delete(key: string): boolean {
      open()
      return cache.has(key) && cache.del(key) > 0
    },
    clear,
    close,
    has(key: string): boolean {
      open()
      return cache.has(key)
    },
    size(): number {
      open()
      return sawTtl ? liveKeys().length : store.size
    },
    keys(): Iterable<string> {
      open()
      return sawTtl ? liveKeys() : cache.keys()
    },
    [Symbol.dispose]: close,
    [Symbol.asyncDispose]: async (): Promise<void> => close(),
  }
}

function checkConfig(config: NodeCacheEngineConfig, maxsize: number, policy: string): void {
  const problems: string[] = []
  if (!Number.isInteger(maxsize) || maxsize < 1) problems.push(`maxsize must be a whole number ≥ 1, got ${String(maxsize)}`)
  if (config.ttl !== undefined && !(config.ttl > 0 && Number.isFinite(config.ttl))) {
    problems.push(`ttl must be a positive number of milliseconds, got ${String(config.ttl)}`)
  }
  if (!(NODE_CACHE_CAPABILITIES.policies as readonly string[]).includes(policy)) {
    problems.push(`the node-cache engine evicts by 'lru' or 'fifo', so policy '${policy}' cannot be honoured: choose one of those, or the memory engine for '${policy}'`)
  }
  if (problems.length > 0) {
    throw new ConfigurationError(`invalid node-cache engine config:\n${problems.map((p) => `  - ${p}`).join('\n')}`, { issues: problems })
  }
}
