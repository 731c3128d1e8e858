import { toMilliseconds } from './duration.js'

/*
 * Checks shared by the rule table (config.ts) and the published zod schema (schema.ts), so the
 * two cannot disagree on them.
 */

/** `undefined` if the folder name is safe, else why it is not. */
export function folderNameProblem(name: string): string | undefined {
  if (!/^[A-Za-z0-9._-]+$/.test(name)) {
    return `folderName '${name}' may only contain letters, digits, '.', '_' and '-' (for a path, use cacheDir)`
  }
  if (name === '.' || name.includes('..')) return `folderName '${name}' must not be '.' or contain '..'`
  return undefined
}

/** `engine` and its alias `preferredEngine` both given, with different names. */
export const enginesDisagree = (o: { engine?: unknown; preferredEngine?: unknown }): boolean =>
  o.engine !== undefined && o.preferredEngine !== undefined && o.engine !== o.preferredEngine

/** A `lock` whose lease (`ttl`) ends before a waiter gives up waiting (`wait`). */
export const leaseShorterThanWait = (o: unknown): boolean => {
  if (typeof o !== 'object' || o === null) return false
  const { ttl, wait } = o as { ttl?: unknown; wait?: unknown }
  if (ttl === undefined || wait === undefined) return false
  const t = toMilliseconds(ttl)
  const w = toMilliseconds(wait)
  return t !== undefined && w !== undefined && t < w
}
export const LEASE_SHORTER_THAN_WAIT =
  'lock.ttl must be ≥ lock.wait (a lease that ends before its waiters give up lets them all compute): raise lock.ttl or lower lock.wait'

/** Longest tag accepted (§13). */
export const MAX_TAG_LENGTH = 256

/** `undefined` if `tag` is a valid tag (a non-empty string of at most 256 characters), else what was expected. */
export function tagProblem(tag: unknown): string | undefined {
  if (typeof tag !== 'string' || tag === '') return 'expected a non-empty string'
  if (tag.length > MAX_TAG_LENGTH) return `expected a tag of at most ${MAX_TAG_LENGTH} characters`
  return undefined
}

/**
 * Problems between freshness fields, each field checked only when valid on its own (a bad field
 * is named once, by its own rule): stale windows need a `ttl` to count from, `jitter` a `ttl` to
 * scale (else it would be silently ignored), and a soft `timeout` at or above `hardTimeout`
 * could never fire.
 */
export function freshnessProblems(o: { ttl?: unknown; jitter?: unknown; staleWhileRevalidate?: unknown; staleIfError?: unknown; timeout?: unknown; hardTimeout?: unknown }): string[] {
  const problems: string[] = []
  for (const field of ['staleWhileRevalidate', 'staleIfError'] as const) {
    if (toMilliseconds(o[field]) !== undefined && o.ttl === undefined) problems.push(`${field}: needs a ttl (the window starts when the ttl ends)`)
  }
  if (typeof o.jitter === 'number' && o.jitter > 0 && o.jitter <= 1 && o.ttl === undefined) problems.push('jitter: needs a ttl (it scales each entry\'s ttl)')
  const soft = toMilliseconds(o.timeout)
  const hard = toMilliseconds(o.hardTimeout)
  if (soft !== undefined && hard !== undefined && soft >= hard) problems.push(`timeout: must be below hardTimeout (${soft} ms ≥ ${hard} ms); the soft timeout would never fire`)
  return problems
}
