import { type CacheConfig, type CacheOptions, describeValue, readOptionFields } from '../config.js'
import { ConfigurationError } from '../errors.js'
import { warnOnce } from '../logger.js'
import { getEngine } from '../registry.js'
import type { ResultType } from './detect-type.js'
import { SIZE_THRESHOLDS } from './estimate-size.js'
import {
  ACCESS_PATTERN_POLICY,
  type AccessPattern,
  type Concurrency,
  type Plan,
  TYPE_PLANS,
  planForHints,
  resolvePlan,
  hintProblems,
  selectEngineForData,
  throwProblems,
  toConfig,
} from './select.js'

/** What the helpers need to know about the function the options are for. */
export interface FunctionHints {
  /** The function is async, so async engines (cacheable, redis) may be named. @default false */
  async?: boolean | undefined
}

const modeOf = (hints: FunctionHints | undefined) => (hints?.async ? 'any' : 'sync')

const wantsDisk = (config: CacheConfig) => config.useSql || config.folderName !== undefined || config.cacheDir !== undefined

/**
 * Merge, resolve the engine, and return options naming it. `preferredEngine` is folded into
 * `engine`, so the result never carries two disagreeing names.
 */
function finish(options: CacheOptions, engine: string): CacheOptions {
  const { preferredEngine: _, ...rest } = options
  return { ...rest, engine }
}

function configureWith(plan: Plan, defaults: CacheOptions, options: CacheOptions | undefined, hints: FunctionHints | undefined): CacheOptions {
  const merged: CacheOptions = { ...defaults, ...options }
  const config = toConfig(merged)
  // Disk settings (folderName, cacheDir, useSql) turn a memory plan into a persistent one, as in ucache.
  const chosen = plan.chain === 'memory' && wantsDisk(config) ? planForHints({}, config) : plan
  return finish(merged, resolvePlan(chosen, config, modeOf(hints)))
}

/**
 * Options for functions returning JSON: the mcache chain, or with `folderName`/`cacheDir`
 * the file chain (flat-cache keeps JSON natively). On an engine that serializes, values are
 * stored as JSON (`serializer: 'json'`) unless you set a serializer.
 */
export function configureForJson(options?: CacheOptions, hints?: FunctionHints): CacheOptions {
  const result = configureWith(TYPE_PLANS.json, {}, options, hints)
  const structured = getEngine(result.engine!)?.capabilities.structured ?? true
  return structured || result.serializer !== undefined ? result : { ...result, serializer: 'json' }
}

/**
 * Options for typed arrays, ArrayBuffers and Buffers (the seed's NumPy helper): a disk engine
 * (sqlite → flat-cache → the mcache chain, with a warning if no disk engine is installed) and
 * compression on (`compress: true`: gzip above 1 KiB).
 */
export function configureForBinary(options?: CacheOptions, hints?: FunctionHints): CacheOptions {
  return configureWith(TYPE_PLANS.binary, { compress: true }, options, hints)
}

/**
 * Options for images: a disk engine (sqlite → flat-cache → the mcache chain) and no
 * compression, since PNG, JPEG, GIF and WebP are compressed already.
 */
export function configureForImages(options?: CacheOptions, hints?: FunctionHints): CacheOptions {
  return configureWith(TYPE_PLANS.image, { compress: false }, options, hints)
}

/**
 * Options for results of a given type (see `detectResultType`); for a value, call
 * `configureForType(detectResultType(value))`. Your `options` are kept and win over the
 * helper's defaults; an `engine` in them is honoured (or falls back with a warning).
 */
export function configureForType(type: ResultType, options?: CacheOptions, hints?: FunctionHints): CacheOptions {
  switch (type) {
    case 'json':
      return configureForJson(options, hints)
    case 'binary':
      return configureForBinary(options, hints)
    case 'image':
      return configureForImages(options, hints)
    case 'primitive':
    case 'collection':
    case 'object':
      return configureWith(TYPE_PLANS[type], {}, options, hints)
    default:
      throw new ConfigurationError(`unknown result type '${String(type)}': use one of primitive, json, collection, binary, image, object`)
  }
}

/** Options of `hybridCache`: shared cache options, plus where small and large results go. */
export interface HybridCacheOptions extends CacheOptions {
  /** Results estimated (`estimateBytes`) below this many bytes go to the small-result engine. @default 1048576 (1 MiB) */
  sizeThreshold?: number | undefined
  /** Options for the small-result engine only, over the shared ones. Its engine defaults to the mcache chain. */
  small?: CacheOptions | undefined
  /**
   * Options for the large-result engine only, over the shared ones. Defaults: `compress: true`
   * (unless the shared options set `compress`) and sqlite → flat-cache (→ the mcache chain,
   * with a warning, if neither is installed).
   */
  large?: CacheOptions | undefined
}

/** `hybridCacheConfig`'s answer: both engines named; pass it to `hybridCache` as is. */
export interface ResolvedHybridOptions extends HybridCacheOptions {
  sizeThreshold: number
  small: CacheOptions & { engine: string }
  large: CacheOptions & { engine: string }
}

