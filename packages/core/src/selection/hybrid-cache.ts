import { type CacheOptions, createCacheConfig, readOptionFields } from '../config.js'
import { selectEngine } from '../registry.js'
import { type AsyncEngine, type Engine, MISS, type SyncCapabilities, type AsyncCapabilities, type SyncEngine } from '../types.js'
import { engineView } from '../wrap/freshness.js'
import type { Cacher } from '../wrap/memoize.js'
import { type HybridCacheOptions, hybridCacheConfig, splitHybridOptions, warnRedisUnused } from './configure.js'
import { cacherWithEngine, combineCapabilities } from './engine-hook.js'
import { estimateBytes } from './estimate-size.js'

/**
 * One engine made of two: values estimated below `sizeThreshold` bytes are written to
 * `small`, the others to `large`; reads try `small` first, then `large`. Sync when both are.
 *
 * A key lives in one tier only: `set` also deletes it from the other tier. A write does not
 * always follow a miss of both (`cacheRefresh`, stale-while-revalidate refreshes write over a
 * live entry), and a result that changed size would otherwise leave its old value in the tier
 * it left: read first from `small`, or surfacing from `large` once `small` evicts the key.
 */
export function createHybridEngine(small: Engine, large: Engine, sizeThreshold: number): Engine {
  const engine = hybridOf(small, large, sizeThreshold)
  // Tag state lives in the tier that keeps it store-wide (the disk one): entries of both tiers
  // are checked against it, so another process's invalidateTags reaches them too.
  const keeper = [large, small].find((tier) => tier.capabilities.tags)
  if (keeper === undefined) return engine
  const methods = keeper as unknown as Record<'readTags' | 'markTags' | 'keepTags', (...args: never[]) => unknown>
  return Object.assign(engine, {
    capabilities: Object.freeze({ ...engine.capabilities, tags: true }),
    readTags: methods.readTags.bind(keeper),
    markTags: methods.markTags.bind(keeper),
    keepTags: methods.keepTags.bind(keeper),
  })
}

function hybridOf(small: Engine, large: Engine, sizeThreshold: number): Engine {
  const name = `hybrid(${small.name}+${large.name})`
  const fitsSmall = (value: unknown) => estimateBytes(value, { limit: sizeThreshold }) < sizeThreshold
  if (small.capabilities.mode === 'sync' && large.capabilities.mode === 'sync') {
    const s = small as SyncEngine
    const l = large as SyncEngine
    const engine: SyncEngine = {
      name,
      capabilities: combineCapabilities(s.capabilities, l.capabilities, 'sync') as SyncCapabilities,
      get: (key) => {
        const hit = s.get(key)
        return hit === MISS ? l.get(key) : hit
      },
      set: (key, value, options) => {
        const [to, from] = fitsSmall(value) ? [s, l] : [l, s]
        from.delete(key)
        to.set(key, value, options)
      },
      delete: (key) => {
        const a = s.delete(key)
        const b = l.delete(key)
        return a || b
      },
      clear: () => {
        s.clear()
        l.clear()
      },
      close: () => {
        try {
          s.close()
        } finally {
          l.close()
        }
      },
      size: () => (s.size?.() ?? 0) + (l.size?.() ?? 0),
      [Symbol.dispose]: () => engine.close(),
      [Symbol.asyncDispose]: async () => engine.close(),
    }
    return engine
  }
  const engine: AsyncEngine = {
    name,
    capabilities: combineCapabilities(small.capabilities, large.capabilities, 'async') as AsyncCapabilities,
    get: async (key) => {
      const hit = await small.get(key)
      return hit === MISS ? large.get(key) : hit
    },
    set: async (key, value, options) => {
      const [to, from] = fitsSmall(value) ? [small, large] : [large, small]
      await Promise.all([from.delete(key), to.set(key, value, options)])
    },
    delete: async (key) => {
      const [a, b] = await Promise.all([small.delete(key), large.delete(key)])
      return a || b
    },
    clear: async () => {
      await Promise.all([small.clear(), large.clear()])
    },
    size: async () => {
      const [a, b] = await Promise.all([small.size?.() ?? 0, large.size?.() ?? 0])
      return a + b
    },
    close: async () => {
      await Promise.allSettled([small.close(), large.close()]).then((results) => {
        const failed = results.find((r) => r.status === 'rejected')
        if (failed) throw failed.reason
      })
    },
    [Symbol.asyncDispose]: () => engine.close(),
  }
  return engine
}

function createTier(options: CacheOptions, namespace: string, mode: 'sync' | 'any'): Engine {
  // As the wrappers open an engine: with envelopes (a stale window, tags) the envelope says
  // when an entry dies, so a tier's default ttl would drop it before its stale window.
  const config = engineView(createCacheConfig(options))
  return selectEngine(config, { mode }).create({ ...config, namespace })
}

/**
 * Memoize with results sorted by size (the seed's `hybrid_cache`): results estimated below
 * `sizeThreshold` (default 1 MiB) go to a memory engine, larger ones to a disk engine
 * (sqlite → flat-cache, or the mcache chain with a warning if neither is installed); a call
 * finds its result in either. Same shape as `mcache`: a function wrapper or a method
 * decorator; sync functions stay sync when both engines are sync.
 *
 * ```ts
 * const load = hybridCache({ sizeThreshold: 256 * 1024, large: { folderName: 'tiles' } })(loadTile)
 * ```
 */
export function hybridCache(input: HybridCacheOptions = {}): Cacher {
  // Read once: the fields are used again when each function is wrapped.
  const options = readOptionFields(input, 'hybridCache options') as HybridCacheOptions
  const { shared, sizeThreshold, small, large } = splitHybridOptions(options)
  // Fail where the options are written, not at the first wrap.
  createCacheConfig({ ...shared, ...small })
  createCacheConfig({ ...shared, ...large })
  return cacherWithEngine(
    shared,
    (_config, namespace, mode) => {
      const resolved = hybridCacheConfig(options, { async: mode === 'any' })
      const smallOptions = { ...shared, ...resolved.small }
      const redis = resolved.small.redis ?? resolved.large.redis ?? shared.redis
      warnRedisUnused('hybridCache', redis, [resolved.small.engine, resolved.large.engine], "name it for a tier (`large: { engine: 'redis' }`), or cache with acache({ engine: 'redis' })")
      if (resolved.small.engine === resolved.large.engine) {
        // No disk engine (or the same engine asked for twice): one engine holds everything.
        return createTier(smallOptions, namespace, mode)
      }
      const smallEngine = createTier(smallOptions, namespace, mode)
      try {
        return createHybridEngine(smallEngine, createTier({ ...shared, ...resolved.large }, namespace, mode), sizeThreshold)
      } catch (error) {
        void smallEngine.close()
        throw error
      }
    },
    'hybridCache',
  )
}
