import { type CacheConfig, type CacheOptions, createCacheConfig, describeValue, readOptionFields } from '../config.js'
import { ConfigurationError, configurationProblems } from '../errors.js'
import { warnOnce } from '../logger.js'
import { CHAINS, type ChainName, enginePackage, getEngine, selectEngine } from '../registry.js'
import type { EngineCapabilities, Policy } from '../types.js'
import { type ResultType, detectResultType } from './detect-type.js'
import { SIZE_THRESHOLDS, estimateBytes } from './estimate-size.js'

/** How the cached function is called; steers the eviction policy (the seed's access patterns). */
export type AccessPattern = 'read_heavy' | 'write_heavy' | 'balanced' | 'temporal' | 'frequency' | 'random'

/** Who must see the same entries. Worker threads share no memory, so `thread` needs what `process` needs. */
export type Concurrency = 'none' | 'thread' | 'process' | 'distributed'

export interface SelectionOptions {
  /**
   * Options the engine will run with: an `engine` is honoured first (with the registry's
   * fallback and warning), `policy` must be supported, `redis` makes Redis a candidate, and
   * `useSql` / `folderName` / `cacheDir` ask for a disk engine as `ucache` reads them.
   */
  config?: CacheOptions | undefined
  /**
   * The cached function is async, so async engines (cacheable, redis) may serve it. Left
   * `false`, only sync engines are named: they serve sync and async functions alike.
   * @default false
   */
  async?: boolean | undefined
}

/** What `selectEngineForData` weighs; every field is optional. */
export interface DataHints extends SelectionOptions {
  /** A typical result: its type and estimated size count. */
  data?: unknown
  /** Entries must survive a restart. @default false */
  persistence?: boolean | undefined
  /** Picks the eviction policy: `frequency` → lfu, `random` → rr, others → lru. */
  accessPattern?: AccessPattern | undefined
  /** @default 'none' */
  concurrency?: Concurrency | undefined
}

/** The policy each access pattern asks for (a preference: dropped if no candidate honours it). */
export const ACCESS_PATTERN_POLICY: Readonly<Record<AccessPattern, Policy>> = {
  read_heavy: 'lru',
  write_heavy: 'lru',
  balanced: 'lru',
  temporal: 'lru',
  frequency: 'lfu',
  random: 'rr',
}

/** One line of the decision tables: which engines meet a need, and what to say if none does. */
export interface Plan {
  /** Chain named when an explicit `engine` falls back (the registry's chains). */
  readonly chain: ChainName
  /** Candidates that meet the need, best first. */
  readonly want: readonly string[]
  /** A capability the need requires, on top of the registry's own rules (mode, policy). */
  readonly accept?: ((caps: EngineCapabilities) => boolean) | undefined
  /** Completes "no installed engine can …" in the warning; absent: falling back is silent. */
  readonly need?: string | undefined
}

const MEMORY: Plan = { chain: 'memory', want: CHAINS.memory }
const DISK: Plan = { chain: 'disk', want: ['sqlite', 'flat-cache'], need: 'keep large data out of memory' }
const STRUCTURED: Plan = { chain: 'memory', want: CHAINS.memory, accept: (c) => c.structured }

/** The plan each result type gets (the type → engine table of docs/guide/selection.md). */
export const TYPE_PLANS: Readonly<Record<ResultType, Plan>> = {
  primitive: MEMORY,
  json: MEMORY,
  collection: MEMORY,
  // Serializing drops prototypes and identity: only an engine that keeps live values is faithful.
  object: STRUCTURED,
  binary: { ...DISK, need: 'store binary data on disk' },
  image: { ...DISK, need: 'store images on disk' },
}

const CONCURRENCY: readonly Concurrency[] = ['none', 'thread', 'process', 'distributed']

