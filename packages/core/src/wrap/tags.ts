import { MISS, type TagState } from '../types.js'
import { type Envelope, NEVER, isEnvelope } from './envelope.js'
import type { Step, Store } from './pipeline.js'
import { type TagMethods, tagStateOf } from './tag-registry.js'

/**
 * The entry as its tags leave it (ARCHITECTURE.md §13): a tag invalidated at or after the
 * entry was created (its run started) makes it a miss; a tag expired at or after that moves its
 * `expiresAt` back to the expiry, and `staleUntil` back by as much, so the freshness stage above
 * serves it as stale for the function's own window from the mark (with no stale window: a
 * miss). "At or after": an entry whose run started in the mark's millisecond is dropped, never
 * served past it.
 */
export function applyTagState(entry: Envelope, state: TagState): Envelope | typeof MISS {
  if (state.invalidatedAt >= entry.createdAt) return MISS
  if (state.expiredAt >= entry.createdAt && state.expiredAt < entry.expiresAt) {
    const staleUntil = entry.staleUntil >= NEVER ? NEVER : state.expiredAt + (entry.staleUntil - entry.expiresAt)
    return { ...entry, expiresAt: state.expiredAt, staleUntil }
  }
  return entry
}

const sameTags = (a: readonly string[], b: readonly string[] | undefined): boolean => b !== undefined && a.length === b.length && a.every((t, i) => t === b[i])

/** How long an envelope may be kept (ms): tag records must outlive it. */
const lifetimeOf = (entry: Envelope): number => (entry.staleUntil >= NEVER ? Number.POSITIVE_INFINITY : entry.staleUntil - entry.createdAt)

/**
 * The tags step, right above the engine: checks a tagged envelope against the tag state (one
 * batched read for all its tags) and tells the tag state how long tagged entries live. Entries
 * without tags pass through untouched (no extra read).
 *
 * With static tags on an async engine the tag read is sent together with the entry's read, so
 * a hit costs one round trip (on Redis both go out before either answer is awaited).
 */
export const tagging: Step = (inner: Store, { engine, sync, config }): Store => {
  const state: TagMethods = tagStateOf(engine)
  const staticTags = Array.isArray(config.tags) && config.tags.length > 0 ? (config.tags as readonly string[]) : undefined
  let kept = 0

  const check = (stored: unknown, known?: TagState): unknown => {
    if (!isEnvelope(stored) || stored.tags === undefined) return stored
    if (known !== undefined && sameTags(stored.tags, staticTags)) return applyTagState(stored, known)
    const read = state.readTags(stored.tags)
    return sync ? applyTagState(stored, read as TagState) : Promise.resolve(read).then((s) => applyTagState(stored, s))
  }
  /** Notes a longer lifetime once per function (a write, so not on every set). */
  const keep = (value: unknown): unknown => {
    if (!isEnvelope(value) || value.tags === undefined) return undefined
    const lifetime = lifetimeOf(value)
    if (lifetime <= kept) return undefined
    kept = lifetime
    return state.keepTags(lifetime)
  }

  if (sync) {
    return {
      get: (key) => check(inner.get(key)),
      set: (key, value, options) => {
        keep(value)
        return inner.set(key, value, options)
      },
    }
  }
  return {
    get: async (key) => {
      if (staticTags === undefined) return check(await inner.get(key))
      const [stored, known] = await Promise.all([inner.get(key), state.readTags(staticTags)])
      return check(stored, known as TagState)
    },
    set: async (key, value, options) => {
      await keep(value)
      return inner.set(key, value, options)
    },
  }
}
