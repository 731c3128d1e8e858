import { type CacheConfig, type CacheOptions, createCacheConfig } from '../config.js'
import { defaultNamespace } from '../keys/namespace.js'
import { stableKey } from '../keys/stable-key.js'
import { type EngineNeeds, selectEngine } from '../registry.js'
import type { EngineConfig } from '../config.js'
import { type AsyncEngine, type Engine, type EngineDefinition, MISS, type SyncEngine } from '../types.js'
import { type CacheInfo, track } from './stats.js'

// biome-ignore lint: `any` is what lets every function type through the constraint.
export type AnyFunction = (...args: any[]) => any
export type AsyncFunction = (...args: any[]) => PromiseLike<unknown>

/** What every cached function adds to the original. */
export interface CacheControls<Args extends unknown[]> {
  /** Hits, misses, size, maxsize and the engine name. */
  cacheInfo(): CacheInfo
  /** Remove every entry of this function (only its namespace). */
  cacheClear(): Promise<void>
  /** Remove the entry for these arguments; resolves to whether one existed. */
  cacheDelete(...args: Args): Promise<boolean>
  /** The engine serving this function. */
  readonly engine: Engine
}

/** A cached function: the same signature and type as the original, plus the cache controls. */
export type Cached<F extends AnyFunction> = F & CacheControls<Parameters<F>>

/**
 * Returned by `mcache(options)` and friends: call it on a function, or use it as a TC39 method
 * decorator (`@mcache()`), where each instance gets its own entries.
 */
export interface Cacher<Constraint extends AnyFunction = AnyFunction> {
  <F extends Constraint>(fn: F): Cached<F>
  <F extends Constraint>(method: F, context: ClassMethodDecoratorContext): Cached<F>
}

export interface MemoizeSetup {
  needs: EngineNeeds
  /**
   * Absorb engine failures: run the function, warn once per episode, retry later (ucache).
   * Passed in (not imported) so wrappers that never degrade do not carry the code.
   */
  degrade?: Degradation
  /** Picks the chain once the config is known (ucache). */
  chooseNeeds?: (config: CacheConfig, fn: AnyFunction) => EngineNeeds
  /**
   * Builds the engine instead of the registry choosing one (hybridCache and smartCache compose
   * engines). `mode` is `'sync'` for a sync function, which a sync engine must then serve.
   */
  createEngine?: (config: CacheConfig, namespace: string, mode: 'sync' | 'any') => Engine
}

/** ucache's failure handling, supplied by wrap/degrade.ts. */
export interface Degradation {
  health(engineName: string): Health
  reopening(definition: EngineDefinition<EngineConfig>, config: EngineConfig): Engine
}
export interface Health {
  /** True while the engine should be bypassed. */
  bypass(): boolean
  /** Record a failure (throws it again when not degrading). */
  fail(error: unknown): void
  ok(): void
}

// Without degradation an engine failure is the caller's error.
const STRICT: Health = {
  bypass: () => false,
  fail(error) {
    throw error
  },
  ok() {},
}

const AsyncFunctionPrototype = Object.getPrototypeOf(async () => {})
export function isAsyncFunction(fn: AnyFunction): boolean {
  return Object.getPrototypeOf(fn) === AsyncFunctionPrototype
}

const isThenable = (value: unknown): value is PromiseLike<unknown> =>
  value !== null && (typeof value === 'object' || typeof value === 'function') && typeof (value as { then?: unknown }).then === 'function'

// Per-instance keys for decorated methods: a counter per object, held weakly so caching a
// method never keeps an instance alive.
const instanceIds = new WeakMap<object, number>()
let nextInstanceId = 0
function instanceId(self: unknown): string {
  if (self === null || (typeof self !== 'object' && typeof self !== 'function')) return '-'
  let id = instanceIds.get(self)
  if (id === undefined) instanceIds.set(self, (id = ++nextInstanceId))
  return String(id)
}

/** Build a `Cacher` for one wrapper (`mcache`, `bcache`, ...). */
export function makeCacher<C extends AnyFunction>(options: CacheOptions | undefined, setup: MemoizeSetup): Cacher<C> {
  // Validate now, so a bad option fails where it is written, not at the first call.
  const config = createCacheConfig(options)
  return ((fn: C, context?: ClassMethodDecoratorContext) => {
    if (typeof fn !== 'function') {
      throw new TypeError(`a cacher wraps a function; got ${fn === null ? 'null' : typeof fn}. Use mcache(options)(fn)`)
    }
    if (context !== undefined && context.kind !== 'method') {
      throw new TypeError(`cache decorators apply to methods, not to a ${String(context.kind)}`)
    }
    return memoize(fn, config, setup, context !== undefined)
  }) as Cacher<C>
}

