import { type CacheConfig, type CacheOptions, type EngineConfig, closest, createCacheConfig } from './config.js'
import { ConfigurationError, EngineNotAvailableError } from './errors.js'
import { warnOnce } from './logger.js'
import { memoryEngineDefinition } from './memory/definition.js'
import type { Engine, EngineDefinition } from './types.js'

/**
 * One registry per realm, on a global symbol: two copies of core in one node_modules (a
 * duplicated dependency) still see the engines registered through either copy.
 */
const REGISTRY_KEY = Symbol.for('twat-cache.registry')
type Registry = Map<string, EngineDefinition<never>>

function registry(): Registry {
  const holder = globalThis as { [REGISTRY_KEY]?: Registry }
  return (holder[REGISTRY_KEY] ??= new Map())
}

const MEMORY_CHAIN = ['lru', 'node-cache', 'cacheable', 'memory'] as const
/** Fallback chains of ARCHITECTURE.md §3, best first. */
export const CHAINS = {
  memory: MEMORY_CHAIN,
  disk: ['sqlite', 'flat-cache', ...MEMORY_CHAIN],
  file: ['flat-cache', 'sqlite', ...MEMORY_CHAIN],
  async: ['cacheable', 'redis', 'idb', 'cloudflare-kv', ...MEMORY_CHAIN],
  /** ucache with Redis settings: Redis first, then what acache would use. */
  shared: ['redis', 'cacheable', ...MEMORY_CHAIN],
} as const satisfies Record<string, readonly string[]>
export type ChainName = keyof typeof CHAINS

/**
 * Engines twat-cache knows by name, and the package that provides each (named in fallback
 * warnings and "did you mean" hints). Naming one that is not installed falls back with a
 * warning; any other unregistered name is an error.
 */
const KNOWN = [...CHAINS.disk, 'redis', 'idb', 'cloudflare-kv']

/** The package that provides an engine twat-cache knows, or `undefined` for other names. */
export const enginePackage = (name: string): string | undefined =>
  name === 'memory' ? '@twat-cache/core' : KNOWN.includes(name) ? `@twat-cache/${name === 'cloudflare-kv' ? 'cloudflare' : name}` : undefined

/**
 * `EngineNotAvailableError` for a name that is neither registered nor known, with the closest
 * registered or known name as a hint; `undefined` when the name is fine.
 */
export function unknownEngine(name: string): EngineNotAvailableError | undefined {
  if (getEngine(name) || enginePackage(name)) return undefined
  const registered = ['memory', ...registry().keys()]
  const hint = closest(name, [...registered, ...KNOWN])
  return new EngineNotAvailableError(name, `${hint ? `did you mean '${hint}'? ` : ''}registered: ${[...new Set(registered)].join(', ')}; import its package or fix the name`)
}

/** What the caller needs from an engine, beyond the config. */
export interface EngineNeeds {
  /** Which fallback chain to walk. @default 'memory' */
  chain?: ChainName
  /** `'sync'` when a sync function is memoized: only sync engines can serve it. */
  mode?: 'sync' | 'any'
}

export interface RegisterOptions {
  /** Replace an engine already registered under the same name without a warning. @default false */
  replace?: boolean
}

/**
 * Make an engine selectable by name. Cheap: no I/O happens until `create`. Registering a
 * different definition under a name already taken replaces it, with one warning unless
 * `replace: true` says it is meant (two packages claiming one name is usually a mistake).
 */
export function registerEngine<C extends EngineConfig>(definition: EngineDefinition<C>, options: RegisterOptions = {}): void {
  if (!definition || typeof definition.name !== 'string' || typeof definition.create !== 'function') {
    throw new ConfigurationError('registerEngine needs { name, capabilities, priority, create(config) }')
  }
  const existing = registry().get(definition.name)
  if (existing && existing !== (definition as EngineDefinition<never>) && options.replace !== true) {
    warnOnce(
      `register:${definition.name}`,
      'registry',
      `engine '${definition.name}' was already registered${existing.packageName ? ` (by ${existing.packageName})` : ''}; replacing it. Pass registerEngine(definition, { replace: true }) if that is intended`,
    )
  }
  registry().set(definition.name, definition as EngineDefinition<never>)
}

