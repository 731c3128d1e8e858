import * as z from 'zod/mini'
import { parseDuration } from './duration.js'
import { ConfigurationError } from './errors.js'
import type { Policy } from './types.js'

/** Entries per cached function when `maxsize` is not given. Never silently unbounded. */
export const DEFAULT_MAXSIZE = 1000

const FOLDER_NAME = /^[A-Za-z0-9._-]+$/
const duration = z.union([z.number(), z.string()])
const positiveInt = z.number().check(z.int(), z.minimum(1))

const redisSchema = z.strictObject({
  /** `redis://user:pass@host:6379/0` or `rediss://` for TLS. */
  url: z.optional(z.string()),
  host: z.optional(z.string()),
  port: z.optional(z.number().check(z.int(), z.minimum(1), z.maximum(65535))),
  db: z.optional(z.number().check(z.int(), z.minimum(0))),
  username: z.optional(z.string()),
  password: z.optional(z.string()),
  /** `true` or ioredis/Node TLS options. */
  tls: z.optional(z.union([z.boolean(), z.record(z.string(), z.unknown())])),
  /** Prefix for every key this process writes. @default 'twat-cache:' */
  keyPrefix: z.optional(z.string()),
  /** Sentinel nodes; with `name`, the master group name. */
  sentinels: z.optional(z.array(z.strictObject({ host: z.string(), port: z.number() }))),
  name: z.optional(z.string()),
  /** Cluster start-up nodes: connects with `Redis.Cluster`. */
  cluster: z.optional(z.array(z.strictObject({ host: z.string(), port: z.number() }))),
  /** Passed verbatim to ioredis (timeouts, retry strategy...). */
  options: z.optional(z.record(z.string(), z.unknown())),
})

const compressSchema = z.union([
  z.boolean(),
  z.strictObject({
    algorithm: z.optional(z.enum(['gzip', 'brotli', 'deflate'])),
    level: z.optional(z.number().check(z.int(), z.minimum(0), z.maximum(11))),
    /** Only values larger than this many bytes are compressed. @default 1024 */
    threshold: z.optional(z.number().check(z.int(), z.minimum(0))),
  }),
])

const serializerSchema = z.union([
  z.literal('json'),
  z.literal('default'),
  z.strictObject({
    serialize: z.custom<(value: unknown) => string | Uint8Array>((v) => typeof v === 'function'),
    deserialize: z.custom<(data: string | Uint8Array) => unknown>((v) => typeof v === 'function'),
  }),
])

/**
 * The published options schema (zod/mini). `createCacheConfig` parses input with it once, at
 * creation; the hot path never re-validates.
 */
export const cacheConfigSchema = z.strictObject({
  /** Max entries per cached function. @default 1000 */
  maxsize: z.optional(positiveInt),
  /** Size bound in bytes, where the engine supports it. */
  maxBytes: z.optional(positiveInt),
  /** Time to live: milliseconds, or `'500ms' | '30s' | '5m' | '1h' | '1d'`. Omit for no expiry. */
  ttl: z.optional(duration),
  /**
   * Eviction policy. When omitted, each engine evicts its own way (least-recently-used for every
   * engine that evicts per function); when given, only engines that honour it are chosen.
   */
  policy: z.optional(z.enum(['lru', 'lfu', 'fifo', 'rr'])),
  /** Preferred engine name; the chain falls back (with one warning) if it is not installed. */
  engine: z.optional(z.string()),
  /** The seed's spelling of `engine`. */
  preferredEngine: z.optional(z.string()),
  /** Key namespace. @default function name + hash of its source */
  namespace: z.optional(z.string().check(z.minLength(1))),
  /** Sub-folder of the cache directory: `[A-Za-z0-9._-]+`, never `..`. */
  folderName: z.optional(z.string()),
  /** Base cache directory. @default `TWAT_CACHE_DIR` or the platform's user cache dir */
  cacheDir: z.optional(z.string().check(z.minLength(1))),
  /** Prefer SQLite for disk caching (steers `ucache`). @default false */
  useSql: z.optional(z.boolean()),
  /** Compress values above a threshold. @default false */
  compress: z.optional(compressSchema),
  /** Directories 0700, files 0600. @default true */
  secure: z.optional(z.boolean()),
  /** For engines that are not `structured`. @default the built-in type-faithful serializer */
  serializer: z.optional(serializerSchema),
  /** Redis connection; `TWAT_CACHE_REDIS_*` environment variables override it. */
  redis: z.optional(redisSchema),
  /** Custom key builder, replacing the stable argument serialization. */
  key: z.optional(z.custom<(...args: never[]) => string>((v) => typeof v === 'function')),
  /** Options passed verbatim to the engine's factory, which validates them with its own schema. */
  engineOptions: z.optional(z.record(z.string(), z.unknown())),
})

/** What users pass to `mcache`, `bcache`, ... and `createCacheConfig`. */
export type CacheOptions = z.input<typeof cacheConfigSchema> & { ttl?: number | DurationLike }
type DurationLike = `${number}${'ms' | 's' | 'm' | 'h' | 'd'}`
export type RedisOptions = z.output<typeof redisSchema>
export type CompressOptions = { algorithm: 'gzip' | 'brotli' | 'deflate'; level?: number | undefined; threshold: number }
export type SerializerOption = z.output<typeof serializerSchema>

