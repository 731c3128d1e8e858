import { type CacheConfig, type CacheOptions, type EngineConfig, createCacheConfig } from '../config.js'
import { configurationProblems } from '../errors.js'
import { warnOnce } from '../logger.js'
import { defaultNamespace } from '../keys/namespace.js'
import { type EngineNeeds, selectEngine, unknownEngine } from '../registry.js'
import type { Tiers } from '../tiers/index.js'
import type { AsyncEngine, Engine, EngineDefinition, SyncEngine } from '../types.js'
import type { Step } from './pipeline.js'
import { isClosed, watchClose } from './closed.js'
import { keyBuilder } from './keying.js'
import { emit, listening } from './events-emit.js'
import { engineView, entries } from './freshness.js'
import { type AnyFunction, type Counters, type StepContext, type Store, cachedCall } from './pipeline.js'
import { type CacheInfo, track } from './stats.js'
import { tagging } from './tags.js'
import { hardTimeouts } from './timeouts.js'

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
  /**
   * Recompute now (with `revalidate` when an entry exists), store, and return the value: inline
   * for a sync function on a sync engine, else a promise. Concurrent refreshes of a key share one run.
   */
  cacheRefresh(...args: Args): unknown
  /**
   * The stored value while it is fresh or stale, `undefined` once past its stale windows or
   * absent. Never runs the function and counts nothing; a promise on async engines.
   */
  cachePeek(...args: Args): unknown
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
  /**
   * Sees the engine the chain chose (bcache, fcache and ucache warn when it is not persistent;
   * mcache, when disk or Redis options go unused).
   */
  chosen?: (definition: EngineDefinition<EngineConfig>, needs: EngineNeeds, config: CacheConfig) => void
  /** Picks the chain once the config is known (ucache). */
  chooseNeeds?: (config: CacheConfig, fn: AnyFunction) => EngineNeeds
  /**
   * Builds the engine instead of the registry choosing one (hybridCache and smartCache compose
   * engines). `mode` is `'sync'` for a sync function, which a sync engine must then serve.
   */
  createEngine?: (config: CacheConfig, namespace: string, mode: 'sync' | 'any') => Engine
  /**
   * `l1` and `lock` (tiers/index.ts), for wrappers that reach shared engines. Passed in, so a
   * bundle with only `mcache` does not carry them; there, the options are a ConfigurationError.
   */
  tiers?: Tiers
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
  if (unknown) throw configurationProblems('invalid cache options', [`engine: ${unknown.message}`], unknown)
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
  const { tiers } = setup
  if ((config.l1 || config.lock) && !tiers) {
    throw configurationProblems('invalid cache options', [`l1 and lock are for shared engines, which ${setup.name} does not use: use acache, bcache or ucache`])
  }
  if (setup.createEngine) return setup.createEngine(engineView(config), namespace, mode)
  const needs = setup.chooseNeeds?.(config, fn) ?? setup.needs
  const definition = selectEngine(config, { ...needs, mode })
  setup.chosen?.(definition, needs, config)
  const problems = tiers?.problems(config, definition, mode === 'sync' ? fn.name || 'anonymous' : undefined) ?? []
  if (problems.length > 0) throw configurationProblems('invalid cache options', problems)
  const engineConfig = { ...engineView(config), namespace }
  let engine: Engine
  try {
    engine = definition.create(engineConfig)
  } catch (error) {
    if (!setup.reopen) throw error
    engine = setup.reopen(definition, engineConfig)
  }
  return config.l1 ? tiers!.tiered(engine, config.l1, { ttl: engineConfig.ttl, maxBytes: engineConfig.maxBytes }) : engine
}

