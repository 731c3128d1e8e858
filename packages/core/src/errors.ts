/**
 * One error hierarchy. Every class has a stable `code` (for `switch`/logs) and keeps the
 * underlying `cause`; messages are sentences a user can act on.
 */

export interface TwatCacheErrorOptions {
  cause?: unknown
}

export class TwatCacheError extends Error {
  /** Stable machine-readable code, e.g. `E_CONFIGURATION`. */
  readonly code: string = 'E_TWAT_CACHE'
  override name = 'TwatCacheError'
  constructor(message: string, options?: TwatCacheErrorOptions) {
    super(message, options)
  }
}

/** Invalid options. `issues` lists every bad field. */
export class ConfigurationError extends TwatCacheError {
  override readonly code: string = 'E_CONFIGURATION'
  override name = 'ConfigurationError'
  readonly issues: readonly string[]
  constructor(message: string, options?: TwatCacheErrorOptions & { issues?: readonly string[] }) {
    super(message, options)
    this.issues = options?.issues ?? [message]
  }
}

/** `heading:` then one `  - issue` line per issue: how core reports several bad fields at once. */
export function configurationProblems(heading: string, issues: readonly string[], cause?: unknown): ConfigurationError {
  return new ConfigurationError(`${heading}:\n${issues.map((p) => `  - ${p}`).join('\n')}`, { issues, ...(cause !== undefined && { cause }) })
}

export class EngineError extends TwatCacheError {
  override readonly code: string = 'E_ENGINE'
  override name = 'EngineError'
}

/**
 * Any operation on an engine after its `close()`: every engine throws (sync) or rejects (async)
 * with this; a second `close()` is a no-op.
 */
export class EngineClosedError extends EngineError {
  override readonly code: string = 'E_ENGINE_CLOSED'
  override name = 'EngineClosedError'
  readonly engine: string
  constructor(engine: string, options?: TwatCacheErrorOptions) {
    super(`[twat-cache:${engine}] the engine is closed: create a new engine (or cached function) to keep caching`, options)
    this.engine = engine
  }
}

export class EngineNotAvailableError extends EngineError {
  override readonly code: string = 'E_ENGINE_NOT_AVAILABLE'
  override name = 'EngineNotAvailableError'
  readonly engine: string
  constructor(engine: string, reason?: string, options?: TwatCacheErrorOptions) {
    super(`Cache engine '${engine}' is not available${reason ? `: ${reason}` : ''}`, options)
    this.engine = engine
  }
}

export class CacheOperationError extends TwatCacheError {
  override readonly code: string = 'E_CACHE_OPERATION'
  override name = 'CacheOperationError'
}

/** Arguments that cannot be turned into a key (functions, symbols, cycles). */
export class CacheKeyError extends CacheOperationError {
  override readonly code: string = 'E_CACHE_KEY'
  override name = 'CacheKeyError'
}

export class CacheValueError extends CacheOperationError {
  override readonly code: string = 'E_CACHE_VALUE'
  override name = 'CacheValueError'
}

export class SerializationError extends CacheOperationError {
  override readonly code: string = 'E_SERIALIZATION'
  override name = 'SerializationError'
}

export class ResourceError extends TwatCacheError {
  override readonly code: string = 'E_RESOURCE'
  override name = 'ResourceError'
}

export class ConcurrencyError extends ResourceError {
  override readonly code: string = 'E_CONCURRENCY'
  override name = 'ConcurrencyError'
}

/** A cache location that is invalid or unusable. */
export class PathError extends ResourceError {
  override readonly code: string = 'E_PATH'
  override name = 'PathError'
}

/**
 * A cached call took longer than its `hardTimeout`. The run it waited for is abandoned: its
 * late result is not stored.
 */
export class TimeoutError extends CacheOperationError {
  override readonly code: string = 'E_TIMEOUT'
  override name = 'TimeoutError'
  /** The `hardTimeout` that elapsed, in milliseconds. */
  readonly timeoutMs: number
  constructor(message: string, timeoutMs: number, options?: TwatCacheErrorOptions) {
    super(message, options)
    this.timeoutMs = timeoutMs
  }
}
