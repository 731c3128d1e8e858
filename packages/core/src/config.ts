import { DURATION_EXPECTED, toMilliseconds } from './duration.js'
import { ConfigurationError, configurationProblems } from './errors.js'
import { LEASE_SHORTER_THAN_WAIT, enginesDisagree, folderNameProblem, freshnessProblems, leaseShorterThanWait, tagProblem } from './checks.js'
import type { cacheConfigSchema, redisSchema, serializerSchema } from './schema.js'
import type { Policy } from './types.js'
import type * as z from 'zod/mini'

/** Entries per cached function when `maxsize` is not given. Never silently unbounded. */
export const DEFAULT_MAXSIZE = 1000

/** What users pass to `mcache`, `bcache`, ... and `createCacheConfig` (typed from the zod schema). */
type Duration = number | `${number}${'ms' | 's' | 'm' | 'h' | 'd'}`
type DurationFields = 'ttl' | 'staleWhileRevalidate' | 'staleIfError' | 'timeout' | 'hardTimeout' | 'revalidate'
export type CacheOptions = Omit<z.input<typeof cacheConfigSchema>, DurationFields | 'tags'> & {
  /**
   * Time to live: milliseconds, or `'500ms' | '30s' | '5m' | '1h' | '1d'`; or a function of the
   * result and the arguments returning one (`0` there: do not store this result). Omit for no expiry.
   */
  ttl?: Duration | ((value: any, ...args: any[]) => Duration) | undefined
  /** After `ttl`, serve the stale value at once and refresh in the background, for this long. */
  staleWhileRevalidate?: Duration | undefined
  /** After `ttl`, answer a failing refresh with the stale value, for this long. */
  staleIfError?: Duration | undefined
  /** Soft timeout of a refresh that has a stale value to fall back on. */
  timeout?: Duration | undefined
  /** The call rejects with `TimeoutError` after this long. */
  hardTimeout?: Duration | undefined
  /** Refreshes an existing entry instead of the function; may return `notModified`. */
  revalidate?: ((previous: { value: any; createdAt: number; expiresAt: number }, ...args: any[]) => unknown) | undefined
  /** Tags of every entry: a list, or computed from the value and the arguments (§13). */
  tags?: TagsOption | undefined
}

/** The `tags` option: static tags, or a function of the value and the call's arguments. */
// biome-ignore lint: `any` lets every function's value and argument types through.
export type TagsOption = readonly string[] | ((value: any, ...args: any[]) => readonly string[])
export type RedisOptions = z.output<typeof redisSchema>
export type CompressOptions = { algorithm: 'gzip' | 'brotli' | 'deflate'; level?: number | undefined; threshold: number }
export type SerializerOption = z.output<typeof serializerSchema>

/** Validated options with defaults applied and durations in milliseconds. */
export interface CacheConfig {
  readonly maxsize: number
  readonly maxBytes?: number | undefined
  /** The fixed TTL in ms (what engines read); `undefined` when absent or a function. */
  readonly ttl?: number | undefined
  /** `ttl` when it was given as a function of the result. */
  readonly ttlFunction?: ((value: never, ...args: never[]) => number | string) | undefined
  readonly jitter?: number | undefined
  readonly staleWhileRevalidate?: number | undefined
  readonly staleIfError?: number | undefined
  readonly timeout?: number | undefined
  readonly hardTimeout?: number | undefined
  readonly revalidate?: ((previous: never, ...args: never[]) => unknown) | undefined
  /** The memory tier, resolved; absent when off. */
  readonly l1?: TierConfig | undefined
  /** The cross-process lock, resolved; absent when off. */
  readonly lock?: LockConfig | undefined
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
  readonly tags?: TagsOption | undefined
  readonly engineOptions?: Record<string, unknown> | undefined
}

export interface TierConfig {
  readonly maxsize: number
  /** Milliseconds; `undefined`: as long as the engine keeps the entry. */
  readonly ttl?: number | undefined
}

