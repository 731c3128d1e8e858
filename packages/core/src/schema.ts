import * as z from 'zod/mini'
import { DURATION_EXPECTED, toMilliseconds } from './duration.js'
import { LEASE_SHORTER_THAN_WAIT, enginesDisagree, folderNameProblem, freshnessProblems, leaseShorterThanWait, tagProblem } from './checks.js'

/*
 * The published options schema. It is the source of the option types (`CacheOptions` is
 * `z.input<typeof cacheConfigSchema>`) and is exported for users who validate configuration
 * themselves (forms, config files, JSON Schema via zod).
 *
 * The wrappers do not run it: with it, a consumer importing only `mcache` bundled to 16.4 KB
 * min+gzip, 10 KB of which was zod (even a five-field zod/mini schema is 6 KB), against an 8 KB
 * budget. `createCacheConfig` validates with the small rule table in config.ts instead, and a
 * test checks on generated inputs that both accept and reject exactly the same shapes.
 */

/** Milliseconds or a duration string; normalised by `toMilliseconds` (whole ms, rounded up). */
const duration = z.union([z.number(), z.string()]).check(z.refine((v) => toMilliseconds(v) !== undefined, DURATION_EXPECTED))
const positiveInt = z.number().check(z.int(), z.minimum(1))
const nonEmpty = z.string().check(z.minLength(1))
const port = z.number().check(z.int(), z.minimum(1), z.maximum(65535))
const node = z.strictObject({ host: nonEmpty, port })
const tag = z.string().check(z.refine((v) => tagProblem(v) === undefined, 'expected a non-empty tag of at most 256 characters'))

/**
 * The Redis connection settings, written once: `createCacheConfig` checks the same fields (its
 * rule table mirrors this, proven by a test) and `@twat-cache/redis` parses with this schema.
 */
export const redisSchema = z.strictObject({
  /** `redis://user:pass@host:6379/0`, or `rediss://` for TLS. Explicit fields below override its parts. */
  url: z.optional(nonEmpty),
  /** Server host name or address. @default '127.0.0.1' */
  host: z.optional(nonEmpty),
  /** Server port. @default 6379 */
  port: z.optional(port),
  /** Database number (standalone and Sentinel only). @default 0 */
  db: z.optional(z.number().check(z.int(), z.minimum(0))),
  /** ACL user name (Redis 6+). */
  username: z.optional(z.string()),
  /** `AUTH` password; prefer `TWAT_CACHE_REDIS_PASSWORD` over writing it in code. */
  password: z.optional(z.string()),
  /** `true` or ioredis/Node TLS options. */
  tls: z.optional(z.union([z.boolean(), z.record(z.string(), z.unknown())])),
  /** Prefix for every key this process writes. @default 'twat-cache:' */
  keyPrefix: z.optional(z.string()),
  /** Sentinel nodes; needs `name`, the master group name. */
  sentinels: z.optional(z.array(node).check(z.minLength(1))),
  /** Sentinel master group name (with `sentinels`). */
  name: z.optional(nonEmpty),
  /** Cluster start-up nodes: connects with ioredis `Cluster`. */
  cluster: z.optional(z.array(node).check(z.minLength(1))),
  /**
   * Passed to ioredis (`RedisOptions`, or `ClusterOptions` with `cluster`), over the engine's
   * defaults (timeouts, retry strategy, no offline queue, auto-pipelining).
   */
  options: z.optional(z.record(z.string(), z.unknown())),
})

export const compressSchema = z.union([
  z.boolean(),
  z.strictObject({
    /** Compression algorithm (node:zlib). @default 'gzip' */
    algorithm: z.optional(z.enum(['gzip', 'brotli', 'deflate'])),
    /** Compression level (zlib 0–9; brotli quality 0–11); omitted, each algorithm uses its own default. */
    level: z.optional(z.number().check(z.int(), z.minimum(0), z.maximum(11))),
    /** Only values larger than this many bytes are compressed. @default 1024 */
    threshold: z.optional(z.number().check(z.int(), z.minimum(0))),
  }),
])

export const serializerSchema = z.union([
  z.literal('json'),
  z.literal('default'),
  z.strictObject({
    /** Turns a value into a string or bytes. */
    serialize: z.custom<(value: unknown) => string | Uint8Array>((v) => typeof v === 'function'),
    /** Turns what `serialize` produced back into the value. */
    deserialize: z.custom<(data: string | Uint8Array) => unknown>((v) => typeof v === 'function'),
  }),
])

/** `l1` as an object (docs/guide/tiers.md). */
export const tierSchema = z.strictObject({
  /** Entries kept in memory. @default the function's `maxsize` */
  maxsize: z.optional(positiveInt),
  /** Caps an entry's time in memory; never beyond its expiry in the engine. @default its expiry in the engine */
  ttl: z.optional(duration),
})

/** `lock` as an object (docs/guide/tiers.md). */
export const lockSchema = z
  .strictObject({
    /** The lease: a holder that dies releases the key after it. @default '30s', or `wait` if longer */
    ttl: z.optional(duration),
    /** How long a caller waits for another process's result before computing itself. @default half of `ttl` */
    wait: z.optional(duration),
  })
  .check(z.refine((o) => !leaseShorterThanWait(o), LEASE_SHORTER_THAN_WAIT))

