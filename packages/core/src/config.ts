import { parseDuration } from './duration.js'
import { ConfigurationError } from './errors.js'
import type { cacheConfigSchema, redisSchema, serializerSchema } from './schema.js'
import type { Policy } from './types.js'
import type * as z from 'zod/mini'

/** Entries per cached function when `maxsize` is not given. Never silently unbounded. */
export const DEFAULT_MAXSIZE = 1000

/** What users pass to `mcache`, `bcache`, ... and `createCacheConfig` (typed from the zod schema). */
export type CacheOptions = Omit<z.input<typeof cacheConfigSchema>, 'ttl'> & {
  /** Time to live: milliseconds, or `'500ms' | '30s' | '5m' | '1h' | '1d'`. Omit for no expiry. */
  ttl?: number | `${number}${'ms' | 's' | 'm' | 'h' | 'd'}` | undefined
}
export type RedisOptions = z.output<typeof redisSchema>
export type CompressOptions = { algorithm: 'gzip' | 'brotli' | 'deflate'; level?: number | undefined; threshold: number }
export type SerializerOption = z.output<typeof serializerSchema>

/** Validated options with defaults applied and durations in milliseconds. */
export interface CacheConfig {
  readonly maxsize: number
  readonly maxBytes?: number | undefined
  readonly ttl?: number | undefined
  /** Unset means "the engine's own eviction" (least-recently-used wherever it evicts per function). */
  readonly policy?: Policy | undefined
  readonly engine?: string | undefined
  readonly namespace?: string | undefined
  readonly folderName?: string | undefined
  readonly cacheDir?: string | undefined
  readonly useSql: boolean
  readonly compress: CompressOptions | false
  readonly secure: boolean
  readonly serializer?: SerializerOption | undefined
  readonly redis?: RedisOptions | undefined
  readonly key?: ((...args: never[]) => string) | undefined
  readonly engineOptions?: Record<string, unknown> | undefined
}

/** The config an engine factory receives: always namespaced. */
export interface EngineConfig extends CacheConfig {
  readonly namespace: string
}

// ---------------------------------------------------------------------------------------------
// The rule table. A rule returns what it expected when the value does not fit, else undefined.
// Strict objects report unknown fields; `issues` collects every problem with its path.

type Rule = (value: unknown, path: string, issues: string[]) => string | undefined

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)
const test = (ok: (v: unknown) => boolean, expected: string): Rule => (v) => (ok(v) ? undefined : expected)
const type = (name: string, expected = `expected a ${name}`) => test((v) => typeof v === name, expected)
const str = type('string')
const nonEmpty = test((v) => typeof v === 'string' && v !== '', 'expected a non-empty string')
const bool = type('boolean', 'expected true or false')
const fn = type('function')
const record = test(isObject, 'expected an object')
const int = (min: number, max?: number) =>
  test((v) => Number.isSafeInteger(v) && (v as number) >= min && !((v as number) > max!), `expected a whole number ≥ ${min}${max ? ` and ≤ ${max}` : ''}`)
const oneOf = (values: readonly unknown[]) =>
  test((v) => values.includes(v), `expected one of ${values.map((v) => JSON.stringify(v)).join(', ')}`)
/** The value fits `a` entirely, or else is checked (and reported) as `b`. */
const either = (a: Rule, b: Rule): Rule => (v, path, issues) => {
  const nested: string[] = []
  return a(v, path, nested) === undefined && nested.length === 0 ? undefined : b(v, path, issues)
}
const list = (item: Rule): Rule => (v, path, issues) => {
  if (!Array.isArray(v)) return 'expected an array'
  v.forEach((x, i) => report(item, x, `${path}.${i}`, issues))
  return undefined
}
const strict = (shape: Record<string, Rule>, expected = 'expected an object', required: string[] = []): Rule => (v, path, issues) => {
  if (!isObject(v)) return expected
  for (const key of required) if (v[key] === undefined) issues.push(`${path ? `${path}.` : ''}${key}: required`)
  for (const key of Object.keys(v)) {
    const at = path ? `${path}.${key}` : key
    const rule = shape[key]
    if (rule) {
      if (v[key] !== undefined) report(rule, v[key], at, issues)
    } else {
      const hint = closest(key, Object.keys(shape))
      issues.push(`unknown option '${at}'${hint ? `: did you mean '${hint}'?` : ''}`)
    }
  }
  return undefined
}

function report(rule: Rule, value: unknown, path: string, issues: string[]): void {
  const expected = rule(value, path, issues)
  if (expected !== undefined) issues.push(`${path}: ${expected}, got ${describe(value)}`)
}

