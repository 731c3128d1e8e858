import { CacheValueError } from '../errors.js'
import { log } from '../logger.js'
import { MISS } from '../types.js'
import { NEVER, envelope, isEnvelope } from './envelope.js'
import type { Step, Store } from './pipeline.js'
import { resolveTags } from './tags-resolve.js'

/*
 * Minimal envelope writing and reading for tagged functions, until the freshness stage
 * (ARCHITECTURE.md §12, which owns envelopes) replaces it: the value is stored as an envelope
 * carrying its tags, and read back as the bare value while `expiresAt` has not passed.
 * No stale serving here: an expired envelope (e.g. after `expireTags`) is a miss.
 */

/** Unwraps a stored envelope: its value while fresh, else a miss (a bare value is a miss too). */
function unwrap(stored: unknown): unknown {
  if (!isEnvelope(stored) || stored.expiresAt <= Date.now()) return MISS
  return stored.value
}

export const enveloping: Step = (inner: Store, { name, sync, config }): Store => {
  /** The envelope to store, or `undefined` when the tags function failed (then nothing is stored). */
  const wrap = (value: unknown, args: readonly unknown[]): unknown => {
    if (isEnvelope(value)) return value
    let tags: readonly string[] | undefined
    try {
      tags = resolveTags(config.tags, value, args)
    } catch (error) {
      if (!(error instanceof CacheValueError)) throw error
      log('warn', 'tags', `'${name}': ${error.message}`, error)
      return undefined
    }
    const now = Date.now()
    const expiresAt = config.ttl === undefined ? NEVER : Math.min(NEVER, now + config.ttl)
    return envelope(value, now, expiresAt, expiresAt, tags)
  }
  if (sync) {
    return {
      get: (key) => unwrap(inner.get(key)),
      set: (key, value, args = []) => {
        const entry = wrap(value, args)
        return entry === undefined ? undefined : inner.set(key, entry, args)
      },
    }
  }
  return {
    get: async (key) => unwrap(await inner.get(key)),
    set: async (key, value, args = []) => {
      const entry = wrap(value, args)
      return entry === undefined ? undefined : inner.set(key, entry, args)
    },
  }
}
