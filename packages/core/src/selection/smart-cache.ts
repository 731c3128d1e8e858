import { createCacheConfig, readOptionFields } from '../config.js'
import { selectEngine } from '../registry.js'
import { type AsyncEngine, type Engine, type EngineCapabilities, MISS, type SyncEngine } from '../types.js'
import { engineView } from '../wrap/freshness.js'
import type { Cacher } from '../wrap/memoize.js'
import { type SmartCacheOptions, smartCacheConfig, splitSmartOptions, warnRedisUnused } from './configure.js'
import { cacherWithEngine } from './engine-hook.js'

/**
 * Before the first result. The wrappers read `persistent` and `shared` once, when the function
 * is wrapped, and the engine chosen later may be on disk: so envelopes get a ttl of their own
 * on every write, and decorated methods' keys a per-process token, whatever is chosen.
 */
const UNDECIDED: Omit<EngineCapabilities, 'mode'> = {
  persistent: true,
  shared: 'process',
  ttl: 'emulated',
  policies: ['lru', 'lfu', 'fifo', 'rr'],
  structured: true,
}

/**
 * An engine that does not exist until the first value is written: `choose(value)` then
 * creates the real one, which serves every later call. Before that, reads miss. Its
 * `name` and `capabilities` are the chosen engine's (keeping `mode`).
 */
export function createDeferredEngine(mode: 'sync' | 'async', choose: (firstValue: unknown) => Engine): Engine {
  let chosen: Engine | undefined
  const base = {
    get name(): string {
      return chosen?.name ?? 'smart (undecided)'
    },
    get capabilities() {
      return { ...(chosen?.capabilities ?? UNDECIDED), mode } as never
    },
  }
  if (mode === 'sync') {
    // Only sync engines are chosen for a sync façade (smartCache passes mode 'sync').
    const current = () => chosen as SyncEngine | undefined
    const engine: SyncEngine = Object.defineProperties(
      {
        get: (key: string) => {
          // Not `?? MISS`: a cached null or undefined is a hit.
          const engine = current()
          return engine ? engine.get(key) : MISS
        },
        set: (key: string, value: unknown, options?: { ttl?: number | undefined }) => {
          chosen ??= choose(value)
          ;(chosen as SyncEngine).set(key, value, options)
        },
        delete: (key: string) => current()?.delete(key) ?? false,
        clear: () => current()?.clear(),
        close: () => current()?.close(),
        size: () => current()?.size?.() ?? 0,
        [Symbol.dispose]: () => current()?.close(),
        [Symbol.asyncDispose]: async () => current()?.close(),
      },
      Object.getOwnPropertyDescriptors(base),
    ) as SyncEngine
    return engine
  }
  const engine: AsyncEngine = Object.defineProperties(
    {
      get: async (key: string) => (chosen ? chosen.get(key) : MISS),
      set: async (key: string, value: unknown, options?: { ttl?: number | undefined }) => {
        chosen ??= choose(value)
        await chosen.set(key, value, options)
      },
      delete: async (key: string) => (chosen ? chosen.delete(key) : false),
      clear: async () => {
        await chosen?.clear()
      },
      close: async () => {
        await chosen?.close()
      },
      [Symbol.asyncDispose]: async () => {
        await chosen?.close()
      },
    },
    Object.getOwnPropertyDescriptors(base),
  ) as AsyncEngine
  return engine
}

/**
 * Memoize, choosing the engine from the first result (the seed's `smart_cache`): its type
 * and size go through `selectEngineForData` with your hints (`persistence`, `accessPattern`,
 * `concurrency`), and that engine then serves the function for good. Until the first result
 * exists nothing is cached, so in each process the first call runs the function even when a
 * persistent engine holds its result from an earlier run.
 *
 * ```ts
 * const render = smartCache({ ttl: '1h' })(renderThumbnail) // Uint8Array PNG → sqlite
 * ```
 */
export function smartCache(input: SmartCacheOptions = {}): Cacher {
  // Read once: the fields are used again when each function is wrapped.
  const options = readOptionFields(input, 'smartCache options') as SmartCacheOptions
  const { cache } = splitSmartOptions(options)
  return cacherWithEngine(
    cache,
    (_config, namespace, mode) =>
      createDeferredEngine(mode === 'sync' ? 'sync' : 'async', (first) => {
        // engineView: with envelopes the engine gets no default ttl (as the wrappers open one).
        const chosen = engineView(createCacheConfig(smartCacheConfig({ ...options, sample: first }, { async: mode === 'any' })))
        const engine = selectEngine(chosen, { mode }).create({ ...chosen, namespace })
        warnRedisUnused(
          'smartCache',
          cache.redis,
          [engine.name],
          "smartCache picks Redis for an async function with `concurrency: 'distributed'` (or another sharing or persistence hint no installed local engine meets); for Redis always, cache with acache({ engine: 'redis' })",
        )
        return engine
      }),
    'smartCache',
  )
}
