import type { CacheConfig, CacheOptions } from '../config.js'
import { ConfigurationError } from '../errors.js'
import type { Engine, EngineCapabilities } from '../types.js'
import { type AnyFunction, type Cacher, type MemoizeSetup, makeCacher } from '../wrap/memoize.js'

/**
 * Builds the engine of one cached function instead of the registry choosing it: how
 * hybridCache and smartCache plug composed engines into the wrappers' machinery (keys,
 * in-flight sharing, stats, decorators). `mode` is `'sync'` for a sync function.
 */
export type CreateEngine = (config: CacheConfig, namespace: string, mode: 'sync' | 'any') => Engine

/** `makeCacher` with a `createEngine` hook (MemoizeSetup.createEngine in wrap/memoize.ts). */
export function cacherWithEngine(options: CacheOptions, create: CreateEngine, wrapper: string): Cacher {
  let called = false
  const setup: MemoizeSetup & { createEngine: CreateEngine } = {
    name: wrapper,
    needs: { chain: 'memory' },
    createEngine: (config, namespace, mode) => {
      called = true
      return create(config, namespace, mode)
    },
  }
  const inner = makeCacher(options, setup)
  return ((fn: AnyFunction, context?: ClassMethodDecoratorContext) => {
    called = false
    const cached = context === undefined ? inner(fn) : inner(fn, context)
    // A core whose memoize ignores the hook would silently cache in memory: refuse instead.
    if (!called) {
      void cached.engine.close()
      throw new ConfigurationError(`${wrapper} needs MemoizeSetup.createEngine in @twat-cache/core's wrap/memoize.ts; this build of core lacks it`)
    }
    return cached
  }) as Cacher
}

const SHARED_RANK = { process: 0, host: 1, network: 2 } as const

/**
 * The capabilities of two engines used together: what both can promise (the weaker ttl,
 * policies, structure), but where entries may outlive or leave the process, the wider of the
 * two. The wrappers read `persistent` and `shared` for safety: envelopes then get a ttl of
 * their own on every write, and decorated methods' keys a per-process token, which entries in
 * a disk tier need.
 */
export function combineCapabilities(a: EngineCapabilities, b: EngineCapabilities, mode: 'sync' | 'async'): EngineCapabilities {
  return {
    mode,
    persistent: a.persistent || b.persistent,
    shared: SHARED_RANK[a.shared] >= SHARED_RANK[b.shared] ? a.shared : b.shared,
    ttl: a.ttl === false || b.ttl === false ? false : a.ttl === 'native' && b.ttl === 'native' ? 'native' : 'emulated',
    policies: a.policies.filter((p) => b.policies.includes(p)),
    structured: a.structured && b.structured,
  }
}
