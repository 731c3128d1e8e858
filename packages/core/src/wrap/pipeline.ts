import type { CacheConfig } from '../config.js'
import { type Engine, MISS, type SetOptions } from '../types.js'
import { emit, listening, since, startClock } from './events-emit.js'
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
  /**
   * An async store's answer when it is known without waiting (an L1 hit), else `MISS`; never a
   * promise. The tiered engine offers it; the lock, `hardTimeout` and ucache steps pass it through.
   */
  getNow?(key: string): unknown
  /** `options.ttl` is the engine's TTL for this entry (freshness keeps entries until `staleUntil`). */
  set(key: string, value: unknown, options?: SetOptions): unknown
  /**
   * The read before a run (`cachedCall` only; `cachePeek` and refreshes use `get`): like `get`,
   * but on a miss it may wait for another process to compute the key, or take the right to
   * compute it itself (the lock step). Only the outermost step may define it.
   */
  claim?(key: string): unknown
  /**
   * The run that `claim` answered `MISS` for is over and nothing more will be written by it (it
   * failed, its value is not stored, or its write is done): a lock step gives back its lease.
   */
  abandon?(key: string): void
}

/** The counters behind `cacheInfo()`; steps may add their own fields. */
export interface Counters {
  hits: number
  misses: number
  /** Writes that succeeded (the size estimate for engines that cannot count). */
  written: number
  /** Callers served a stale value (ten concurrent stale hits: 10). */
  stale: number
  /** Refresh runs (stale-while-revalidate, stale-if-error, `cacheRefresh`). */
  refreshes: number
  /** Failed function runs and failed engine operations. */
  errors: number
}

/**
 * How stored entries map to answers, built once per function by freshness.ts: the plain one
 * stores bare values; with §12's options entries are envelopes read as fresh, stale or gone.
 */
