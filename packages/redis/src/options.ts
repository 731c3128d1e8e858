import { ConfigurationError, redisSchema } from '@twat-cache/core'
import type { ClusterOptions, RedisOptions } from 'ioredis'
import * as z from 'zod/mini'

/** Milliseconds to wait for a TCP connection (and the AUTH/HELLO handshake). */
export const DEFAULT_CONNECT_TIMEOUT = 3000
/** Milliseconds to wait for any one command's reply. */
export const DEFAULT_COMMAND_TIMEOUT = 2000
/** Upper bound of the delay between background reconnection attempts while Redis is down. */
export const MAX_RECONNECT_DELAY = 2000
/** Prefix of every key the engine writes. */
export const DEFAULT_KEY_PREFIX = 'twat-cache:'
/** Keys requested per `SCAN` step (and deleted per `UNLINK`) by `clear()`, `size()` and `keys()`. */
export const DEFAULT_SCAN_COUNT = 500

/**
 * The `redis` section of the cache options: core's `redisSchema`, the one definition of the
 * Redis settings, so a config that passed `createCacheConfig` passes here. Kept under this name
 * for existing imports; what only the engine checks (Sentinel needs a name, Cluster has one
 * database...) is in `conflicts` below.
 */
export const redisConnectionSchema = redisSchema

/** Options read from `engineOptions` (validated here; unknown fields are rejected). */
export const redisEngineOptionsSchema = z.strictObject({
  /** Keys per SCAN step and per UNLINK batch. @default 500 */
  scanCount: z.optional(z.number().check(z.int(), z.minimum(1), z.maximum(100_000))),
})

export type RedisConnectionOptions = z.input<typeof redisConnectionSchema>
export type RedisEngineExtraOptions = z.input<typeof redisEngineOptionsSchema>

/** Everything the engine needs to connect, with defaults applied. Computed once per engine. */
export interface ResolvedConnection {
  readonly kind: 'standalone' | 'sentinel' | 'cluster'
  /** `host:port` (or the Sentinel group / cluster nodes) for error messages. */
  readonly target: string
  readonly keyPrefix: string
  readonly scanCount: number
  readonly connectTimeout: number
  readonly commandTimeout: number
  /** For `new Redis(options)` (standalone and Sentinel). */
  readonly redisOptions: RedisOptions
  /** For `new Cluster(nodes, options)`. */
  readonly clusterNodes?: readonly { host: string; port: number }[] | undefined
  readonly clusterOptions?: ClusterOptions | undefined
}

/** Caps the wait between reconnection attempts, so caching resumes soon after Redis is back. */
export function reconnectDelay(attempt: number): number {
  const jitter = Math.floor(Math.random() * 100)
  return Math.min(50 * 2 ** Math.max(0, attempt - 1), MAX_RECONNECT_DELAY) + jitter
}

/** Validate the `redis` and `engineOptions` sections and build the ioredis options. */
export function resolveConnection(redis: unknown, engineOptions: unknown): ResolvedConnection {
  const parsed = redisConnectionSchema.safeParse(redis ?? {})
  const extra = redisEngineOptionsSchema.safeParse(engineOptions ?? {})
  const problems = [
    ...(parsed.success ? [] : parsed.error.issues.map((i) => issue('redis', i))),
    ...(extra.success ? [] : extra.error.issues.map((i) => issue('engineOptions', i))),
  ]
  if (parsed.success) problems.push(...conflicts(parsed.data))
  if (problems.length > 0 || !parsed.success || !extra.success) {
    throw new ConfigurationError(`[twat-cache:redis] invalid options:\n${problems.map((p) => `  - ${p}`).join('\n')}`, {
      issues: problems,
    })
  }
  const input = parsed.data
  const fromUrl = input.url === undefined ? {} : parseRedisUrl(input.url)
  // A named field is more specific than the URL, so it wins (this is how a
  // TWAT_CACHE_REDIS_HOST/PORT override reaches a URL given in code).
  const merged: Fields = { ...fromUrl, ...defined(input) }
  const passthrough = { ...input.options }
  // Checked in `conflicts`: a number > 0 when given.
  const connectTimeout = (passthrough.connectTimeout as number | undefined) ?? DEFAULT_CONNECT_TIMEOUT
  const commandTimeout = (passthrough.commandTimeout as number | undefined) ?? DEFAULT_COMMAND_TIMEOUT
  const tls = merged.tls === true ? {} : merged.tls === false ? undefined : merged.tls
  const auth = {
    ...(merged.username !== undefined && { username: merged.username }),
    ...(merged.password !== undefined && { password: merged.password }),
    ...(tls !== undefined && { tls: tls as RedisOptions['tls'] }),
  }
  const common = {
    connectTimeout,
    commandTimeout,
    // One retry, then in-flight commands are rejected instead of waiting for a reconnect.
    maxRetriesPerRequest: 1,
    // Fail fast while disconnected, so ucache can run the function instead of waiting.
    enableOfflineQueue: false,
    enableAutoPipelining: true,
    retryStrategy: reconnectDelay,
  }
  const keyPrefix = input.keyPrefix ?? DEFAULT_KEY_PREFIX
  const scanCount = extra.data.scanCount ?? DEFAULT_SCAN_COUNT
  if (input.cluster) {
    const clusterOptions: ClusterOptions = {
      enableOfflineQueue: false,
      enableAutoPipelining: true,
      clusterRetryStrategy: reconnectDelay,
      ...passthrough,
      redisOptions: { ...common, ...auth, ...(passthrough.redisOptions as RedisOptions | undefined) },
      lazyConnect: true,
    }
    const target = `cluster ${input.cluster.map((n) => `${n.host}:${n.port}`).join(', ')}`
    return { kind: 'cluster', target, keyPrefix, scanCount, connectTimeout, commandTimeout, redisOptions: {}, clusterNodes: input.cluster, clusterOptions }
  }
  const redisOptions: RedisOptions = {
    ...common,
    ...auth,
    ...(merged.db !== undefined && { db: merged.db }),
    ...passthrough,
    // Never connect at creation, only on first use.
    lazyConnect: true,
  }
  if (input.sentinels) {
    redisOptions.sentinels = input.sentinels
    redisOptions.name = input.name!
    const target = `Sentinel group '${input.name}' via ${input.sentinels.map((n) => `${n.host}:${n.port}`).join(', ')}`
    return { kind: 'sentinel', target, keyPrefix, scanCount, connectTimeout, commandTimeout, redisOptions }
  }
  redisOptions.host = merged.host ?? '127.0.0.1'
  redisOptions.port = merged.port ?? 6379
  const target = `${redisOptions.host}:${redisOptions.port}`
  return { kind: 'standalone', target, keyPrefix, scanCount, connectTimeout, commandTimeout, redisOptions }
}