function memoize<F extends AnyFunction>(fn: F, config: CacheConfig, setup: MemoizeSetup, perInstance: boolean): Cached<F> {
  const asyncFn = isAsyncFunction(fn)
  const mode = asyncFn ? 'any' : 'sync'
  const namespace = config.namespace ?? defaultNamespace(fn)
  let engine: Engine
  if (setup.createEngine) {
    engine = setup.createEngine(config, namespace, mode)
  } else {
    const definition = selectEngine(config, { ...(setup.chooseNeeds?.(config, fn) ?? setup.needs), mode })
    try {
      engine = definition.create({ ...config, namespace })
    } catch (error) {
      // ucache: an engine that cannot open (corrupt file, unwritable folder) is a run-time
      // failure like any other: the function runs uncached and opening is retried later.
      if (!setup.degrade) throw error
      engine = setup.degrade.reopening(definition, { ...config, namespace })
    }
  }
  const userKey = config.key as ((...args: unknown[]) => string) | undefined
  const keyOf = userKey ? (args: unknown[]) => userKey(...args) : stableKey
  const name = fn.name || 'anonymous'
  const counters = { hits: 0, misses: 0, written: 0 }

  const cached =
    engine.capabilities.mode === 'sync'
      ? syncCached(fn, engine as SyncEngine, keyOf, perInstance, asyncFn, counters, setup.degrade?.health(engine.name))
      : asyncCached(fn, engine as AsyncEngine, keyOf, perInstance, counters, setup.degrade?.health(engine.name))

  const info = (): CacheInfo => ({
    hits: counters.hits,
    misses: counters.misses,
    size: engine.capabilities.mode === 'sync' && engine.size ? (engine as SyncEngine).size!() : Math.min(counters.written, config.maxsize),
    maxsize: config.maxsize,
    engine: engine.name,
  })
  const clear = async () => {
    await engine.clear()
    counters.written = 0
  }
  const controls: CacheControls<Parameters<F>> = {
    cacheInfo: info,
    cacheClear: clear,
    cacheDelete: async (...args) => {
      if (perInstance) throw new TypeError('cacheDelete on a decorated method needs the instance: use cacheClear, or a custom key')
      return engine.delete(keyOf(args))
    },
    engine,
  }
  Object.defineProperties(cached, {
    name: { value: fn.name, configurable: true },
    length: { value: fn.length, configurable: true },
  })
  Object.assign(cached, controls)
  // getStats() holds this weakly; the cached function holds it strongly, so it lives as long
  // as the function does.
  const tracked = { name, namespace, info, clear }
  Object.defineProperty(cached, TRACKED, { value: tracked })
  track(tracked)
  return cached as unknown as Cached<F>
}

const TRACKED = Symbol('twat-cache.tracked')
type KeyOf = (args: unknown[]) => string
interface Counters {
  hits: number
  misses: number
  written: number
}

function syncCached(
  fn: AnyFunction,
  engine: SyncEngine,
  keyOf: KeyOf,
  perInstance: boolean,
  asyncFn: boolean,
  counters: Counters,
  degrading: Health | undefined,
) {
  const inflight = new Map<string, Promise<unknown>>()
  const degrade = degrading !== undefined
  const health = degrading ?? STRICT
  // Set once the function is seen to return promises, so hits are returned as promises too.
  let returnsPromise = asyncFn
  const store = (key: string, value: unknown) => {
    if (degrade && health.bypass()) return
    try {
      engine.set(key, value)
      counters.written++
      if (degrade) health.ok()
    } catch (error) {
      health.fail(error)
    }
  }
  return function (this: unknown, ...args: unknown[]): unknown {
    let key: string
    try {
      key = perInstance ? `${instanceId(this)}:${keyOf(args)}` : keyOf(args)
    } catch (error) {
      // A promise-returning function reports every failure through its promise.
      if (returnsPromise) return Promise.reject(error)
      throw error
    }
    if (!(degrade && health.bypass())) {
      let hit: unknown = MISS
      try {
        hit = engine.get(key)
        if (degrade) health.ok()
      } catch (error) {
        health.fail(error)
      }
      if (hit !== MISS) {
        counters.hits++
        // A hit for a sync function returns the value itself: no Promise is allocated.
        return returnsPromise ? Promise.resolve(hit) : hit
      }
    }
    if (returnsPromise) {
      const pending = inflight.get(key)
      if (pending) {
        counters.hits++
        return pending
      }
    }
    counters.misses++
    const result = fn.apply(this, args)
    if (!isThenable(result)) {
      store(key, result)
      return result
    }
    returnsPromise = true
    // Share the in-flight call; store the value only once it resolves (TTL counts from
    // resolution) and never store a rejection.
    const shared = Promise.resolve(result).then(
      (value) => {
        inflight.delete(key)
        store(key, value)
        return value
      },
      (error: unknown) => {
        inflight.delete(key)
        throw error
      },
    )
    inflight.set(key, shared)
    return shared
  }
}

function asyncCached(fn: AnyFunction, engine: AsyncEngine, keyOf: KeyOf, perInstance: boolean, counters: Counters, degrading: Health | undefined) {
  const inflight = new Map<string, Promise<unknown>>()
  const degrade = degrading !== undefined
  const health = degrading ?? STRICT

  async function lookupOrRun(self: unknown, key: string, args: unknown[]): Promise<unknown> {
    if (!(degrade && health.bypass())) {
      let hit: unknown = MISS
      try {
        hit = await engine.get(key)
      } catch (error) {
        health.fail(error)
      }
      if (hit !== MISS) {
        counters.hits++
        if (degrade) health.ok()
        return hit
      }
    }
    counters.misses++
    const value = await fn.apply(self, args)
    if (!(degrade && health.bypass())) {
      try {
        await engine.set(key, value)
        counters.written++
        if (degrade) health.ok()
      } catch (error) {
        health.fail(error)
      }
    }
    return value
  }

  return function (this: unknown, ...args: unknown[]): Promise<unknown> {
    let key: string
    try {
      key = perInstance ? `${instanceId(this)}:${keyOf(args)}` : keyOf(args)
    } catch (error) {
      // An async function reports every failure through its promise, a key error included.
      return Promise.reject(error)
    }
    const pending = inflight.get(key)
    if (pending) {
      counters.hits++
      return pending
    }
    const call = lookupOrRun(this, key, args).finally(() => inflight.delete(key))
    inflight.set(key, call)
    return call
  }
}

