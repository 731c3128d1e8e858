import {
  type AsyncCapabilities,
  type AsyncEngine,
  ConfigurationError,
  DEFAULT_MAXSIZE,
  EngineClosedError,
  EngineError,
  type EngineConfig,
  MISS,
  type SetOptions,
  checkSetTtl,
} from '@twat-cache/core'
import { Cacheable, createKeyv } from 'cacheable'
import { type CacheableEngineOptions, parseCacheableEngineOptions } from './options.js'
import { type Box, type SecondaryBridge, bridgeSecondary } from './secondary.js'

export { type CacheableEngineOptions, cacheableEngineOptionsSchema, parseCacheableEngineOptions } from './options.js'

/** The registered name of this engine. */
export const ENGINE_NAME = 'cacheable'

/** What the `cacheable` engine honours; the selector and the conformance suite read this object. */
export const CACHEABLE_CAPABILITIES: AsyncCapabilities = Object.freeze({
  mode: 'async',
  persistent: false,
  shared: 'process',
  // Expiry is kept by cacheable's stores (Keyv's `expires`, checked on read) on Date.now().
  ttl: 'native',
  // The in-memory primary is cacheable's LRU (`lruSize` = maxsize).
  policies: Object.freeze(['lru'] as const),
  structured: true,
  // cacheable bounds entries (lruSize), not bytes: the chains skip it when maxBytes is set.
  maxBytes: false,
})

/**
 * With a secondary store, `maxsize` bounds only the memory layer: an entry the primary evicted is
 * still served from the secondary, so no eviction policy holds for what `get` can return. Still
 * `structured`: `get` returns the object the primary holds (a secondary hit is decoded once, then
 * kept there), though values must be serializable to reach the secondary.
 */
const LAYERED_CAPABILITIES: AsyncCapabilities = Object.freeze({ ...CACHEABLE_CAPABILITIES, policies: Object.freeze([]) })

/**
 * What `createCacheableEngine` reads: an `EngineConfig` as the registry passes it, or just the
 * fields that matter here when you call the factory yourself.
 */
export type CacheableEngineConfig = Partial<
  Pick<EngineConfig, 'maxsize' | 'ttl' | 'policy' | 'namespace' | 'engineOptions' | 'compress' | 'serializer'>
>

/** The engine object: an `AsyncEngine` plus the `Cacheable` instance behind it, for inspection. */
export interface CacheableEngine extends AsyncEngine {
  readonly cache: Cacheable
}

/**
 * An engine on cacheable: async, an in-memory LRU primary of `maxsize` entries, per-entry TTL,
 * and optionally a secondary Keyv store behind it (`engineOptions: { secondary: keyv }`).
 *
 * ```ts
 * const engine = createCacheableEngine({ maxsize: 500, ttl: 60_000, namespace: 'users',
 *   engineOptions: { secondary: new Keyv(new KeyvRedis('redis://localhost')) } })
 * await engine.set('k', 42)
 * await engine.get('k') // 42; a miss resolves to MISS
 * ```
 */