const node = strict({ host: str, port: type('number') }, undefined, ['host', 'port'])
/** Mirrors `cacheConfigSchema` in schema.ts field for field (a test keeps them in step). */
export const CONFIG_RULES: Record<string, Rule> = {
  maxsize: int(1),
  maxBytes: int(1),
  ttl: test((v) => typeof v === 'number' || typeof v === 'string', "expected milliseconds or a duration like '5m'"),
  policy: oneOf(['lru', 'lfu', 'fifo', 'rr']),
  engine: str,
  preferredEngine: str,
  namespace: nonEmpty,
  folderName: str,
  cacheDir: nonEmpty,
  useSql: bool,
  compress: either(
    bool,
    strict({ algorithm: oneOf(['gzip', 'brotli', 'deflate']), level: int(0, 11), threshold: int(0) }, 'expected true, false or { algorithm, level, threshold }'),
  ),
  secure: bool,
  serializer: either(
    oneOf(['json', 'default']),
    strict({ serialize: fn, deserialize: fn }, "expected 'json', 'default' or { serialize, deserialize }", ['serialize', 'deserialize']),
  ),
  redis: strict({
    url: str,
    host: str,
    port: int(1, 65535),
    db: int(0),
    username: str,
    password: str,
    tls: either(bool, test(isObject, 'expected true, false or TLS options')),
    keyPrefix: str,
    sentinels: list(node),
    name: str,
    cluster: list(node),
    options: record,
  }),
  key: fn,
  engineOptions: record,
}
const checkOptions = strict(CONFIG_RULES, 'cache options must be an object')

/** Every problem with the shape of `input` (what the zod schema would reject), as sentences. */
export function optionIssues(input: unknown): string[] {
  const issues: string[] = []
  const expected = checkOptions(input, '', issues)
  return expected === undefined ? issues : [`${expected}, got ${describe(input)}`]
}

/** Parse and validate options once. Every bad field is reported in one `ConfigurationError`. */
export function createCacheConfig(input: CacheOptions = {}): CacheConfig {
  const problems = optionIssues(input)
  const data = input as CacheOptions & { preferredEngine?: string }
  let ttl: number | undefined
  if (problems.length === 0) {
    if (data.ttl !== undefined) {
      try {
        ttl = parseDuration(data.ttl)
      } catch (error) {
        problems.push((error as Error).message)
      }
    }
    const folder = data.folderName === undefined ? undefined : folderNameProblem(data.folderName)
    if (folder) problems.push(folder)
    if (data.engine !== undefined && data.preferredEngine !== undefined && data.engine !== data.preferredEngine) {
      problems.push(`engine '${data.engine}' and preferredEngine '${data.preferredEngine}' disagree: pass only one`)
    }
  }
  if (problems.length > 0) {
    throw new ConfigurationError(`invalid cache options:\n${problems.map((p) => `  - ${p}`).join('\n')}`, { issues: problems })
  }
  const { preferredEngine, ...rest } = data
  return {
    ...rest,
    maxsize: data.maxsize ?? DEFAULT_MAXSIZE,
    ttl,
    engine: data.engine ?? preferredEngine,
    useSql: data.useSql ?? false,
    // Spreading `true` adds nothing: the defaults stand.
    compress: data.compress ? { algorithm: 'gzip', threshold: 1024, ...(data.compress as object) } : false,
    secure: data.secure ?? true,
    redis: withRedisEnv(data.redis),
  } as CacheConfig
}

/** `undefined` if the folder name is safe, else why it is not. */
export function folderNameProblem(name: string): string | undefined {
  if (!/^[A-Za-z0-9._-]+$/.test(name)) {
    return `folderName '${name}' may only contain letters, digits, '.', '_' and '-' (for a path, use cacheDir)`
  }
  if (name === '.' || name.includes('..')) return `folderName '${name}' must not be '.' or contain '..'`
  return undefined
}

/** Reads `process.env` only where it exists: edge runtimes and browsers have none. */
export function readEnv(name: string): string | undefined {
  // An empty value counts as unset.
  return (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.[name] || undefined
}

function withRedisEnv(redis: RedisOptions | undefined): RedisOptions | undefined {
  let merged = redis
  for (const field of ['url', 'host', 'port', 'db', 'password'] as const) {
    const name = `TWAT_CACHE_REDIS_${field.toUpperCase()}`
    const value = readEnv(name)
    if (value === undefined) continue
    const copy: Record<string, unknown> = { ...merged }
    // The environment's URL replaces the whole connection written in code, not just its url
    // field (a host/port in code would otherwise override the URL's).
    if (field === 'url') for (const f of ['host', 'port', 'db', 'username', 'password']) delete copy[f]
    copy[field] = field === 'port' || field === 'db' ? envInt(name, value) : value
    merged = copy
  }
  return merged
}

function envInt(name: string, value: string): number {
  const n = Number(value)
  if (!Number.isInteger(n) || n < 0) throw new ConfigurationError(`environment variable ${name}='${value}' must be a whole number`)
  return n
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value)
  if (typeof value === 'function') return 'a function'
  if (value === null || typeof value !== 'object') return String(value)
  return Array.isArray(value) ? 'an array' : 'an object'
}

/** The known name within edit distance 2 (ignoring case), if any. */
function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined
  let bestDistance = 3
  for (const candidate of candidates) {
    const d = distance(word.toLowerCase(), candidate.toLowerCase(), 3)
    if (d < bestDistance) [best, bestDistance] = [candidate, d]
  }
  return best
}

/**
 * Levenshtein distance, capped at `cap`. Equal first characters can always be matched, so only
 * a difference branches (into delete, insert, replace); the cap bounds the branching to 3^cap.
 */
const distance = (a: string, b: string, cap: number): number =>
  cap < 1 || a === b
    ? 0
    : a[0] === b[0]
      ? distance(a.slice(1), b.slice(1), cap)
      : 1 + Math.min(distance(a.slice(1), b, cap - 1), distance(a, b.slice(1), cap - 1), distance(a.slice(1), b.slice(1), cap - 1))