/**
 * The published options schema (zod/mini). `createCacheConfig` parses input with it once, at
 * creation; the hot path never re-validates.
 */
export const cacheConfigSchema = z.strictObject({
  /** Max entries per cached function. @default 1000 */
  maxsize: z.optional(positiveInt),
  /** Size bound in bytes, where the engine supports it. */
  maxBytes: z.optional(positiveInt),
  /**
   * Time to live: milliseconds, or `'500ms' | '30s' | '5m' | '1h' | '1d'`; fractions of a
   * millisecond round up, at most `Number.MAX_SAFE_INTEGER` ms. Or a function of the result and
   * the arguments returning one (`0`: do not store that result). Omit for no expiry.
   */
  ttl: z.optional(z.union([duration, z.custom<(value: unknown, ...args: unknown[]) => number | string>((v) => typeof v === 'function')])),
  /**
   * `0..1`: each entry's TTL is scaled by a random factor in `[1 - jitter, 1]`, so entries
   * written together do not expire together. Needs a `ttl`. @default 0
   */
  jitter: z.optional(z.number().check(z.minimum(0), z.maximum(1))),
  /**
   * After `ttl`, for this long a call returns the stale value at once and starts one background
   * refresh (shared by concurrent callers). Needs `ttl`.
   */
  staleWhileRevalidate: z.optional(duration),
  /**
   * After `ttl`, for this long a refresh that throws or rejects is answered with the stale value
   * (logged once per episode). Needs `ttl`.
   */
  staleIfError: z.optional(duration),
  /**
   * Soft timeout: when a refresh the caller waits for has a stale value to fall back on and
   * takes longer than this, the caller gets the stale value; the refresh finishes in the
   * background. Must be below `hardTimeout`.
   */
  timeout: z.optional(duration),
  /**
   * The call rejects with `TimeoutError` after this long, cached or not; nothing is stored from
   * an abandoned run. Applies to promises (a sync function cannot time out).
   */
  hardTimeout: z.optional(duration),
  /**
   * `(previous: { value, createdAt, expiresAt }, ...args) => value | notModified`: refreshes an
   * entry that exists instead of the function; `notModified` keeps the value and restarts its TTL.
   */
  revalidate: z.optional(z.custom<(previous: { value: unknown; createdAt: number; expiresAt: number }, ...args: unknown[]) => unknown>((v) => typeof v === 'function')),
  /**
   * A process-local memory tier in front of a shared or persistent engine (redis, sqlite), kept
   * coherent with other processes (docs/guide/tiers.md). `true` is `{}`.
   * @default false
   */
  l1: z.optional(z.union([z.boolean(), tierSchema])),
  /**
   * Compute a cold or expired key once across processes (redis; sqlite for one host).
   * `true` is `{ ttl: '30s', wait: '15s' }`; `ttl` must be ≥ `wait`.
   * @default false
   */
  lock: z.optional(z.union([z.boolean(), lockSchema])),
  /**
   * Eviction policy. When omitted, each engine evicts its own way (least-recently-used for every
   * engine that evicts per function); when given, only engines that honour it are chosen.
   */
  policy: z.optional(z.enum(['lru', 'lfu', 'fifo', 'rr'])),
  /** Preferred engine name; the chain falls back (with one warning) if it is not installed. */
  engine: z.optional(z.string()),
  /** Same as `engine`; the spelling of the Python twat-cache's `preferred_engine`. */
  preferredEngine: z.optional(z.string()),
  /** Key namespace. @default function name + hash of its source */
  namespace: z.optional(z.string().check(z.minLength(1))),
  /** Sub-folder of the cache directory: `[A-Za-z0-9._-]+`, never `..`. */
  folderName: z.optional(z.string().check(z.refine((v) => folderNameProblem(v) === undefined, 'expected [A-Za-z0-9._-]+ without ..'))),
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
  /**
   * Tags of every entry (ARCHITECTURE.md §13): a list, or `(value, ...args) => tags` computed
   * from the result. `invalidateTags` / `expireTags` then drop or expire every entry carrying
   * one. Each tag is a non-empty string of at most 256 characters.
   */
  tags: z.optional(z.union([z.array(tag), z.custom<(value: never, ...args: never[]) => readonly string[]>((v) => typeof v === 'function')])),
  /** Custom key builder, replacing the stable argument serialization. */
  key: z.optional(z.custom<(...args: never[]) => string>((v) => typeof v === 'function')),
  /** Options passed verbatim to the engine's factory, which validates them with its own schema. */
  engineOptions: z.optional(z.record(z.string(), z.unknown())),
})
  .check(z.refine((o) => !enginesDisagree(o), 'engine and preferredEngine disagree: pass only one'))
  .check(z.refine((o) => freshnessProblems(o).length === 0, 'staleWhileRevalidate, staleIfError and jitter need a ttl; timeout must be below hardTimeout'))