function memoize<F extends AnyFunction>(fn: F, config: CacheConfig, setup: MemoizeSetup, perInstance: boolean): Cached<F> {
  const namespace = config.namespace ?? defaultNamespace(fn)
  const engine = openEngine(fn, config, setup, namespace)
  watchClose(engine)
  const syncEngine = engine.capabilities.mode === 'sync'
  const counters: Counters = { hits: 0, misses: 0, written: 0, stale: 0, refreshes: 0, errors: 0 }
  const context: StepContext = {
    name: fn.name || 'anonymous',
    namespace,
    config,
    engine,
    // Waiting for another process's lease is async, so a locked function's store is too.
    sync: syncEngine && config.lock === undefined,
    counters,
  }
  // The steps under the lock see the engine's own mode. The tag check sits right above the
  // engine, under the wrapper's own steps (so ucache's degradation also absorbs a failed tag
  // read); functions without tags skip it entirely.
  const below: StepContext = context.sync === syncEngine ? context : { ...context, sync: syncEngine }
  const keyFor = keyBuilder(config.key, perInstance, engine)
  const timeouts = config.hardTimeout === undefined ? undefined : hardTimeouts(config.hardTimeout, context.name, keyFor)
  const inner: readonly Step[] = config.tags === undefined ? [] : [tagging]
  const steps: readonly Step[] = [...inner, ...(setup.steps ?? []), ...(timeouts ? [timeouts.step] : [])]
  let store = steps.reduce<Store>((inner, step) => step(inner, below), engine)
  // The lock is outermost: only cachedCall calls `claim` and knows when a run ends (`abandon`).
  if (config.lock) store = setup.tiers!.lock(config.lock)(store, context)
  const run = timeouts ? timeouts.run(fn) : fn
  const stage = entries(run, store, context)
  const call = cachedCall(run, store, timeouts ? timeouts.keyFor : keyFor, context, isAsyncFunction(fn), stage)
  const cached = timeouts ? timeouts.call(call) : call
  if (config.timeout !== undefined && config.staleIfError === undefined) {
    // Keyed by wrapper and function name, not namespace: a function wrapped per request gets a
    // new numbered namespace each time, and would warn (and grow warnOnce's set) every time.
    warnOnce(`timeout-without-sie:${setup.name}:${context.name}`, setup.name, `'${context.name}': timeout only applies to a refresh with a stale value to fall back on; add staleIfError, or use hardTimeout`)
  }

  // A closed engine is reported, never thrown, by cacheInfo() and getStats().
  let closedSeen = false
  const closed = () => closedSeen || isClosed(engine)
  // Async engines cannot answer inline: cacheInfo() reports the count the engine last gave
  // (one refresh at a time, started by each read) and leaves `size` out until it has one, so
  // it never shows a number that only counts this process's writes.
  let reported: number | undefined
  let counting = false
  const size = (): number | undefined => {
    if (!engine.size) return syncEngine ? Math.min(counters.written, config.maxsize) : undefined
    try {
      if (syncEngine) return (engine as SyncEngine).size!()
      if (!counting) {
        counting = true
        ;(engine as AsyncEngine).size!().then(
          (n) => void (reported = n),
          (error) => void (closedSeen ||= isClosed(engine, error)),
        ).finally(() => void (counting = false))
      }
      return reported
    } catch (error) {
      closedSeen ||= isClosed(engine, error)
      return undefined
    }
  }
  const info = (): CacheInfo => {
    const { hits, misses, stale, refreshes, errors } = counters
    const base: CacheInfo = { hits, misses, stale, refreshes, errors, size: 0, maxsize: config.maxsize, engine: engine.name }
    const n = closed() ? 0 : size()
    if (closed()) return { ...base, size: 0, closed: true }
    if (n === undefined) delete base.size
    else base.size = n
    return base
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
      call.forget()
      try {
        await engine.clear()
      } catch (error) {
        closedSeen ||= isClosed(engine, error)
        throw error
      }
      counters.written = 0
    },
  }
  const keyOf = (control: string, args: unknown[]): string => {
    if (perInstance && config.key === undefined) {
      throw new TypeError(`${control} on a decorated method needs the instance: use cacheClear, or a custom key`)
    }
    return keyFor(args, undefined)
  }
  const controls: CacheControls<Parameters<F>> = {
    cacheInfo: info,
    cacheClear: () => tracked.clear(),
    cacheDelete: async (...args) => {
      const key = keyOf('cacheDelete', args)
      call.forget(key)
      const existed = await engine.delete(key)
      if (listening()) emit(context, 'delete', key)
      return existed
    },
    cacheRefresh: (...args) => {
      // The control is shared by every instance, so it has none to run the method on (a custom
      // key names the entry, not an instance): failing here beats `this` being undefined inside.
      if (perInstance) {
        throw new TypeError('cacheRefresh on a decorated method cannot reach an instance to run it on: call cacheDelete(...args), then the method on an instance')
      }
      return stage.refresh(keyOf('cacheRefresh', args), undefined, args)
    },
    cachePeek: (...args) => stage.peek(keyOf('cachePeek', args)),
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
