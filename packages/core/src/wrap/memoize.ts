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

// Primitives never count, as for `await`, unless someone gives a primitive's prototype a `then`.
const isThenable = (value: unknown): value is PromiseLike<unknown> => typeof (value as { then?: unknown } | undefined)?.then === 'function'

// Per-instance keys for decorated methods: a counter per object, held weakly so caching a
// method never keeps an instance alive.
const instanceIds = new WeakMap<object, number>()
let nextInstanceId = 0
function instanceId(self: unknown): number | string {
  if (self === null || (typeof self !== 'object' && typeof self !== 'function')) return '-'
  let id = instanceIds.get(self)
  if (id === undefined) instanceIds.set(self, (id = ++nextInstanceId))
  return id
}

/**
 * Instance counters restart in every process, so on an engine that outlives the process or is
 * shared with others, instance 1 of one process must not read instance 1 of another: their keys
 * are scoped by a random token drawn once per process (when first needed).
 */
let processToken: string | undefined
function instanceScope(engine: Engine): string {
  const caps = engine.capabilities
  if (!caps.persistent && caps.shared === 'process') return ''
  if (processToken === undefined) {
    const words = crypto.getRandomValues(new Uint32Array(3))
    processToken = Array.from(words, (w) => w.toString(36)).join('')
  }
  return `${processToken}.`
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
      throw new TypeError(`cache decorators apply to methods, not to a ${context.kind}`)
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
    const engineConfig = { ...config, namespace }
    try {
      engine = definition.create(engineConfig)
    } catch (error) {
      // ucache: an engine that cannot open (corrupt file, unwritable folder) is a run-time
      // failure like any other: the function runs uncached and opening is retried later.
      if (!setup.degrade) throw error
      engine = setup.degrade.reopening(definition, engineConfig)
    }
  }
  const userKey = config.key as ((...args: unknown[]) => string) | undefined
  const keyOf = userKey ? (args: unknown[]) => userKey(...args) : stableKey
  const name = fn.name || 'anonymous'
  const counters = { hits: 0, misses: 0, written: 0 }

  const cached = cachedCall(fn, engine, keyOf, perInstance, asyncFn, counters, setup.degrade?.health(engine.name))

  const info = (): CacheInfo => ({
    hits: counters.hits,
    misses: counters.misses,
    size: engine.capabilities.mode === 'sync' && engine.size ? (engine as SyncEngine).size!() : Math.min(counters.written, config.maxsize),
    maxsize: config.maxsize,
    engine: engine.name,
  })
  // getStats() holds `tracked` weakly; the cached function holds it strongly (cacheClear
  // refers to it), so it lives as long as the function does.
  const tracked = {
    name,
    namespace,
    info,
    async clear() {
      await engine.clear()
      counters.written = 0
    },
  }
  const controls: CacheControls<Parameters<F>> = {
    cacheInfo: info,
    cacheClear: () => tracked.clear(),
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
  track(tracked)
  return cached as unknown as Cached<F>
}

type KeyOf = (args: unknown[]) => string
interface Counters {
  hits: number
  misses: number
  written: number
}

/**
 * The cached function. Sync engines answer inline: a hit for a sync function returns the
 * value itself, with no Promise allocated. What settles later goes through `settle`.
 */
function cachedCall(
  fn: AnyFunction,
  engine: Engine,
  keyOf: KeyOf,
  perInstance: boolean,
  asyncFn: boolean,
  counters: Counters,
  degrading: Health | undefined,
) {
  const sync = engine.capabilities.mode === 'sync'
  const scope = perInstance ? instanceScope(engine) : ''
  const inflight = new Map<string, Promise<unknown>>()
  const degrade = degrading !== undefined
  const health = degrading ?? STRICT
  // Set once the function is seen to return promises (from the start for async functions and
  // engines), so hits and key errors are returned as promises too.
  let returnsPromise = asyncFn || !sync
  const store = (key: string, value: unknown) => {
    if (degrade && health.bypass()) return
    try {
      ;(engine as SyncEngine).set(key, value)
      counters.written++
      if (degrade) health.ok()
    } catch (error) {
      health.fail(error)
    }
  }

  /**
   * A run that settles later: its value is stored once it resolves (TTL counts from
   * resolution); a rejection is never stored. Registered as in flight until it settles, so
   * concurrent callers share it. `await` comes first, so the `finally` always runs after the
   * caller has registered the promise.
   */
  async function settle(key: string, result: unknown): Promise<unknown> {
    try {
      const value = await result
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
    } finally {
      inflight.delete(key)
    }
  }

  const track = (key: string, result: unknown): Promise<unknown> => {
    const pending = settle(key, result)
    inflight.set(key, pending)
    return pending
  }

  /**
   * An async engine's call. Hits do not touch the in-flight map (measured: its set and delete
   * were a quarter of a hit); a miss joins a run another caller started while it looked up, so
   * callers that arrive together still share one run.
   */
  async function lookup(self: unknown, key: string, args: unknown[]): Promise<unknown> {
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
    const pending = inflight.get(key)
    if (pending) {
      counters.hits++
      return pending
    }
    counters.misses++
    return track(key, fn.apply(self, args))
  }

  return function (this: unknown, ...args: unknown[]): unknown {
    let key: string
    try {
      if (perInstance) {
        key = `${scope}${instanceId(this)}:${keyOf(args)}`
        // Reading a character flattens the concatenation, which V8's Map lookup would otherwise
        // copy on a slow path (measured: most of the key builder's own gain).
        key.charCodeAt(0)
      } else key = keyOf(args)
    } catch (error) {
      // A promise-returning function reports every failure through its promise.
      if (returnsPromise) return Promise.reject(error)
      throw error
    }
    if (sync) {
      if (!(degrade && health.bypass())) {
        let hit: unknown = MISS
        try {
          hit = (engine as SyncEngine).get(key)
          if (degrade) health.ok()
        } catch (error) {
          health.fail(error)
        }
        if (hit !== MISS) {
          counters.hits++
          return returnsPromise ? Promise.resolve(hit) : hit
        }
      }
    }
    const pending = returnsPromise ? inflight.get(key) : undefined
    if (pending) {
      counters.hits++
      return pending
    }
    if (!sync) return lookup(this, key, args)
    counters.misses++
    const result = fn.apply(this, args)
    if (!isThenable(result)) {
      store(key, result)
      return result
    }
    returnsPromise = true
    return track(key, result)
  }
}
