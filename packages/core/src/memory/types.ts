import type { EngineStats, Policy, SyncCapabilities, SyncEngine } from '../types.js'

/** The memory engine's name, capabilities and types (engine.ts is the engine itself). */
export const ENGINE_NAME = 'memory'

/** The built-in engine: live values in this process, every policy, TTL kept by us. Read-only by type. */
export const MEMORY_CAPABILITIES: SyncCapabilities = {
  mode: 'sync',
  persistent: false,
  shared: 'process',
  ttl: 'emulated',
  policies: ['lru', 'lfu', 'fifo', 'rr'],
  structured: true,
  maxBytes: true,
}

/** A structural subset of `EngineConfig`, so the factory takes a config or plain options. */
export interface MemoryEngineOptions {
  /** Entries kept before the policy evicts one. `Infinity` for unbounded. @default 1000 */
  readonly maxsize?: number | undefined
  /**
   * Bound on the estimated size of the stored entries (key + value, see `estimateHeapSize`),
   * in bytes; the policy evicts until a new entry fits, and an entry larger than the bound on
   * its own is not stored. Omit for no bound.
   */
  readonly maxBytes?: number | undefined
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
