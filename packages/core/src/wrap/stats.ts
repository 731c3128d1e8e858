import type { Engine } from '../types.js'

/** Counters and a live view of one cached function, shared by `cacheInfo()` and `getStats()`. */
export interface CacheInfo {
  hits: number
  misses: number
  /** Callers served a stale value (stale-while-revalidate, stale-if-error). */
  stale: number
  /** Refresh runs (background, stale-if-error, `cacheRefresh`). */
  refreshes: number
  /** Failed function runs and failed engine operations. */
  errors: number
  /**
   * Entries held for this function; 0 once closed. Async engines answer later: it is the count
   * the engine last reported (each read starts a refresh), absent until the first report and
   * for async engines that cannot count.
   */
  size?: number
  maxsize: number
  /** Name of the engine serving this function. */
  engine: string
  /** Present (and `true`) once the engine was closed: the function no longer caches. */
  closed?: true
}

export interface CacheStatsEntry extends CacheInfo {
  /** Function name (or `anonymous`). */
  name: string
  namespace: string
}

/** What `getStats()` returns: one entry per cached function, and their sums. */
export interface CacheStats {
  functions: CacheStatsEntry[]
  /** Sums over `functions` (`size` counts the functions that report one). */
  totals: { hits: number; misses: number; stale: number; refreshes: number; errors: number; size: number }
}

/** What the process-wide registry of cached functions needs from each one. */
export interface TrackedCache {
  readonly name: string
  readonly namespace: string
  /** The engine serving it (invalidateTags reaches every engine in use). */
  readonly engine?: Engine | undefined
  /** Never throws: a closed engine is reported as `closed`. */
  info(): CacheInfo
  clear(): Promise<void>
  /** The engine was closed (by the user, or it said so when used). */
  closed(): boolean
}

// WeakRefs: listing a cached function in getStats() must not keep it (or its engine) alive.
const tracked = new Set<WeakRef<TrackedCache>>()
// A collected function's ref leaves the set here, not only when getStats() next walks it: a
// server that creates cached functions per request and never asks for stats must not keep one
// WeakRef for each (measured: 32 bytes each, without bound; test/long-run.test.ts).
const forget = new FinalizationRegistry<WeakRef<TrackedCache>>((ref) => tracked.delete(ref))

export function track(cache: TrackedCache): void {
  const ref = new WeakRef(cache)
  tracked.add(ref)
  forget.register(cache, ref)
}

/** Live cached functions named `name` (function name or namespace), or all of them. */
function matching(name: string | undefined): [WeakRef<TrackedCache>, TrackedCache][] {
  const result: [WeakRef<TrackedCache>, TrackedCache][] = []
  for (const ref of tracked) {
    const cache = ref.deref()
    if (!cache) tracked.delete(ref)
    else if (name === undefined || cache.name === name || cache.namespace === name) result.push([ref, cache])
  }
  return result
}

/** The distinct engines of live cached functions whose engine is not closed. */
export function trackedEngines(): Engine[] {
  const engines = new Set<Engine>()
  for (const [, cache] of matching(undefined)) if (cache.engine && !cache.closed()) engines.add(cache.engine)
  return [...engines]
}

/**
 * Hits, misses and sizes of every cached function created in this process (or of those whose
 * function name or namespace is `name`), with their totals. Functions whose engine was closed
 * are listed with `closed: true` and size 0.
 */
export function getStats(name?: string): CacheStats {
  const functions = matching(name).map(([, c]) => ({ name: c.name, namespace: c.namespace, ...c.info() }))
  const totals = { hits: 0, misses: 0, stale: 0, refreshes: 0, errors: 0, size: 0 }
  for (const f of functions) for (const field of Object.keys(totals) as (keyof typeof totals)[]) totals[field] += f[field] ?? 0
  return { functions, totals }
}

/**
 * Clear every cached function, or those whose function name or namespace is `name`. Functions
 * whose engine was closed are skipped and forgotten. If some engines fail, the others are still
 * cleared, then the promise rejects with one `AggregateError` naming the failed functions.
 */
export async function clearCache(name?: string): Promise<void> {
  const failed: { name: string; error: unknown }[] = []
  await Promise.all(
    matching(name).map(async ([ref, cache]) => {
      try {
        if (!cache.closed()) await cache.clear()
      } catch (error) {
        if (!cache.closed()) failed.push({ name: cache.name, error })
      }
      if (cache.closed()) tracked.delete(ref)
    }),
  )
  if (failed.length > 0) {
    const names = failed.map((f) => `'${f.name}'`).join(', ')
    throw new AggregateError(
      failed.map((f) => f.error),
      `clearCache: ${failed.length} cached function(s) could not be cleared (${names}); every other one was cleared`,
    )
  }
}
