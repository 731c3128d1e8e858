import { type CacheConfig, type CacheOptions, type EngineConfig, createCacheConfig } from '../config.js'
import { ConfigurationError } from '../errors.js'
import { defaultNamespace } from '../keys/namespace.js'
import { type EngineNeeds, selectEngine, unknownEngine } from '../registry.js'
import type { Engine, EngineDefinition, SyncEngine } from '../types.js'
import { isClosed, watchClose } from './closed.js'
import { keyBuilder } from './keying.js'
import { type AnyFunction, type Counters, type Step, type StepContext, type Store, cachedCall } from './pipeline.js'
import { type CacheInfo, track } from './stats.js'
import { enveloping } from './envelope-step.js'
import { tagging } from './tags.js'

export type { AnyFunction } from './pipeline.js'
export type AsyncFunction = (...args: any[]) => PromiseLike<unknown>

/** What every cached function adds to the original. */
export interface CacheControls<Args extends unknown[]> {
  /** Hits, misses, size, maxsize and the engine name (`closed: true` once the engine is closed). */
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
 * decorator (`@mcache()`), where each instance gets its own entries (unless `key` is given).
 */
export interface Cacher<Constraint extends AnyFunction = AnyFunction> {
  <F extends Constraint>(fn: F): Cached<F>
  <F extends Constraint>(method: F, context: ClassMethodDecoratorContext): Cached<F>
}

export interface MemoizeSetup {
  /** The wrapper's name, for messages (`'bcache'`). */
  name: string
  needs: EngineNeeds
  /**
   * Stages between the call and the engine, innermost first (see `Step` in pipeline.ts).
   * Passed in (not imported) so wrappers that do not use one do not carry its code.
   */
  steps?: readonly Step[]
  /**
   * Called when the chosen engine fails to open; returns a stand-in that retries (ucache: an
   * engine that cannot open is a run-time failure like any other). Absent: the error is thrown.
   */
  reopen?: (definition: EngineDefinition<EngineConfig>, config: EngineConfig) => Engine
  /** Sees the engine the chain chose (bcache, fcache and ucache warn when it is not persistent). */
  chosen?: (definition: EngineDefinition<EngineConfig>, needs: EngineNeeds) => void
  /** Picks the chain once the config is known (ucache). */
  chooseNeeds?: (config: CacheConfig, fn: AnyFunction) => EngineNeeds
  /**
   * Builds the engine instead of the registry choosing one (hybridCache and smartCache compose
   * engines). `mode` is `'sync'` for a sync function, which a sync engine must then serve.
   */
  createEngine?: (config: CacheConfig, namespace: string, mode: 'sync' | 'any') => Engine
}

const AsyncFunctionPrototype = Object.getPrototypeOf(async () => {})
export function isAsyncFunction(fn: AnyFunction): boolean {
  return Object.getPrototypeOf(fn) === AsyncFunctionPrototype
}

/** Build a `Cacher` for one wrapper (`mcache`, `bcache`, ...). */
export function makeCacher<C extends AnyFunction>(options: CacheOptions | undefined, setup: MemoizeSetup): Cacher<C> {
  // Validate now, so a bad option fails where it is written, not at the first call.
  const config = createCacheConfig(options)
  const unknown = config.engine === undefined ? undefined : unknownEngine(config.engine)
  if (unknown) throw new ConfigurationError(`invalid cache options:\n  - engine: ${unknown.message}`, { cause: unknown, issues: [`engine: ${unknown.message}`] })
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

function openEngine(fn: AnyFunction, config: CacheConfig, setup: MemoizeSetup, namespace: string): Engine {
  const mode = isAsyncFunction(fn) ? 'any' : 'sync'
  if (setup.createEngine) return setup.createEngine(config, namespace, mode)
  const needs = setup.chooseNeeds?.(config, fn) ?? setup.needs
  const definition = selectEngine(config, { ...needs, mode })
  setup.chosen?.(definition, needs)
  const engineConfig = { ...config, namespace }
  try {
    return definition.create(engineConfig)
  } catch (error) {
    if (!setup.reopen) throw error
    return setup.reopen(definition, engineConfig)
  }
}

function memoize<F extends AnyFunction>(fn: F, config: CacheConfig, setup: MemoizeSetup, perInstance: boolean): Cached<F> {
  const namespace = config.namespace ?? defaultNamespace(fn)
  const engine = openEngine(fn, config, setup, namespace)
  watchClose(engine)
  const counters: Counters = { hits: 0, misses: 0, written: 0 }
  const context: StepContext = {
    name: fn.name || 'anonymous',
    namespace,
    config,
    engine,
    sync: engine.capabilities.mode === 'sync',
    counters,
  }
  // Tagged functions store envelopes; the tag check sits right above the engine, under the
  // wrapper's own steps (so ucache's degradation also absorbs a failed tag read).
  const steps = config.tags === undefined ? (setup.steps ?? []) : [tagging, enveloping, ...(setup.steps ?? [])]
  // The engine's third `set` parameter is its SetOptions, not the call's arguments.
  const base: Store = { get: engine.get.bind(engine), set: (key, value) => engine.set(key, value) }
  const store = steps.reduce<Store>((inner, step) => step(inner, context), base)
  const keyFor = keyBuilder(config.key, perInstance, engine)
  const cached = cachedCall(fn, store, keyFor, context, isAsyncFunction(fn))

  // A closed engine is reported, never thrown, by cacheInfo() and getStats().
  let closedSeen = false
  const closed = () => closedSeen || isClosed(engine)
  const size = (): number => {
    const estimate = Math.min(counters.written, config.maxsize)
    if (!context.sync || !engine.size) return estimate
    try {
      return (engine as SyncEngine).size!()
    } catch (error) {
      closedSeen ||= isClosed(engine, error)
      return estimate
    }
  }
  const info = (): CacheInfo => {
    const base = { hits: counters.hits, misses: counters.misses, size: 0, maxsize: config.maxsize, engine: engine.name }
    if (!closed()) base.size = size()
    return closed() ? { ...base, size: 0, closed: true } : base
  }
  // getStats() holds `tracked` weakly; the cached function holds it strongly (cacheClear
  // refers to it), so it lives as long as the function does.
  const tracked = {
    name: context.name,
    namespace,
    engine,
    info,
    closed,
    async clear() {
      try {
        await engine.clear()
      } catch (error) {
        closedSeen ||= isClosed(engine, error)
        throw error
      }
      counters.written = 0
    },
  }
  const controls: CacheControls<Parameters<F>> = {
    cacheInfo: info,
    cacheClear: () => tracked.clear(),
    cacheDelete: async (...args) => {
      if (perInstance && config.key === undefined) {
        throw new TypeError('cacheDelete on a decorated method needs the instance: use cacheClear, or a custom key')
      }
      return engine.delete(keyFor(args, undefined))
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