/** Validated options with defaults applied and durations in milliseconds. */
export interface CacheConfig {
  readonly maxsize: number
  readonly maxBytes?: number | undefined
  readonly ttl?: number | undefined
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

const FIELDS = Object.keys(cacheConfigSchema.def.shape)

/** Parse and validate options once. Every bad field is reported in one `ConfigurationError`. */
export function createCacheConfig(input: CacheOptions = {}): CacheConfig {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new ConfigurationError(`cache options must be an object, got ${describe(input)}`)
  }
  const result = cacheConfigSchema.safeParse(input)
  const problems: string[] = result.success ? [] : result.error.issues.flatMap((i) => explain(i, input))
  const data = result.success ? result.data : undefined
  let ttl: number | undefined
  if (data?.ttl !== undefined) {
    try {
      ttl = parseDuration(data.ttl)
    } catch (error) {
      problems.push((error as Error).message)
    }
  }
  if (data?.folderName !== undefined) {
    const why = folderNameProblem(data.folderName)
    if (why) problems.push(why)
  }
  if (data?.engine !== undefined && data.preferredEngine !== undefined && data.engine !== data.preferredEngine) {
    problems.push(`engine '${data.engine}' and preferredEngine '${data.preferredEngine}' disagree: pass only one`)
  }
  if (problems.length > 0 || !data) {
    const list = problems.map((p) => `  - ${p}`).join('\n')
    throw new ConfigurationError(`invalid cache options:\n${list}`, { issues: problems, cause: result.error })
  }
  const compress: CompressOptions | false = data.compress
    ? { algorithm: 'gzip', threshold: 1024, ...(data.compress === true ? {} : data.compress) }
    : false
  return {
    ...data,
    maxsize: data.maxsize ?? DEFAULT_MAXSIZE,
    ttl,
    engine: data.engine ?? data.preferredEngine,
    useSql: data.useSql ?? false,
    compress,
    secure: data.secure ?? true,
    redis: withRedisEnv(data.redis),
  }
}

/** `undefined` if the folder name is safe, else why it is not. */
export function folderNameProblem(name: string): string | undefined {
  if (!FOLDER_NAME.test(name)) {
    return `folderName '${name}' may only contain letters, digits, '.', '_' and '-' (no slashes or absolute paths)`
  }
  if (name === '.' || name === '..' || name.includes('..')) return `folderName '${name}' must not contain '..'`
  return undefined
}

/** Reads `process.env` only where it exists: edge runtimes and browsers have none. */
export function readEnv(name: string): string | undefined {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env
  const value = env?.[name]
  return value === '' ? undefined : value
}

function withRedisEnv(redis: RedisOptions | undefined): RedisOptions | undefined {
  const url = readEnv('TWAT_CACHE_REDIS_URL')
  const host = readEnv('TWAT_CACHE_REDIS_HOST')
  const port = readEnv('TWAT_CACHE_REDIS_PORT')
  const db = readEnv('TWAT_CACHE_REDIS_DB')
  const password = readEnv('TWAT_CACHE_REDIS_PASSWORD')
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
  if (port !== undefined) merged.port = envInt('TWAT_CACHE_REDIS_PORT', port)
  if (db !== undefined) merged.db = envInt('TWAT_CACHE_REDIS_DB', db)
  if (password !== undefined) merged.password = password
  return merged
}

function envInt(name: string, value: string): number {
  const n = Number(value)
  if (!Number.isInteger(n) || n < 0) throw new ConfigurationError(`environment variable ${name}='${value}' must be a whole number`)
  return n
}

type Issue = z.core.$ZodIssue

function explain(issue: Issue, input: object): string[] {
  const path = issue.path.map(String).join('.')
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => {
      const scope = path ? `${path}.` : ''
      const known = path ? [] : FIELDS
      const hint = closest(key, known)
      return `unknown option '${scope}${key}'${hint ? `: did you mean '${hint}'?` : ''}`
    })
  }
  const value = issue.path.reduce<unknown>((v, k) => (v as Record<PropertyKey, unknown> | undefined)?.[k as PropertyKey], input)
  return [`${path}: ${EXPECTED[path] ?? expectedFrom(issue)}, got ${describe(value)}`]
}

const EXPECTED: Record<string, string> = {
  maxsize: 'expected a whole number ≥ 1',
  maxBytes: 'expected a whole number of bytes ≥ 1',
  ttl: "expected milliseconds or a duration string like '30s', '5m', '1h'",
  policy: "expected one of 'lru', 'lfu', 'fifo', 'rr'",
  serializer: "expected 'json', 'default' or { serialize, deserialize }",
  compress: "expected true, false or { algorithm: 'gzip' | 'brotli' | 'deflate', level, threshold }",
  key: 'expected a function (...args) => string',
}

function expectedFrom(issue: Issue): string {
  switch (issue.code) {
    case 'invalid_type':
      return `expected ${issue.expected}`
    case 'invalid_value':
      return `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`
    case 'too_small':
      return `expected at least ${String(issue.minimum)}`
    case 'too_big':
      return `expected at most ${String(issue.maximum)}`
    default:
      return 'invalid value'
  }
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value)
  if (typeof value === 'function') return 'a function'
  if (value === null || typeof value !== 'object') return String(value)
  return Array.isArray(value) ? 'an array' : 'an object'
}

/** The known name within edit distance 2 (or sharing a case-insensitive prefix), if any. */
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
