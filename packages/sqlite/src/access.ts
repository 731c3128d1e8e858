import type Database from 'better-sqlite3'

/**
 * Reads under `lru` and `lfu` change the eviction order, but writing a row per read would turn
 * a read-mostly cache into a write storm (each rank change rewrites an index entry: ~16 µs,
 * three times the cost of the read). So reads are recorded here, in memory, per connection, and
 * reach the file:
 *
 * - when eviction is about to pick a victim that has a recorded read (only those rows are
 *   written, then the victim is picked again), so eviction within a process is exact;
 * - every `accessFlushMs` (default 1 s), so other processes see this one's reads;
 * - when an engine closes.
 *
 * Shared by every engine on the connection, so one engine's eviction honours another's reads.
 */
export class AccessLog {
  /** namespace → key → newest rank (lru) */
  readonly #recent = new Map<string, Map<string, number>>()
  /** namespace → key → reads since the last flush (lfu) */
  readonly #reads = new Map<string, Map<string, number>>()
  readonly #touchLru: Database.Statement
  readonly #touchLfu: Database.Statement
  #size = 0
  lastFlush = Date.now()

  /** `prepare` compiles a statement on the connection this log belongs to. */
  constructor(prepare: (sql: string) => Database.Statement, table: string) {
    this.#touchLru = prepare(`UPDATE ${table} SET rank = max(rank, ?) WHERE namespace = ? AND key = ?`)
    this.#touchLfu = prepare(`UPDATE ${table} SET rank = rank + ? WHERE namespace = ? AND key = ?`)
  }

  /** Recorded reads not yet written. */
  get size(): number {
    return this.#size
  }

  recordUse(namespace: string, key: string, rank: number): void {
    const map = inner(this.#recent, namespace)
    if (!map.has(key)) this.#size++
    map.set(key, rank)
  }

  recordRead(namespace: string, key: string): void {
    const map = inner(this.#reads, namespace)
    const n = map.get(key)
    if (n === undefined) this.#size++
    map.set(key, (n ?? 0) + 1)
  }

  has(namespace: string, key: string): boolean {
    return this.#size > 0 && (this.#recent.get(namespace)?.has(key) === true || this.#reads.get(namespace)?.has(key) === true)
  }

  /** Write one key's recorded reads. Call inside a write transaction. */
  flushKey(namespace: string, key: string): void {
    const rank = this.#recent.get(namespace)?.get(key)
    if (rank !== undefined) this.#touchLru.run(rank, namespace, key)
    const reads = this.#reads.get(namespace)?.get(key)
    if (reads !== undefined) this.#touchLfu.run(reads, namespace, key)
    this.forget(namespace, key)
  }

  /** Write every recorded read. Call inside a write transaction. */
  flushAll(): void {
    for (const [namespace, map] of this.#recent) for (const [key, rank] of map) this.#touchLru.run(rank, namespace, key)
    for (const [namespace, map] of this.#reads) for (const [key, reads] of map) this.#touchLfu.run(reads, namespace, key)
    this.discard()
  }

  /** Drop what was recorded for a key (deleted) or a whole namespace (cleared). */
  forget(namespace: string, key?: string): void {
    for (const maps of [this.#recent, this.#reads]) {
      const map = maps.get(namespace)
      if (!map) continue
      if (key === undefined) {
        this.#size -= map.size
        maps.delete(namespace)
      } else if (map.delete(key)) {
        this.#size--
      }
    }
  }

  /** Drop everything, e.g. after a failed flush: access order is a hint, not data. */
  discard(): void {
    this.#recent.clear()
    this.#reads.clear()
    this.#size = 0
    this.lastFlush = Date.now()
  }
}

function inner(maps: Map<string, Map<string, number>>, namespace: string): Map<string, number> {
  let map = maps.get(namespace)
  if (!map) maps.set(namespace, (map = new Map()))
  return map
}