/** Split hybrid options into the shared cache options and the hybrid-only fields. */
export function splitHybridOptions(options: HybridCacheOptions = {}): { shared: CacheOptions; sizeThreshold: number; small: CacheOptions; large: CacheOptions } {
  const fields = readOptionFields(options, 'hybridCache options') as HybridCacheOptions
  const { sizeThreshold = SIZE_THRESHOLDS.large, ...shared } = fields
  delete shared.small
  delete shared.large
  const small = readOptionFields(fields.small, 'hybridCache small options') as CacheOptions
  const large = readOptionFields(fields.large, 'hybridCache large options') as CacheOptions
  const issues: string[] = []
  if (typeof sizeThreshold !== 'number' || !(sizeThreshold >= 0) || !Number.isFinite(sizeThreshold)) {
    issues.push(`sizeThreshold: expected a finite number of bytes ≥ 0 (e.g. 262144 for 256 KiB), got ${describeValue(sizeThreshold)}`)
  }
  if (shared.engine !== undefined || shared.preferredEngine !== undefined) {
    issues.push('engine: hybridCache takes one engine per tier: pass `small: { engine }` and `large: { engine }` instead of `engine`')
  }
  // Every bad field at once: the shared options as read by each tier (small:, large: prefixed).
  throwProblems('invalid hybridCache options', issues, { ...shared, ...small, engine: undefined, preferredEngine: undefined }, { ...shared, ...large, engine: undefined, preferredEngine: undefined })
  return { shared, sizeThreshold, small, large }
}

const SMALL_PLAN: Plan = TYPE_PLANS.json
const LARGE_PLAN: Plan = { chain: 'disk', want: ['sqlite', 'flat-cache'], need: 'keep large results out of memory' }

/**
 * Resolve `hybridCache`'s engines (the seed's `hybrid_cache_config`): small results to the
 * mcache chain, large ones to sqlite → flat-cache, each falling back like the chains do.
 * Only registered engines are named.
 */
export function hybridCacheConfig(options: HybridCacheOptions = {}, hints?: FunctionHints): ResolvedHybridOptions {
  const { shared, sizeThreshold, small, large } = splitHybridOptions(options)
  const mode = modeOf(hints)
  const smallOptions: CacheOptions = { ...shared, ...small }
  // Compression is the large tier's default, unless the shared options decide it for both.
  const largeDefaults: CacheOptions = shared.compress === undefined ? { compress: true } : {}
  const largeOptions: CacheOptions = { ...largeDefaults, ...shared, ...large }
  const smallEngine = resolvePlan(SMALL_PLAN, toConfig(smallOptions), mode)
  const largeEngine = resolvePlan(LARGE_PLAN, toConfig(largeOptions), mode)
  const { preferredEngine: _s, ...smallRest } = small
  const { preferredEngine: _l, ...largeRest } = large
  return {
    ...shared,
    sizeThreshold,
    small: { ...smallRest, engine: smallEngine },
    large: { ...largeDefaults, ...largeRest, engine: largeEngine },
  }
}

/**
 * One warning when `redis` was given to `hybridCache` or `smartCache` and the engines chosen
 * (`chosen`) do not include Redis: the option would otherwise do nothing, silently. Keyed by
 * the wrapper and the engines, not the function, so functions wrapped per request add nothing.
 */
export function warnRedisUnused(wrapper: 'hybridCache' | 'smartCache', redis: unknown, chosen: readonly string[], advice: string): void {
  if (redis === undefined || chosen.includes('redis')) return
  const engines = [...new Set(chosen)].map((name) => `'${name}'`).join(' and ')
  warnOnce(`${wrapper}:redis-unused:${engines}`, wrapper, `\`redis\` is set, but ${wrapper} chose ${engines}, so Redis is not used: ${advice}`)
}

/** Options of `smartCache` and `smartCacheConfig`: cache options plus the selection hints. */
export interface SmartCacheOptions extends CacheOptions {
  /** Entries must survive a restart. @default false */
  persistence?: boolean | undefined
  /** Steers the policy: `frequency` → lfu, `random` → rr, others → lru. */
  accessPattern?: AccessPattern | undefined
  /** Who must see the same entries. @default 'none' */
  concurrency?: Concurrency | undefined
}

/** Split smart options into cache options and hints. */
export function splitSmartOptions(options: SmartCacheOptions = {}): { cache: CacheOptions; persistence?: boolean | undefined; accessPattern?: AccessPattern | undefined; concurrency?: Concurrency | undefined } {
  const fields = readOptionFields(options, 'smartCache options') as SmartCacheOptions
  const { persistence, accessPattern, concurrency, ...cache } = fields
  throwProblems('invalid smartCache options', hintProblems(fields), cache)
  return { cache, persistence, accessPattern, concurrency }
}

/**
 * Options for a function from a typical result and hints (the seed's `smart_cache_config`,
 * which read return-type annotations; TypeScript has none at run time, so pass a `sample`).
 * The engine comes from `selectEngineForData`; an access pattern's policy is added when that
 * engine honours it and you set none.
 */
export function smartCacheConfig(input: SmartCacheOptions & { sample?: unknown } = {}, hints?: FunctionHints): CacheOptions {
  const options = readOptionFields(input, 'smartCacheConfig options') as SmartCacheOptions & { sample?: unknown }
  const { sample, ...rest } = options
  const { cache, persistence, accessPattern, concurrency } = splitSmartOptions(rest)
  const engine = selectEngineForData({
    ...('sample' in options ? { data: sample } : {}),
    persistence,
    accessPattern,
    concurrency,
    config: cache,
    async: hints?.async,
  })
  const result = finish(cache, engine)
  if (accessPattern === undefined || cache.policy !== undefined) return result
  const policy = ACCESS_PATTERN_POLICY[accessPattern]
  return getEngine(engine)?.capabilities.policies.includes(policy) ? { ...result, policy } : result
}