export interface Entries {
  /**
   * The answer for what the store returned (never `MISS`): the value to serve, or `MISS` to run
   * the function as on a miss. Counts what it serves. May answer with a refresh's result.
   */
  serve(stored: unknown, key: string, self: unknown, args: unknown[]): unknown
  /**
   * Store a run's result (inline for a sync store, else a promise). `startedAt` (epoch ms) is
   * when the run began: the entry's `createdAt`, so a tag invalidated while it ran drops it.
   */
  write(key: string, value: unknown, args: unknown[], startedAt: number): unknown
  /** Whether `write` reads `startedAt` (else callers pass 0 and skip the clock). */
  readonly timed: boolean
  /** `cacheRefresh`: run now (one run per key at a time), store, answer the value. */
  refresh(key: string, self: unknown, args: unknown[]): unknown
  /** `cachePeek`: the stored value while fresh or stale, else `undefined`; counts nothing. */
  peek(key: string): unknown
  /** Refreshes in flight for `key` (every key when absent) are no longer shared or stored. */
  forget(key?: string): void
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

/** Count and report a failed run or engine operation. */
export function failed(context: StepContext, key: string, error: unknown): void {
  context.counters.errors++
  if (listening()) emit(context, 'error', key, undefined, error)
}

// Primitives never count, as for `await`, unless someone gives a primitive's prototype a `then`.
export const isThenable = (value: unknown): value is PromiseLike<unknown> => typeof (value as { then?: unknown } | undefined)?.then === 'function'

/**
 * The cached function: key → read → serve (entries decide: fresh, stale, gone) | join a run in
 * flight | run → write.
 *
 * - A sync store answers inline: a hit for a sync function returns the value itself, with no
 *   Promise allocated.
 * - A run that settles later is registered as in flight until it settles, so concurrent
 *   callers share it; its value is written once it resolves (TTL counts from resolution); a
 *   rejection is never written.
 * - Once the function is seen to return promises (from the start for async functions and
 *   async stores), hits and key errors are returned as promises too.
 */
/** The cached function, and how `cacheDelete`/`cacheClear` reach the runs it has in flight. */
export type CachedCall = AnyFunction & {
  /**
   * Runs in flight for `key` (every key when absent) are no longer joined by later calls, and
   * their results are not stored (they may hold what the invalidation was meant to drop); their
   * callers still get them.
   */
  forget(key?: string): void
}

export function cachedCall(fn: AnyFunction, store: Store, keyFor: KeyFor, context: StepContext, asyncFn: boolean, entries: Entries): CachedCall {
  const { counters, sync } = context
  // One resident entry under a key no call can have: V8 shrinks a Map that empties and regrows
  // it on the next set, which was a tenth of an async miss (measured) when runs come one at a time.
  const inflight = new Map<string | symbol, Promise<unknown> | undefined>([[Symbol('resident'), undefined]])
  let returnsPromise = asyncFn || !sync

  /**
   * A run is over: concurrent callers stop joining it, and a lock step gives its lease back.
   * `mine`: the run is still the one registered under `key` (`forget` may have dropped it, and a
   * newer run taken its place).
   */
  function release(key: string, mine: boolean): void {
    if (mine) inflight.delete(key)
    store.abandon?.(key)
  }
  /**
   * The rest of a run that returned a promise: write its value, then release the key. `then`
   * callbacks always run later, so the key is released after the caller registered the promise;
   * `then` rather than an async function saves every such miss a promise and a tick.
   */
  function settle(key: string, result: PromiseLike<unknown>, args: unknown[], started: number, startedAt: number): Promise<unknown> {
    const pending: Promise<unknown> = Promise.resolve(result).then(
      (value) => {
        // Forgotten while it ran (cacheDelete, cacheClear): its callers get the value, the store does not.
        const current = inflight.get(key) === pending
        let written: unknown
        try {
          if (listening()) emit(context, 'miss', key, since(started))
          if (current) written = write(key, value, args, startedAt)
        } catch (error) {
          release(key, current)
          throw error
        }
        // A sync store wrote inline: awaiting it anyway would cost every miss a tick.
        if (written === undefined) {
          release(key, current)
          return value
        }
        // Asked again after the write: `forget` may have come while it was in flight.
        return Promise.resolve(written)
          .finally(() => release(key, inflight.get(key) === pending))
          .then(() => value)
      },
      (error: unknown) => {
        release(key, inflight.get(key) === pending)
        return fail(key, error)
      },
    )
    return pending
  }
  function run(self: unknown, key: string, args: unknown[]): unknown {
    counters.misses++
    const started = startClock()
    // The clock is read only when entries record when they were made (envelopes).
    const startedAt = entries.timed ? Date.now() : 0
    let result: unknown
    try {
      result = fn.apply(self, args)
    } catch (error) {
      store.abandon?.(key)
      return fail(key, error)
    }
    // An async store's write is always awaited (in `settle`), so its failure is the caller's.
    if (sync && !isThenable(result)) {
      if (listening()) emit(context, 'miss', key, since(started))
      write(key, result, args, startedAt)
      return result
    }
    returnsPromise = true
    const pending = settle(key, result as PromiseLike<unknown>, args, started, startedAt)
    inflight.set(key, pending)
    return pending
  }
  function write(key: string, value: unknown, args: unknown[], startedAt: number): unknown {
    try {
      const written = entries.write(key, value, args, startedAt)
      return isThenable(written) ? Promise.resolve(written).catch((error: unknown) => fail(key, error)) : written
    } catch (error) {
      return fail(key, error)
    }
  }
  function fail(key: string, error: unknown): never {
    failed(context, key, error)
    throw error
  }
  // A lock step's read before a run; `get` for every other store.
  const claim: (key: string) => unknown = store.claim ? (key) => store.claim!(key) : (key) => store.get(key)
  const getNow = store.getNow?.bind(store)
  /** A run in flight for `key`, which this caller shares: a hit, for events as for `cacheInfo()`. */
  function joined(key: string): Promise<unknown> | undefined {
    const pending = returnsPromise ? inflight.get(key) : undefined
    if (pending) {
      counters.hits++
      if (listening()) emit(context, 'hit', key)
    }
    return pending
  }
  function read(key: string): unknown {
    try {
      return store.get(key)
    } catch (error) {
      return fail(key, error)
    }
  }

  /**
   * An async store's call. Hits do not touch the in-flight map (measured: its set and delete
   * were a quarter of a hit); a miss joins a run another caller started while it looked up, so
   * callers that arrive together still share one run.
   */
  async function lookup(self: unknown, key: string, args: unknown[]): Promise<unknown> {
    let stored: unknown
    try {
      stored = await claim(key)
    } catch (error) {
      return fail(key, error)
    }
    if (stored !== MISS) {
      const answer = entries.serve(stored, key, self, args)
      if (answer !== MISS) return answer
    }
    return joined(key) ?? run(self, key, args)
  }

  const call = function (this: unknown, ...args: unknown[]): unknown {
    let key: string
    try {
      key = keyFor(args, this)
    } catch (error) {
      // A promise-returning function reports every failure through its promise.
      if (returnsPromise) return Promise.reject(error)
      throw error
    }
    if (!sync) {
      // An L1 hit in front of an async engine: answered without the async lookup's extra tick.
      if (getNow !== undefined) {
        let stored: unknown
        try {
          stored = getNow(key)
        } catch (error) {
          failed(context, key, error)
          return Promise.reject(error)
        }
        if (stored !== MISS) {
          const answer = entries.serve(stored, key, this, args)
          if (answer !== MISS) return isThenable(answer) ? answer : Promise.resolve(answer)
        }
      }
      return joined(key) ?? lookup(this, key, args)
    }
    const stored = read(key)
    if (stored !== MISS) {
      const answer = entries.serve(stored, key, this, args)
      if (answer !== MISS) return returnsPromise ? Promise.resolve(answer) : answer
    }
    return joined(key) ?? run(this, key, args)
  } as CachedCall
  call.forget = (key) => {
    if (key !== undefined) inflight.delete(key)
    // The resident entry (a symbol) stays: see `inflight`.
    else for (const k of inflight.keys()) if (typeof k === 'string') inflight.delete(k)
    entries.forget(key)
  }
  return call
}