export interface LockConfig {
  /** Lease length in milliseconds. */
  readonly ttl: number
  /** Milliseconds a caller waits for another process's result before computing itself. */
  readonly wait: number
}

/** `lock: true`. */
export const DEFAULT_LOCK: LockConfig = Object.freeze({ ttl: 30_000, wait: 15_000 })

/** The config an engine factory receives: always namespaced. */
export interface EngineConfig extends CacheConfig {
  readonly namespace: string
}

// ---------------------------------------------------------------------------------------------
// The rule table. A rule returns what it expected when the value does not fit, else undefined.
// Strict objects report unknown fields; `issues` collects every problem with its path.
//
// Options come from users, config files and JSON: any key (`__proto__`, `hasOwnProperty`),
// any value (symbols, proxies, getters that throw). So rules are looked up as own properties
// only, each field is read once, and a failure to read is an issue, never a TypeError.

type Rule = (value: unknown, path: string, issues: string[]) => string | undefined

/** A plain record (not null, not an array): what options objects must be. */
export const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)
const test = (ok: (v: unknown) => boolean, expected: string): Rule => (v) => (ok(v) ? undefined : expected)
const type = (name: string, expected = `expected a ${name}`) => test((v) => typeof v === name, expected)
const nonEmpty = test((v) => typeof v === 'string' && v !== '', 'expected a non-empty string')
const str = type('string')
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
const list = (item: Rule, min = 0): Rule => (v, path, issues) => {
  if (!Array.isArray(v)) return 'expected an array'
  if (v.length < min) return `expected at least ${min} item`
  v.forEach((x, i) => report(item, x, `${path}.${i}`, issues))
  return undefined
}
const strict = (shape: Record<string, Rule>, expected = 'expected an object', required: string[] = []): Rule => (v, path, issues) => {
  if (!isObject(v)) return expected
  const fields = readFields(v, path, issues)
  for (const key of required) if (fields.get(key) === undefined) issues.push(`${path ? `${path}.` : ''}${key}: required`)
  for (const [key, value] of fields) {
    const at = path ? `${path}.${key}` : key
    if (Object.hasOwn(shape, key)) {
      if (value !== undefined) report(shape[key]!, value, at, issues)
    } else {
      issues.push(`unknown option '${at}'${path ? hintFor(key, Object.keys(shape)) : hintFor(key, Object.keys(shape), WRAPPER_FIELDS)}`)
    }
  }
  return undefined
}

/** Own enumerable string-keyed fields, each read once; a field that cannot be read is an issue. */
function readFields(v: object, path: string, issues: string[]): Map<string, unknown> {
  const fields = new Map<string, unknown>()
  let keys: string[]
  try {
    keys = Object.keys(v)
  } catch (error) {
    issues.push(`${path || 'cache options'}: cannot list the fields (${reason(error)})`)
    return fields
  }
  for (const key of keys) {
    try {
      fields.set(key, (v as Record<string, unknown>)[key])
    } catch (error) {
      issues.push(`${path ? `${path}.` : ''}${key}: cannot be read (${reason(error)})`)
    }
  }
  return fields
}

function report(rule: Rule, value: unknown, path: string, issues: string[]): void {
  const expected = rule(value, path, issues)
  if (expected !== undefined) issues.push(`${path}: ${expected}, got ${describeValue(value)}`)
}

const port = int(1, 65535)
const node = strict({ host: nonEmpty, port }, undefined, ['host', 'port'])
const duration: Rule = (v) => (toMilliseconds(v) === undefined ? DURATION_EXPECTED : undefined)
const tag: Rule = (v) => tagProblem(v)
const folderName: Rule = (v) => (typeof v === 'string' ? folderNameProblem(v) : 'expected a string')