/** The problems of the selection hints (`persistence`, `accessPattern`, `concurrency`, `async`), one line per bad field. */
export function hintProblems(hints: { readonly [field: string]: unknown } | DataHints): string[] {
  const h = hints as Record<string, unknown>
  const issues: string[] = []
  for (const field of ['persistence', 'async'] as const) {
    const v = h[field]
    if (v !== undefined && typeof v !== 'boolean') issues.push(`${field}: expected true or false, got ${describeValue(v)}`)
  }
  const pattern = h.accessPattern
  if (pattern !== undefined && !(typeof pattern === 'string' && Object.hasOwn(ACCESS_PATTERN_POLICY, pattern))) {
    issues.push(`accessPattern: expected one of ${Object.keys(ACCESS_PATTERN_POLICY).join(', ')}, got ${describeValue(pattern)}`)
  }
  const concurrency = h.concurrency
  if (concurrency !== undefined && !CONCURRENCY.includes(concurrency as Concurrency)) {
    issues.push(`concurrency: expected one of ${CONCURRENCY.join(', ')}, got ${describeValue(concurrency)}`)
  }
  return issues
}

/**
 * Validate `options` as cache options too, and throw one `ConfigurationError` listing `issues`
 * and every bad cache option together (rather than the first group alone).
 */
export function throwProblems(heading: string, issues: string[], ...options: (CacheOptions | undefined)[]): void {
  for (const o of options) {
    try {
      createCacheConfig(o ?? {})
    } catch (error) {
      if (!(error instanceof ConfigurationError)) throw error
      issues.push(...error.issues)
    }
  }
  if (issues.length > 0) throw configurationProblems(heading, [...new Set(issues)])
}

const withRedis = (names: readonly string[], on: boolean) => (on ? [...names, 'redis'] : names)

/** Options → validated config; accepts what the wrappers accept. */
export function toConfig(options: CacheOptions | undefined): CacheConfig {
  return createCacheConfig(options ?? {})
}

/**
 * Whether the registry would let `name` serve this config and mode. Asks `selectEngine`
 * itself, so the answer can never drift from what the wrappers will accept.
 */
function fits(name: string, config: CacheConfig, mode: 'sync' | 'any', accept: Plan['accept']): boolean {
  const definition = getEngine(name)
  if (!definition) return false
  if (name === 'redis' && !config.redis) return false
  if (accept && !accept(definition.capabilities)) return false
  try {
    selectEngine({ ...config, engine: name }, { mode })
    return true
  } catch (error) {
    if (error instanceof ConfigurationError) return false
    throw error
  }
}

function firstFit(names: readonly string[], config: CacheConfig, mode: 'sync' | 'any', accept: Plan['accept']): string | undefined {
  return names.find((name) => fits(name, config, mode, accept))
}

/**
 * Resolve a plan to a registered engine name. An explicit `config.engine` wins (through
 * `selectEngine`, which warns and falls back along `plan.chain`). Else the first candidate that
 * fits, trying `preferPolicy` before the configured policy; if none fits, the mcache chain,
 * with one warning when the plan expressed a need.
 */
export function resolvePlan(plan: Plan, config: CacheConfig, mode: 'sync' | 'any', preferPolicy?: Policy): string {
  if (config.engine !== undefined) return selectEngine(config, { chain: plan.chain, mode }).name
  if (preferPolicy !== undefined && preferPolicy !== config.policy) {
    const found = firstFit(plan.want, { ...config, policy: preferPolicy }, mode, plan.accept)
    if (found) return found
  }
  const found = firstFit(plan.want, config, mode, plan.accept)
  if (found) return found
  // The built-in memory engine is sync, structured and supports every policy: this always finds one.
  const fallback = firstFit(CHAINS.memory, config, mode, undefined) ?? 'memory'
  if (plan.need !== undefined) warnNeed(plan, fallback)
  return fallback
}

function warnNeed(plan: Plan, used: string): void {
  const head = plan.want[0]!
  const pkg = enginePackage(head)
  const fix = getEngine(head) ? `the registered candidates (${plan.want.join(', ')}) do not fit these options` : `run \`pnpm add ${pkg}\` and \`import '${pkg}'\``
  warnOnce(`selection:${plan.need}:${used}`, 'select', `no installed engine can ${plan.need}: ${fix}; using '${used}' instead`)
}

