import type { CacheConfig, CacheOptions } from '../config.js'
import { warnOnce } from '../logger.js'
import type { EngineNeeds } from '../registry.js'
import type { EngineDefinition } from '../types.js'
import { TIERS as tiers } from '../tiers/index.js'
import { degrading, reopening } from './degrade.js'
import { type AnyFunction, type AsyncFunction, type Cacher, isAsyncFunction, makeCacher } from './memoize.js'

/**
 * Memoize in memory. Chain: your `engine` → lru → node-cache → cacheable → built-in memory.
 *
 * ```ts
 * const area = mcache({ maxsize: 100, ttl: '10m' })((w: number, h: number) => w * h)
 * ```
 */
export function mcache(options?: CacheOptions): Cacher {
  return makeCacher(options, { name: 'mcache', needs: { chain: 'memory' }, chosen: warnIfStorageUnused })
}

/** mcache on a process-local engine says once that the disk and Redis options it was given do nothing. */
function warnIfStorageUnused(definition: EngineDefinition<unknown>, _needs: EngineNeeds, config: CacheConfig): void {
  if (definition.capabilities.persistent || definition.capabilities.shared !== 'process') return
  const unused = (['folderName', 'cacheDir', 'useSql', 'redis'] as const).filter((field) => config[field] !== undefined && config[field] !== false)
  if (unused.length > 0) {
    warnOnce(`mcache-storage:${unused}`, 'mcache', `mcache keeps entries in memory ('${definition.name}'), so ${unused.join(', ')} do nothing: use bcache or fcache to cache on disk, acache or ucache for Redis`)
  }
}

/** Memoize on disk, SQLite first. Chain: `engine` → sqlite → flat-cache → the mcache chain. */
export function bcache(options?: CacheOptions): Cacher {
  return makeCacher(options, { name: 'bcache', needs: { chain: 'disk' }, chosen: warnIfNotPersistent('bcache'), tiers })
}

/** Memoize in files. Chain: `engine` → flat-cache → sqlite → the mcache chain. */
export function fcache(options?: CacheOptions): Cacher {
  return makeCacher(options, { name: 'fcache', needs: { chain: 'file' }, chosen: warnIfNotPersistent('fcache'), tiers })
}

/**
 * Memoize an async function. Chain: `engine` → cacheable → redis (if `redis` is configured) →
 * the mcache chain. Concurrent calls share one in-flight promise; rejections are never cached.
 */
export function acache(options?: CacheOptions): Cacher<AsyncFunction> {
  return makeCacher(options, { name: 'acache', needs: { chain: 'async' }, tiers })
}

/**
 * Memoize anything, choosing the engine from the options and the function, and keep working if
 * the engine fails at run time (the function runs uncached; one warning per failure episode;
 * the engine is retried later).
 */
export function ucache(options?: CacheOptions): Cacher {
  return makeCacher(options, { name: 'ucache', needs: { chain: 'memory' }, steps: [degrading], reopen: reopening, chooseNeeds: universalNeeds, chosen: warnIfNotPersistent('ucache'), tiers })
}

/** ucache's choice: redis settings → redis; disk settings → the bcache/fcache chain; async → acache. */
export function universalNeeds(config: CacheConfig, fn: AnyFunction): EngineNeeds {
  const asyncFn = isAsyncFunction(fn)
  const disk: EngineNeeds | undefined = config.useSql
    ? { chain: 'disk' }
    : config.folderName !== undefined || config.cacheDir !== undefined
      ? { chain: 'file' }
      : undefined
  if (config.redis && config.engine === undefined) {
    if (asyncFn) return { chain: 'shared' }
    warnOnce(
      `ucache-redis-sync:${fn.name}`,
      'ucache',
      `'${fn.name || 'anonymous'}' is a sync function, so it cannot use Redis (which is async); caching it ${disk ? 'on disk' : 'in memory'} instead. Make it async to share it through Redis.`,
    )
  }
  if (disk) return disk
  return { chain: asyncFn ? 'async' : 'memory' }
}

/**
 * Wrappers meant to persist say once, per wrapper kind, when no disk engine is installed and
 * the chain ended in memory: nothing else would tell the user their cache dies with the process.
 */
function warnIfNotPersistent(wrapper: string) {
  return (definition: EngineDefinition<unknown>, needs: EngineNeeds, config: CacheConfig): void => {
    // An engine named in the options was asked for: nothing to warn about.
    if ((needs.chain === 'disk' || needs.chain === 'file') && !definition.capabilities.persistent && config.engine !== definition.name) {
      warnOnce(
        `no-disk:${wrapper}`,
        wrapper,
        `no disk engine is installed (or usable here), so results are cached in memory ('${definition.name}') and will not survive a restart: run \`pnpm add @twat-cache/sqlite\` (or @twat-cache/flat-cache) and import it`,
      )
    }
  }
}