/** Mirrors `cacheConfigSchema` in schema.ts field for field (a test keeps them in step). */
export const CONFIG_RULES: Record<string, Rule> = {
  maxsize: int(1),
  maxBytes: int(1),
  ttl: either(fn, duration),
  jitter: test((v) => typeof v === 'number' && v >= 0 && v <= 1, 'expected a number from 0 to 1'),
  staleWhileRevalidate: duration,
  staleIfError: duration,
  timeout: duration,
  hardTimeout: duration,
  revalidate: fn,
  l1: either(bool, strict({ maxsize: int(1), ttl: duration }, 'expected true, false or { maxsize, ttl }')),
  lock: either(bool, (v, path, issues) => {
    const expected = strict({ ttl: duration, wait: duration }, 'expected true, false or { ttl, wait }')(v, path, issues)
    // Pushed as is: a returned message would end in ", got an object", which says nothing here.
    if (expected === undefined && leaseShorterThanWait(v)) issues.push(`${path}: ${LEASE_SHORTER_THAN_WAIT}`)
    return expected
  }),
  policy: oneOf(['lru', 'lfu', 'fifo', 'rr']),
  engine: str,
  preferredEngine: str,
  namespace: nonEmpty,
  folderName,
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
  // Mirrors `redisSchema`, the one Redis settings schema (the redis package parses with it).
  redis: strict({
    url: nonEmpty,
    host: nonEmpty,
    port,
    db: int(0),
    username: str,
    password: str,
    tls: either(bool, test(isObject, 'expected true, false or TLS options')),
    keyPrefix: str,
    sentinels: list(node, 1),
    name: nonEmpty,
    cluster: list(node, 1),
    options: record,
  }),
  key: fn,
  tags: either(fn, list(tag)),
  engineOptions: record,
}
const checkOptions = strict(CONFIG_RULES, 'cache options must be an object')

/** Every problem with `input` (what the zod schema would reject), as sentences. */
export function optionIssues(input: unknown): string[] {
  return readOptions(input).issues
}

/** The options read once into a plain record, with every problem found on the way. */
function readOptions(input: unknown): { values: Record<string, unknown>; issues: string[] } {
  const issues: string[] = []
  const values: Record<string, unknown> = Object.create(null)
  try {
    if (!isObject(input)) return { values, issues: [`cache options must be an object, got ${describeValue(input)}`] }
    // Each field is read once, into a record without a prototype (so `__proto__` is a plain
    // unknown name there), and that record is what is checked and used.
    for (const [key, value] of readFields(input, '', issues)) values[key] = value
    checkOptions(values, '', issues)
    if (enginesDisagree(values)) issues.push(`engine '${String(values.engine)}' and preferredEngine '${String(values.preferredEngine)}' disagree: pass only one`)
    issues.push(...freshnessProblems(values))
  } catch (error) {
    // A proxy can throw from any trap (even `Array.isArray` on a revoked one).
    issues.push(`cache options cannot be read (${reason(error)})`)
  }
  return { values, issues }
}

/**
 * The own fields of an options object, each read once, for wrappers that take fields of their
 * own before `createCacheConfig` (hybridCache, smartCache). `undefined` is `{}`; anything that
 * is not an object, or a field that cannot be read, is a `ConfigurationError`.
 */
export function readOptionFields(input: unknown, what = 'cache options'): Record<string, unknown> {
  if (input === undefined) return {}
  const issues: string[] = []
  const values: Record<string, unknown> = {}
  try {
    if (!isObject(input)) issues.push(`${what} must be an object, got ${describeValue(input)}`)
    // defineProperty, not assignment: a `__proto__` field stays a field (and is reported later).
    else for (const [key, value] of readFields(input, '', issues)) Object.defineProperty(values, key, { value, enumerable: true, writable: true, configurable: true })
  } catch (error) {
    issues.push(`${what} cannot be read (${reason(error)})`)
  }
  if (issues.length > 0) throw configurationProblems(`invalid ${what}`, issues)
  return values
}