/**
 * The same connection with ioredis' timer per command off: the engine times its own commands
 * (deadlines.ts), which costs less on the hit path. The CLI inspector and the tracking
 * subscriber keep ioredis' timer.
 */
export function withoutCommandTimer(resolved: ResolvedConnection): ResolvedConnection {
  const drop = ({ commandTimeout: _, ...options }: RedisOptions): RedisOptions => options
  const { clusterOptions } = resolved
  return {
    ...resolved,
    redisOptions: drop(resolved.redisOptions),
    ...(clusterOptions && { clusterOptions: { ...clusterOptions, redisOptions: drop(clusterOptions.redisOptions ?? {}) } }),
  }
}

interface UrlParts {
  host?: string
  port?: number
  db?: number
  username?: string
  password?: string
  tls?: boolean
}

/** `redis[s]://[user[:password]@]host[:port][/db]`; credentials are percent-decoded. */
export function parseRedisUrl(url: string): UrlParts {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch (cause) {
    throw new ConfigurationError(`[twat-cache:redis] redis.url '${redact(url)}' is not a URL: use redis://host:6379/0 or rediss:// for TLS`, { cause })
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new ConfigurationError(`[twat-cache:redis] redis.url '${redact(url)}' must start with redis:// or rediss://`)
  }
  const parts: UrlParts = {}
  // IPv6 literals come back in brackets; net.connect wants them bare.
  if (parsed.hostname) parts.host = parsed.hostname.replace(/^\[(.*)\]$/, '$1')
  if (parsed.port) parts.port = Number(parsed.port)
  if (parsed.username) parts.username = decodeURIComponent(parsed.username)
  if (parsed.password) parts.password = decodeURIComponent(parsed.password)
  const db = parsed.pathname.replace(/^\//, '')
  if (db) {
    if (!/^\d+$/.test(db)) throw new ConfigurationError(`[twat-cache:redis] redis.url '${redact(url)}': the path must be a database number, got '/${db}'`)
    parts.db = Number(db)
  }
  if (parsed.protocol === 'rediss:') parts.tls = true
  return parts
}

/** The URL without its password, for messages. */
export function redact(url: string): string {
  return url.replace(/(\/\/[^:/@]*:)[^@]*@/, '$1***@')
}

function conflicts(input: z.output<typeof redisConnectionSchema>): string[] {
  const problems: string[] = []
  if (input.sentinels && !input.name) problems.push('redis.sentinels needs redis.name, the Sentinel master group name')
  if (input.name && !input.sentinels) problems.push('redis.name is the Sentinel master group name: give redis.sentinels too')
  if (input.cluster && input.sentinels) problems.push('redis.cluster and redis.sentinels exclude each other: pick one')
  if (input.cluster && input.db) problems.push('redis.db must be 0 with redis.cluster: Redis Cluster has a single database')
  if (input.options && 'keyPrefix' in input.options) {
    problems.push("redis.options.keyPrefix is not supported (it would not apply to SCAN): use redis.keyPrefix")
  }
  for (const [field, infinite] of [['connectTimeout', false], ['commandTimeout', true]] as const) {
    const value = input.options?.[field]
    if (value === undefined || (typeof value === 'number' && value > 0 && (infinite || Number.isFinite(value)))) continue
    const off = infinite ? ' (Infinity: no timeout)' : ''
    problems.push(`redis.options.${field} must be a number of milliseconds > 0${off}, got ${String(value)}; leave it out for the default`)
  }
  if (input.options && 'lazyConnect' in input.options && input.options.lazyConnect !== true) {
    problems.push('redis.options.lazyConnect must stay true: the engine connects on first use')
  }
  return problems
}

type Fields = Omit<UrlParts, 'tls'> & { tls?: boolean | Record<string, unknown> }

function defined(input: z.output<typeof redisConnectionSchema>): Fields {
  const out: Fields = {}
  if (input.host !== undefined) out.host = input.host
  if (input.port !== undefined) out.port = input.port
  if (input.db !== undefined) out.db = input.db
  if (input.username !== undefined) out.username = input.username
  if (input.password !== undefined) out.password = input.password
  if (input.tls !== undefined) out.tls = input.tls
  return out
}

function issue(section: string, i: z.core.$ZodIssue): string {
  const path = [section, ...i.path.map(String)].join('.')
  if (i.code === 'unrecognized_keys') return `unknown option${i.keys.length > 1 ? 's' : ''} ${i.keys.map((k) => `'${path}.${k}'`).join(', ')}`
  return `${path}: ${i.message}`
}
