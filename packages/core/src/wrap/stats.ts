/** Counters and a live view of one cached function, shared by `cacheInfo()` and `getStats()`. */
export interface CacheInfo {
  hits: number
  misses: number
  /** Entries held for this function (for async engines: an estimate from this process's writes). */
  size: number
  maxsize: number
  /** Name of the engine serving this function. */
  engine: string
}

export interface CacheStatsEntry extends CacheInfo {
  /** Function name (or `anonymous`). */
  name: string
  namespace: string
}

/** What the process-wide registry of cached functions needs from each one. */
export interface TrackedCache {
  readonly name: string
  readonly namespace: string
  info(): CacheInfo
  clear(): Promise<void>
}

// WeakRefs: listing a cached function in getStats() must not keep it (or its engine) alive.
const tracked = new Set<WeakRef<TrackedCache>>()

export function track(cache: TrackedCache): void {
  tracked.add(new WeakRef(cache))
}

function live(): TrackedCache[] {
  const result: TrackedCache[] = []
  for (const ref of tracked) {
    const cache = ref.deref()
    if (cache) result.push(cache)
    else tracked.delete(ref)
  }
  return result
}

/** Hits, misses and sizes of every cached function created in this process. */
export function getStats(): CacheStatsEntry[] {
  return live().map((c) => ({ name: c.name, namespace: c.namespace, ...c.info() }))
}

/** Clear every cached function, or those whose function name or namespace is `name`. */
export async function clearCache(name?: string): Promise<void> {
  const targets = live().filter((c) => name === undefined || c.name === name || c.namespace === name)
  await Promise.all(targets.map((c) => c.clear()))
}
