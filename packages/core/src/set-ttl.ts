import { ConfigurationError } from './errors.js'

/**
 * The error for a `set(key, value, { ttl })` whose ttl is NaN or not a number (a duration
 * string such as `'5m'` reaches an engine only from a caller that skipped the config): every
 * engine throws this one, so the message reads the same whichever engine refused the write.
 */
export function setTtlError(engine: string, ttl: unknown): ConfigurationError {
  return new ConfigurationError(`${engine} engine: set's ttl must be a number of milliseconds (0 or less: not stored), got ${String(ttl)}`)
}

/**
 * For engine authors: checks the ttl of a `set(key, value, { ttl })` (the per-call one, or the
 * engine's default) and returns it. `undefined` and `Infinity` mean no expiry, 0 or less means
 * "already expired: store nothing"; NaN or anything not a number throws `ConfigurationError`
 * naming the engine, because dropping the write would hide the caller's mistake. An async
 * engine calls it inside its `async` set, so the error arrives as a rejection.
 */
export function checkSetTtl(engine: string, ttl: number | undefined): number | undefined {
  if (ttl === undefined || (typeof ttl === 'number' && !Number.isNaN(ttl))) return ttl
  throw setTtlError(engine, ttl)
}
