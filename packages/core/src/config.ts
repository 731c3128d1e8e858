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
const str = test((v) => typeof v === 'string', 'expected a string')
const nonEmpty = test((v) => typeof v === 'string' && v.length > 0, 'expected a non-empty string')
const bool = test((v) => typeof v === 'boolean', 'expected true or false')
const num = test((v) => typeof v === 'number', 'expected a number')
const fn = test((v) => typeof v === 'function', 'expected a function')
const record = test(isObject, 'expected an object')
const int = (min: number, max = Number.MAX_SAFE_INTEGER, expected = `expected a whole number from ${min} to ${max}`) =>
  test((v) => Number.isSafeInteger(v) && (v as number) >= min && (v as number) <= max, expected)
const oneOf = (values: readonly unknown[]) =>
  test((v) => values.includes(v), `expected one of ${values.map((v) => JSON.stringify(v)).join(', ')}`)
/** The value fits `a` or `b` entirely (nested problems included); else one `expected` issue. */
const either = (a: Rule, b: Rule, expected: string): Rule => (v, path) => (fits(a, v, path) || fits(b, v, path) ? undefined : expected)
const fits = (rule: Rule, v: unknown, path: string) => {
  const nested: string[] = []
  return rule(v, path, nested) === undefined && nested.length === 0
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

const node = strict({ host: str, port: num }, undefined, ['host', 'port'])
/** Mirrors `cacheConfigSchema` in schema.ts field for field (a test keeps them in step). */
export const CONFIG_RULES: Record<string, Rule> = {
  maxsize: int(1, undefined, 'expected a whole number ≥ 1'),
  maxBytes: int(1, undefined, 'expected a whole number of bytes ≥ 1'),
  ttl: test((v) => typeof v === 'number' || typeof v === 'string', "expected milliseconds or a duration string like '30s', '5m', '1h'"),
  policy: oneOf(['lru', 'lfu', 'fifo', 'rr']),
  engine: str,
  preferredEngine: str,
  namespace: nonEmpty,
  folderName: str,
  cacheDir: nonEmpty,
  useSql: bool,
  compress: either(
    bool,
    strict({ algorithm: oneOf(['gzip', 'brotli', 'deflate']), level: int(0, 11), threshold: int(0) }),
    "expected true, false or { algorithm: 'gzip' | 'brotli' | 'deflate', level, threshold }",
  ),
  secure: bool,
  serializer: either(oneOf(['json', 'default']), strict({ serialize: fn, deserialize: fn }, undefined, ['serialize', 'deserialize']), "expected 'json', 'default' or { serialize, deserialize }"),
  redis: strict({
    url: str,
    host: str,
    port: int(1, 65535),
    db: int(0),
    username: str,
    password: str,
    tls: either(bool, record, 'expected true, false or TLS options'),
    keyPrefix: str,
    sentinels: list(node),
    name: str,
    cluster: list(node),
    options: record,
  }),
  key: test((v) => typeof v === 'function', 'expected a function (...args) => string'),
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
    compress: data.compress ? { algorithm: 'gzip', threshold: 1024, ...(data.compress === true ? {} : data.compress) } : false,
    secure: data.secure ?? true,
    redis: withRedisEnv(data.redis),
  } as CacheConfig
}

/** `undefined` if the folder name is safe, else why it is not. */
export function folderNameProblem(name: string): string | undefined {
  if (!/^[A-Za-z0-9._-]+$/.test(name)) {
    return `folderName '${name}' may only contain letters, digits, '.', '_' and '-' (no slashes or absolute paths)`
  }
  if (name === '.' || name.includes('..')) return `folderName '${name}' must not be '.' or contain '..'`
  return undefined
}

/** Reads `process.env` only where it exists: edge runtimes and browsers have none. */
export function readEnv(name: string): string | undefined {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env
  const value = env?.[name]
  return value === '' ? undefined : value
}

function withRedisEnv(redis: RedisOptions | undefined): RedisOptions | undefined {
  const env = (field: string) => readEnv(`TWAT_CACHE_REDIS_${field}`)
  const url = env('URL')
  const host = env('HOST')
  const port = env('PORT')
  const db = env('DB')
  const password = env('PASSWORD')
  if (url === undefined && host === undefined && port === undefined && db === undefined && password === undefined) {
    return redis
  }
  const merged: RedisOptions = { ...redis }
  if (url !== undefined) {
    // The environment's URL replaces the whole connection written in code, not just its url
    // field (a host/port in code would otherwise override the URL's).
    for (const field of ['host', 'port', 'db', 'username', 'password'] as const) delete merged[field]
    merged.url = url
  }
  if (host !== undefined) merged.host = host
  if (port !== undefined) merged.port = envInt('PORT', port)
  if (db !== undefined) merged.db = envInt('DB', db)
  if (password !== undefined) merged.password = password
  return merged
}

function envInt(field: string, value: string): number {
  const n = Number(value)
  if (!Number.isInteger(n) || n < 0) throw new ConfigurationError(`environment variable TWAT_CACHE_REDIS_${field}='${value}' must be a whole number`)
  return n
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value)
  if (typeof value === 'function') return 'a function'
  if (value === null || typeof value !== 'object') return String(value)
  return Array.isArray(value) ? 'an array' : 'an object'
}

/** The known name within edit distance 2, if any. */
function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined
  let bestDistance = 3
  for (const candidate of candidates) {
    const d = editDistance(word.toLowerCase(), candidate.toLowerCase())
    if (d < bestDistance) [best, bestDistance] = [candidate, d]
  }
  return best
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    const current = [i]
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1))
    }
    previous = current
  }
  return previous[b.length]!
}
