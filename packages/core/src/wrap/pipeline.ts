import type { CacheConfig } from '../config.js'
import { type Engine, MISS } from '../types.js'
import type { KeyFor } from './keying.js'

// biome-ignore lint: `any` is what lets every function type through the constraint.
export type AnyFunction = (...args: any[]) => any

/**
 * What a cached call reads and writes through: the engine itself, or a step wrapped around it.
 * A sync store (over a sync engine) answers inline, `get` returning the value or `MISS`; an
 * async one returns promises. Every engine is a `Store`, so with no steps the call talks to the
 * engine directly.
 */
export interface Store {
  get(key: string): unknown
  /** `args` are the call's arguments, for steps that derive something from them (tags). */
  set(key: string, value: unknown, args?: readonly unknown[]): unknown
}

/** The counters behind `cacheInfo()`; steps may add their own fields. */
export interface Counters {
  hits: number
  misses: number
  /** Writes that succeeded (the size estimate for engines that cannot count). */
  written: number
}

/** What a step knows about the cached function it serves. Built once per function. */
export interface StepContext {
  /** The function's name (or `anonymous`). */
  readonly name: string
  readonly namespace: string
  readonly config: CacheConfig
  /** The engine under every step. */
  readonly engine: Engine
  /** `true` when the engine is sync: the step's store must then answer inline too. */
  readonly sync: boolean
  readonly counters: Counters
}

/**
 * One stage between the cached call and the engine: it wraps the store below it and returns a
 * store of the same mode (sync stays sync). Steps are composed once, when a function is
 * wrapped, innermost first; the call path never asks which features are on. ucache's
 * degradation (degrade.ts) is one; freshness, tags, tiers and events are meant to be others.
 */
export type Step = (inner: Store, context: StepContext) => Store

// Primitives never count, as for `await`, unless someone gives a primitive's prototype a `then`.
const isThenable = (value: unknown): value is PromiseLike<unknown> => typeof (value as { then?: unknown } | undefined)?.then === 'function'

/**
 * The cached function: key → read → serve a hit | join a run in flight | run → write.
 *
 * - A sync store answers inline: a hit for a sync function returns the value itself, with no
 *   Promise allocated.
 * - A run that settles later is registered as in flight until it settles, so concurrent
 *   callers share it; its value is written once it resolves (TTL counts from resolution); a
 *   rejection is never written.
 * - Once the function is seen to return promises (from the start for async functions and
 *   async stores), hits and key errors are returned as promises too.
 */
export function cachedCall(fn: AnyFunction, store: Store, keyFor: KeyFor, context: StepContext, asyncFn: boolean): AnyFunction {
  const { counters, sync } = context
  const inflight = new Map<string, Promise<unknown>>()
  let returnsPromise = asyncFn || !sync

  // `await` comes first, so the `finally` always runs after the caller registered the promise.
  async function settle(key: string, result: unknown, args: unknown[]): Promise<unknown> {
    try {
      const value = await result
      await store.set(key, value, args)
      counters.written++
      return value
    } finally {
      inflight.delete(key)
    }
  }
  function run(self: unknown, key: string, args: unknown[]): unknown {
    counters.misses++
    const result = fn.apply(self, args)
    // An async store's write is always awaited (in `settle`), so its failure is the caller's.
    if (sync && !isThenable(result)) {
      store.set(key, result, args)
      counters.written++
      return result
    }
    returnsPromise = true
    const pending = settle(key, result, args)
    inflight.set(key, pending)
    return pending
  }
  function joined(key: string): Promise<unknown> | undefined {
    const pending = returnsPromise ? inflight.get(key) : undefined
    if (pending) counters.hits++
    return pending
  }

  /**
   * An async store's call. Hits do not touch the in-flight map (measured: its set and delete
   * were a quarter of a hit); a miss joins a run another caller started while it looked up, so
   * callers that arrive together still share one run.
   */
  async function lookup(self: unknown, key: string, args: unknown[]): Promise<unknown> {
    const hit = await store.get(key)
    if (hit !== MISS) {
      counters.hits++
      return hit
    }
    return joined(key) ?? run(self, key, args)
  }

  return function (this: unknown, ...args: unknown[]): unknown {
    let key: string
    try {
      key = keyFor(args, this)
    } catch (error) {
      // A promise-returning function reports every failure through its promise.
      if (returnsPromise) return Promise.reject(error)
      throw error
    }
    if (!sync) return joined(key) ?? lookup(this, key, args)
    const hit = store.get(key)
    if (hit !== MISS) {
      counters.hits++
      return returnsPromise ? Promise.resolve(hit) : hit
    }
    return joined(key) ?? run(this, key, args)
  }
}
