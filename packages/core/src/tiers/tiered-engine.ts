import type { TierConfig } from '../config.js'
import { ConfigurationError } from '../errors.js'
import { createMemoryEngine } from '../memory/engine.js'
import { type Engine, type EngineDefinition, type EngineStats, MISS, type SetOptions, type StoredEntry, type Watch } from '../types.js'

/**
 * `l1`: a process-local memory tier (L1) in front of a shared or persistent engine (L2), as one
 * engine. The steps above it (freshness, tags) see the same entries with or without it, so stale
 * windows and tag checks hold by construction.
 *
 * Writes go to both tiers; an L2 hit is promoted into L1, never for longer than L2 keeps it
 * (`readEntry` says when that is). Coherence with other processes comes from the engine:
 *
 * - `coherence: 'push'` (redis): `watch` reports every change under the namespace; a change drops
 *   the key from L1 (`undefined` drops all). While the watch is not `live` (its connection is
 *   down, so messages may be lost), L1 is neither read nor filled, and it was emptied when the
 *   watch went down.
 * - `coherence: 'version'` (sqlite): `version()` moves whenever another process commits; it is
 *   read at most every `VERSION_CHECK_MS` on an L1 hit, and a change empties L1. So an entry
 *   changed elsewhere is served from L1 for at most that long.
 *
 * A promotion races with invalidations: L2's reply and the message about a newer write travel
 * on different connections, so the message can arrive first. Every invalidation bumps `epoch`,
 * and a value read before a bump is not promoted (it may be the old one).
 */

/** How stale an L1 entry can get on a `'version'` engine (sqlite): it is checked this often. */
export const VERSION_CHECK_MS = 50

export interface TieredEngine {
  /**
   * The entry if L1 holds it and may serve it now (the watch is live, or the version was
   * checked), else `MISS`; never a promise, never a read of L2. For the cached call's hit path:
   * an async engine's `get` must return a promise, so an L1 hit through `get` costs an
   * allocation and a turn of the microtask queue that this read does not.
   */
  getNow(key: string): unknown
  /** The memory tier (for stats and tests). */
  readonly l1: ReturnType<typeof createMemoryEngine>
  /** The engine behind it. */
  readonly l2: Engine
}

/** Why `l1` cannot sit in front of `definition`, or `undefined` if it can. */
export function tierProblem(definition: EngineDefinition<unknown>, fitting: readonly string[]): string | undefined {
  const { capabilities } = definition
  if (capabilities.shared !== 'process' && capabilities.coherence !== undefined) return undefined
  const fit = fitting.length > 0 ? fitting.join(', ') : 'none is registered: import @twat-cache/redis or @twat-cache/sqlite'
  return capabilities.shared === 'process'
    ? `l1 puts a memory tier in front of a shared or persistent engine, but '${definition.name}' already keeps entries in this process: drop l1, or choose an engine that fits (${fit})`
    : `l1 needs an engine that reports changes made by other processes ('coherence' in its capabilities); '${definition.name}' does not: drop l1, or choose one that does (${fit})`
}

/** What `createTieredEngine` must know beyond the tier. */
export interface TierOptions {
  /** The TTL (ms) `l2` applies to a `set` without `options.ttl` (its config's `ttl`); L1 keeps such entries no longer. */
  readonly ttl?: number | undefined
  /**
   * The config's `maxBytes`: L1 is bounded by it too (by estimated heap size), so an entry too
   * large for the store is not kept in memory either. @default no bound
   */
  readonly maxBytes?: number | undefined
  /** The clock (tests). @default Date.now */
  readonly now?: () => number
}

