/**
 * Exact least-recently-used order over node-cache's Map, without reordering the Map. Moving an
 * entry to the end of a Map (delete + set) costs ~85 ns per hit (measured on 1,000 keys, Node 20);
 * this stamps the entry and appends to a queue instead (~5 ns). Eviction pops the queue until it
 * finds an entry whose stamp is still current: every stale queue slot was superseded by a later
 * use, so the first current one is the least recently used key.
 */

/** node-cache's entry object, which this stamps with its last use. */
export interface Stamped {
  used?: number
}

export interface Recency {
  /** Record a read or write of `key`, whose entry is `item`. */
  touch(item: Stamped, key: string): void
  /** The least recently used key still present, consumed from the queue. */
  victim(): string | undefined
  /** Forget everything (after the store was emptied). */
  reset(): void
}

export function createRecency(store: Map<string, Stamped>): Recency {
  let tick = 0
  let keys: string[] = []
  let ticks: number[] = []
  let head = 0

  // Queue slots of keys read many times pile up; rebuilding once the queue is several times the
  // store keeps memory bounded and costs O(1) amortized per touch.
  const compact = (): void => {
    const liveKeys: string[] = []
    const liveTicks: number[] = []
    for (let i = head; i < keys.length; i++) {
      const key = keys[i]!
      if (store.get(key)?.used === ticks[i]) {
        liveKeys.push(key)
        liveTicks.push(ticks[i]!)
      }
    }
    keys = liveKeys
    ticks = liveTicks
    head = 0
  }

  return {
    touch(item, key) {
      item.used = ++tick
      keys.push(key)
      ticks.push(tick)
      if (keys.length > 4 * store.size + 64) compact()
    },
    victim() {
      while (head < keys.length) {
        const key = keys[head]!
        const stamp = ticks[head]!
        head++
        if (store.get(key)?.used === stamp) return key
      }
      // Entries this never saw (none today): fall back to the oldest insertion.
      return store.keys().next().value
    },
    reset() {
      keys = []
      ticks = []
      head = 0
    },
  }
}