/** Parse and validate options once. Every bad field is reported in one `ConfigurationError`. */
export function createCacheConfig(input: CacheOptions = {}): CacheConfig {
  const { values, issues } = readOptions(input)
  if (issues.length > 0) throw configurationProblems('invalid cache options', issues)
  const { preferredEngine, ...rest } = values as CacheOptions & { preferredEngine?: string }
  return {
    ...rest,
    maxsize: rest.maxsize ?? DEFAULT_MAXSIZE,
    ttl: rest.ttl === undefined || typeof rest.ttl === 'function' ? undefined : toMilliseconds(rest.ttl),
    ttlFunction: typeof rest.ttl === 'function' ? rest.ttl : undefined,
    ...durations(rest, ['staleWhileRevalidate', 'staleIfError', 'timeout', 'hardTimeout']),
    engine: rest.engine ?? preferredEngine,
    useSql: rest.useSql ?? false,
    // Spreading `true` adds nothing: the defaults stand.
    compress: rest.compress ? { algorithm: 'gzip', threshold: 1024, ...(rest.compress as object) } : false,
    secure: rest.secure ?? true,
    redis: withRedisEnv(rest.redis as RedisOptions | undefined),
    l1: tierConfig(rest.l1, rest.maxsize ?? DEFAULT_MAXSIZE),
    lock: lockConfig(rest.lock),
  } as CacheConfig
}

const durations = (o: Record<string, unknown>, fields: readonly string[]): Record<string, number> =>
  Object.fromEntries(fields.filter((f) => o[f] !== undefined).map((f) => [f, toMilliseconds(o[f])!]))

export { folderNameProblem }

function tierConfig(input: CacheOptions['l1'], maxsize: number): TierConfig | undefined {
  if (!input) return undefined
  // Own enumerable fields only, as the rule read them (a proxy's `get` is never called).
  const { maxsize: size, ttl } = input === true ? {} : { ...input }
  return { maxsize: size ?? maxsize, ttl: ttl === undefined ? undefined : toMilliseconds(ttl) }
}

function lockConfig(input: CacheOptions['lock']): LockConfig | undefined {
  if (!input) return undefined
  if (input === true) return DEFAULT_LOCK
  input = { ...input }
  const wait = input.wait === undefined ? undefined : toMilliseconds(input.wait)!
  const ttl = input.ttl === undefined ? Math.max(DEFAULT_LOCK.ttl, wait ?? 0) : toMilliseconds(input.ttl)!
  return { ttl, wait: wait ?? Math.ceil(ttl / 2) }
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

/** A bad value as error messages show it: strings quoted, objects by kind. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value)
  if (typeof value === 'function') return 'a function'
  if (typeof value === 'symbol') return 'a symbol'
  if (value === null || typeof value !== 'object') return String(value)
  return Array.isArray(value) ? 'an array' : 'an object'
}

/**
 * Fields only `hybridCache` and `smartCache` take (they read them before the cache options are
 * checked): named in hints, so `hybridCache({ sizeTreshold })` and `mcache({ sizeThreshold })`
 * both say where the field belongs.
 */
export const WRAPPER_FIELDS: Readonly<Record<string, string>> = {
  sizeThreshold: 'hybridCache',
  small: 'hybridCache',
  large: 'hybridCache',
  persistence: 'smartCache',
  accessPattern: 'smartCache',
  concurrency: 'smartCache',
}

function hintFor(key: string, fields: readonly string[], wrapperFields: Readonly<Record<string, string>> = {}): string {
  if (Object.hasOwn(wrapperFields, key)) return `: it is an option of ${wrapperFields[key]}`
  const hint = closest(key, [...fields, ...Object.keys(wrapperFields)])
  if (hint === undefined) return ''
  return `: did you mean '${hint}'${Object.hasOwn(wrapperFields, hint) ? ` (an option of ${wrapperFields[hint]})` : ''}?`
}

/** The known name within edit distance 2 (ignoring case), if any. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
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

const reason = (error: unknown): string => (error instanceof Error ? error.message : 'a non-Error value was thrown')