export function createTieredEngine(l2: Engine, tier: TierConfig, { ttl: engineTtl, maxBytes, now = Date.now }: TierOptions = {}): Engine & TieredEngine {
  const { coherence } = l2.capabilities
  if (coherence === undefined) throw new ConfigurationError(`l1: '${l2.name}' cannot report changes made by other processes`)
  const l1 = createMemoryEngine({ maxsize: tier.maxsize, ttl: tier.ttl, maxBytes })
  const sync = l2.capabilities.mode === 'sync'
  // The store's own counters miss reads L1 answered and `readEntry`s (which count nothing), so
  // the tier counts what went past L1; L1 counts its own hits.
  let storeHits = 0
  let storeMisses = 0
  let epoch = 0
  let watch: Watch | undefined
  let seenVersion: number | undefined
  let nextCheck = 0
  let closed = false

  const invalidate = (key: string | undefined): void => {
    // A message already on the wire when close() stopped the watch still arrives: L1 is gone
    // by then, and a throw here would be uncaught (it runs in the engine's event handler).
    if (closed) return
    epoch++
    if (key === undefined) l1.clear()
    else l1.delete(key)
  }
  /** Whether L1 may be read and filled now. */
  const coherent =
    coherence === 'push'
      ? (): boolean => (watch === undefined ? (watch = l2.watch!(invalidate)) : watch).live
      : (): boolean => {
          const t = now()
          if (t < nextCheck) return true
          nextCheck = t + VERSION_CHECK_MS
          const version = l2.version!()
          if (version !== seenVersion) {
            if (seenVersion !== undefined) invalidate(undefined)
            seenVersion = version
          }
          return true
        }

  /** The L1 lifetime of an entry L2 holds until `expiresAt`: never longer. */
  const promote = (key: string, entry: StoredEntry | typeof MISS, seen: number): unknown => {
    if (entry === MISS) {
      storeMisses++
      return MISS
    }
    storeHits++
    if (seen === epoch) {
      const left = entry.expiresAt === undefined ? undefined : entry.expiresAt - now()
      if (left === undefined || left > 0) l1.set(key, entry.value, { ttl: min(left, tier.ttl) })
    }
    return entry.value
  }
  // Engines declaring `coherence` have `readEntry` (the conformance suite checks it).
  const read = (key: string): StoredEntry | typeof MISS | Promise<StoredEntry | typeof MISS> => l2.readEntry!(key)

  const fill = (key: string, value: unknown, options: SetOptions | undefined, seen: number): void => {
    if (seen === epoch && coherent()) l1.set(key, value, { ttl: min(options?.ttl ?? engineTtl, tier.ttl) })
  }

  /** A read that bypasses L1 (its watch is down), counted like one through it. */
  const count = (value: unknown): unknown => {
    if (value === MISS) storeMisses++
    else storeHits++
    return value
  }

  const base = {
    name: l2.name,
    capabilities: Object.freeze({ ...l2.capabilities, l1: true }),
    l1,
    l2,
    get(key: string): unknown {
      // After close(), the store's own EngineClosedError (named for it, rejected if async).
      if (closed) return l2.get(key)
      if (coherent()) {
        const hit = l1.get(key)
        if (hit !== MISS) return sync ? hit : Promise.resolve(hit)
        const seen = epoch
        const entry = read(key)
        return sync ? promote(key, entry as StoredEntry | typeof MISS, seen) : (entry as Promise<StoredEntry | typeof MISS>).then((e) => promote(key, e, seen))
      }
      return sync ? count(l2.get(key)) : (l2.get(key) as Promise<unknown>).then(count)
    },
    getNow: (key: string): unknown => (!closed && coherent() ? l1.get(key) : MISS),
    set(key: string, value: unknown, options?: SetOptions): unknown {
      // L1 is closed: its error would name 'memory', and throw where an async engine rejects.
      if (closed) return l2.set(key, value, options)
      const seen = epoch
      // L1 is written only after L2 took the value, and only if no change was reported since:
      // a reported change may be a newer write by another process.
      l1.delete(key)
      if (sync) {
        ;(l2 as { set(k: string, v: unknown, o?: SetOptions): void }).set(key, value, options)
        return fill(key, value, options, seen)
      }
      return (l2.set(key, value, options) as Promise<void>).then(() => fill(key, value, options, seen))
    },
    delete(key: string): unknown {
      invalidate(key)
      return l2.delete(key)
    },
    clear(): unknown {
      invalidate(undefined)
      return l2.clear()
    },
    close(): unknown {
      closed = true
      watch?.stop()
      l1.close()
      return l2.close()
    },
    [Symbol.asyncDispose]: async () => {
      await base.close()
    },
  }
  // Optional methods pass through (lease for `lock`, size and keys of the shared store, its
  // coherence methods (the tier declares its coherence, so it must have them), and tag
  // state: a tagged entry served from L1 is still checked against the store's tag records, so
  // invalidateTags/expireTags by any process reach it, as without l1).
  const passed: Record<string, unknown> = {}
  for (const name of ['has', 'size', 'keys', 'acquire', 'release', 'readEntry', 'version', 'watch', 'readTags', 'markTags', 'keepTags'] as const) {
    const method = (l2 as unknown as Record<string, unknown>)[name]
    if (typeof method === 'function') passed[name] = method.bind(l2)
  }
  // The store's stats (its size, bounds, connection), with the hits and misses of both tiers.
  if (typeof l2.stats === 'function') {
    passed.stats = () => {
      const stats = l2.stats!() // after close(): the store's own error
      const l1Hits = closed ? 0 : l1.stats().hits
      const withTiers = (store: EngineStats): EngineStats => ({ ...store, hits: l1Hits + storeHits, misses: storeMisses })
      return sync ? withTiers(stats as EngineStats) : (stats as Promise<EngineStats>).then(withTiers)
    }
  }
  if (sync) passed[Symbol.dispose as unknown as string] = () => base.close()
  return Object.assign(passed, base) as unknown as Engine & TieredEngine
}

const min = (a: number | undefined, b: number | undefined): number | undefined =>
  a === undefined ? b : b === undefined ? a : Math.min(a, b)