/**
 * The engine for a value's type (the type → engine table): memory engines for primitives,
 * JSON and collections, a structured memory engine for other objects, sqlite → flat-cache for
 * binary data and images. Always a registered engine name.
 */
export function getTypeBasedEngine(value: unknown, input: SelectionOptions = {}): string {
  const options = readOptionFields(input, 'getTypeBasedEngine options') as SelectionOptions
  throwProblems('invalid getTypeBasedEngine options', hintProblems({ async: options.async }), options.config)
  return resolvePlan(TYPE_PLANS[detectResultType(value)], toConfig(options.config), options.async ? 'any' : 'sync')
}

/** Which plan the hints call for (first match of the hints → engine table). */
export function planForHints(hints: DataHints, config: CacheConfig): Plan {
  const canRedis = hints.async === true && config.redis !== undefined && getEngine('redis') !== undefined
  const concurrency = hints.concurrency ?? 'none'
  if (concurrency === 'distributed' && canRedis) {
    return { chain: 'async', want: ['redis'], need: 'share entries across machines (Redis)' }
  }
  if (concurrency === 'distributed') {
    // Asked for more than any local engine gives: say so even when sqlite is there.
    warnOnce(
      'selection:distributed',
      'select',
      "concurrency 'distributed' needs Redis: configure `redis`, `import '@twat-cache/redis'` and cache an async function; sharing between processes on this host only",
    )
  }
  if (concurrency !== 'none') {
    return {
      chain: 'disk',
      want: withRedis(['sqlite'], canRedis),
      accept: (c) => c.shared !== 'process',
      need: 'share entries between processes',
    }
  }
  if (hints.persistence === true || config.useSql || config.folderName !== undefined || config.cacheDir !== undefined) {
    const file = !config.useSql && (config.folderName !== undefined || config.cacheDir !== undefined)
    return {
      chain: file ? 'file' : 'disk',
      want: withRedis(file ? ['flat-cache', 'sqlite'] : ['sqlite', 'flat-cache'], canRedis),
      accept: (c) => c.persistent,
      need: 'keep entries across restarts',
    }
  }
  if (!('data' in hints)) return MEMORY
  const type = detectResultType(hints.data)
  const bytes = estimateBytes(hints.data, { limit: SIZE_THRESHOLDS.large })
  // Class instances stay in memory even when large: on disk they would come back as plain objects.
  if (type === 'object') return STRUCTURED
  if (bytes >= SIZE_THRESHOLDS.large) return DISK
  // Binary results and images go to disk from 10 KiB up; a hash digest stays in memory.
  if ((type === 'binary' || type === 'image') && bytes >= SIZE_THRESHOLDS.medium) return TYPE_PLANS[type]
  return MEMORY
}

/**
 * Choose an engine from the data and the hints (the seed's `select_backend_for_data`),
 * first match wins:
 * 1. `config.engine` (installed, else the registry's fallback with its warning);
 * 2. `concurrency: 'distributed'` → redis (async function with `redis` configured);
 * 3. any other concurrency → an engine shared between processes (sqlite, or redis);
 * 4. `persistence`, `useSql`, `folderName`, `cacheDir` → a persistent engine;
 * 5. class instances and other non-plain objects → a structured memory engine;
 * 6. data of 1 MiB or more, or binary/images of 10 KiB or more → sqlite → flat-cache;
 * 7. otherwise the mcache chain.
 * `accessPattern` then prefers an engine honouring its policy. When a need cannot be met,
 * one warning says what to install and the mcache chain is used. Always a registered name.
 */
export function selectEngineForData(input: DataHints = {}): string {
  const hints = readOptionFields(input, 'selectEngineForData hints') as DataHints
  throwProblems('invalid selectEngineForData hints', hintProblems(hints), hints.config)
  const config = toConfig(hints.config)
  const plan = planForHints(hints, config)
  const prefer = hints.accessPattern === undefined || hints.config?.policy !== undefined ? undefined : ACCESS_PATTERN_POLICY[hints.accessPattern]
  return resolvePlan(plan, config, hints.async ? 'any' : 'sync', prefer)
}