/** Remove a registered engine (tests, hot reload). The built-in `memory` engine stays. */
export function unregisterEngine(name: string): boolean {
  return registry().delete(name)
}

/** The definition registered under `name`; the built-in `memory` engine is always there. */
export function getEngine(name: string): EngineDefinition<EngineConfig> | undefined {
  return (registry().get(name) as EngineDefinition<EngineConfig> | undefined) ??
    (name === 'memory' ? memoryEngineDefinition : undefined)
}

/** Every registered definition, highest priority first (the built-in memory engine included). */
export function listEngines(): EngineDefinition<EngineConfig>[] {
  const all = new Map(registry() as Map<string, EngineDefinition<EngineConfig>>)
  if (!all.has('memory')) all.set('memory', memoryEngineDefinition)
  return [...all.values()].sort((a, b) => b.priority - a.priority)
}

/** Names of the engines that can be created in this process right now. */
export function availableEngines(): string[] {
  return listEngines().map((d) => d.name)
}

/** Why `definition` cannot serve this request, or `undefined` if it can. */
function unfit(definition: EngineDefinition<EngineConfig>, config: CacheConfig, needs: EngineNeeds): string | undefined {
  const caps = definition.capabilities
  if (needs.mode === 'sync' && caps.mode === 'async') {
    return `it is async and cannot memoize a sync function: use a sync engine (memory, lru, node-cache, sqlite, flat-cache) or make the function async`
  }
  if (config.policy !== undefined && !caps.policies.includes(config.policy)) {
    return `it does not support policy '${config.policy}' (only ${caps.policies.map((p) => `'${p}'`).join(', ')})`
  }
  if (config.maxBytes !== undefined && caps.maxBytes !== true) {
    const able = [memoryEngineDefinition, ...registry().values()].filter((d) => d.capabilities.maxBytes).map((d) => d.name)
    return `it does not honour maxBytes (engines that do: ${[...new Set(able)].join(', ') || 'none registered'})`
  }
  return undefined
}

/**
 * Pick the engine for `config`: the preferred engine if it is registered and fits, else the
 * first fitting engine of the chain. A preferred engine that is not installed is warned about
 * once (naming the package to install); one that is installed but cannot serve the request, or
 * an unknown name, throws.
 */
export function selectEngine(config: CacheConfig, needs: EngineNeeds = {}): EngineDefinition<EngineConfig> {
  const chain: readonly string[] = CHAINS[needs.chain ?? 'memory']
  const preferred = config.engine
  if (preferred !== undefined) {
    const definition = getEngine(preferred)
    if (definition) {
      const why = unfit(definition, config, needs)
      if (why) throw new ConfigurationError(`engine '${preferred}' cannot be used: ${why}`)
      return definition
    }
    const unknown = unknownEngine(preferred)
    if (unknown) throw unknown
  }
  // The built-in memory engine fits every request (sync, every policy, maxBytes): it ends each
  // chain, and still does when a registration shadows its name with an engine that does not fit.
  let chosen = memoryEngineDefinition
  for (const name of chain) {
    const definition = getEngine(name)
    // `usable` reads the settings only; the namespace is not chosen yet.
    if (definition && (definition.usable?.(config as EngineConfig) ?? true) && !unfit(definition, config, needs)) {
      chosen = definition
      break
    }
  }
  if (preferred !== undefined) {
    warnOnce(
      `missing:${preferred}`,
      'select',
      `engine '${preferred}' is not installed: run \`pnpm add ${enginePackage(preferred)}\` and \`import '${enginePackage(preferred)}'\`; using '${chosen.name}' instead`,
    )
  }
  return chosen
}

/** Create an engine by name, or by options (selected through the memory chain). */
export function createEngine(nameOrOptions: string | (CacheOptions & { namespace?: string }), needs?: EngineNeeds): Engine {
  const options = typeof nameOrOptions === 'string' ? { engine: nameOrOptions } : nameOrOptions
  const config = createCacheConfig(options)
  const definition = selectEngine(config, needs)
  return definition.create({ ...config, namespace: config.namespace ?? 'default' })
}