export function createCacheableEngine(config: CacheableEngineConfig = {}): CacheableEngine {
  const maxsize = config.maxsize ?? DEFAULT_MAXSIZE
  checkConfig(config, maxsize)
  const options: CacheableEngineOptions = parseCacheableEngineOptions(config.engineOptions)
  const secondary = options.secondary
  const namespace = config.namespace ?? 'default'
  if (secondary && !secondary.namespace && secondary.useKeyPrefix !== false) {
    throw new ConfigurationError(
      `cacheable engine: the secondary Keyv has no namespace, so clear() could not find namespace '${namespace}' among its keys: create it with one, e.g. new Keyv({ store, namespace: 'cache' })`,
    )
  }

  // cacheable catches store errors and emits them instead of rejecting. Count them, and fail the
  // operation during which one arrived (see `settle`), so callers (and ucache) see the failure.
  let errors = 0
  let lastError: unknown
  const onError = (error: unknown): void => {
    errors++
    lastError = error
  }
  const fail = (op: string, error: unknown): EngineError => {
    const reason = error instanceof Error ? error.message : String(error)
    return new EngineError(`[twat-cache:cacheable] ${op} failed: ${reason}`, { cause: error })
  }
  const settle = (op: string, before: number): void => {
    if (errors !== before) throw fail(op, lastError)
  }

  // With a secondary shared by several cached functions, keys carry the namespace. Without one,
  // the primary is this engine's alone and keys go in as they are; values are boxed only then
  // too (Box), since the primary's raw entry already tells a cached `undefined` from a miss.
  const prefix = secondary ? `${namespace}:` : ''
  const keyOf = secondary ? (key: string) => prefix + key : (key: string) => key
  const bridge: SecondaryBridge | undefined = secondary
    ? bridgeSecondary(secondary, { prefix, namespace, compress: config.compress ?? false, serializer: config.serializer, onError })
    : undefined

  const primary = createKeyv({
    lruSize: maxsize,
    // Live values, like the other memory engines (cacheable would structuredClone on each read).
    useClone: false,
    // One Map instead of 16 hashed shards: skips a key hash per operation; shards only matter
    // beyond Map's 16.7M-entry limit, far above any maxsize.
    storeHashSize: 1,
    // No sweep timer: expired entries are dropped when read, listed or evicted.
    checkInterval: 0,
  })
  const cache = new Cacheable({
    primary,
    ...(bridge ? { secondary: bridge.keyv } : {}),
    ...(config.ttl === undefined ? {} : { ttl: config.ttl }),
    nonBlocking: options.nonBlocking ?? false,
  })

  cache.on('error', onError)
  const memory = () => (primary.store as { store: { keys: Iterable<string> } }).store

  let closed = false
  const open = (): void => {
    if (closed) throw new EngineClosedError(ENGINE_NAME)
  }
  const close = async (): Promise<void> => {
    if (closed) return
    closed = true
    // The primary is ours; the secondary belongs to the caller, who may share it: not disconnected.
    bridge?.close()
    await primary.clear()
    await primary.disconnect()
  }

  return {
    name: ENGINE_NAME,
    capabilities: secondary ? LAYERED_CAPABILITIES : CACHEABLE_CAPABILITIES,
    cache,
    async get(key: string): Promise<unknown> {
      open()
      const before = errors
      let raw: { value?: unknown } | undefined
      try {
        raw = await cache.getRaw(keyOf(key))
      } catch (error) {
        throw fail('get', error)
      }
      settle('get', before)
      if (raw === undefined || raw === null) return MISS
      return secondary ? (raw.value as Box | undefined)?.v : raw.value
    },
    async set(key: string, value: unknown, setOptions?: SetOptions): Promise<void> {
      open()
      const ttl = checkSetTtl(ENGINE_NAME, setOptions?.ttl)
      const before = errors
      try {
        if (ttl !== undefined && ttl <= 0) {
          // Expires at once: remove what is there rather than store it.
          await cache.delete(keyOf(key))
        } else {
          const stored = secondary ? ({ v: value } satisfies Box) : value
          await cache.set(keyOf(key), stored, ttl)
        }
      } catch (error) {
        throw fail('set', error)
      }
      settle('set', before)
    },
    async delete(key: string): Promise<boolean> {
      open()
      const before = errors
      let present: boolean
      try {
        // cacheable's delete reports true whether or not the key was there.
        present = await cache.has(keyOf(key))
        if (present) await cache.delete(keyOf(key))
      } catch (error) {
        throw fail('delete', error)
      }
      settle('delete', before)
      return present
    },
    async clear(): Promise<void> {
      open()
      const before = errors
      try {
        // Not cache.clear(): that would empty the whole secondary, every namespace in it.
        await primary.clear()
        if (bridge) await bridge.clear()
      } catch (error) {
        throw error instanceof EngineError ? error : fail('clear', error)
      }
      settle('clear', before)
    },
    close,
    async has(key: string): Promise<boolean> {
      open()
      const before = errors
      let present: boolean
      try {
        present = await cache.has(keyOf(key))
      } catch (error) {
        throw fail('has', error)
      }
      settle('has', before)
      return present
    },
    /** Entries held in memory by this engine (the secondary may hold more). */
    async size(): Promise<number> {
      open()
      let n = 0
      // cacheable's `keys` drops expired entries as it lists them.
      for (const _ of memory().keys) n++
      return n
    },
    /** Keys held in memory by this engine. */
    async *keys(): AsyncIterable<string> {
      open()
      for (const key of [...memory().keys]) yield key.slice(prefix.length)
    },
    [Symbol.asyncDispose]: close,
  }
}

function checkConfig(config: CacheableEngineConfig, maxsize: number): void {
  const problems: string[] = []
  if (!Number.isInteger(maxsize) || maxsize < 1 || maxsize > 16_777_216) {
    problems.push(`maxsize must be a whole number from 1 to 16777216 (cacheable's limit), got ${String(maxsize)}`)
  }
  if (config.ttl !== undefined && !(config.ttl > 0 && Number.isFinite(config.ttl))) {
    problems.push(`ttl must be a positive number of milliseconds, got ${String(config.ttl)}`)
  }
  if (config.policy !== undefined && !CACHEABLE_CAPABILITIES.policies.includes(config.policy)) {
    problems.push(`the cacheable engine only evicts least-recently-used entries, so policy '${config.policy}' cannot be honoured: use policy 'lru', or the memory engine for '${config.policy}'`)
  }
  if (problems.length > 0) {
    throw new ConfigurationError(`invalid cacheable engine config:\n${problems.map((p) => `  - ${p}`).join('\n')}`, { issues: problems })
  }
}
