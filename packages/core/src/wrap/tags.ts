import { MISS, type TagState } from '../types.js'
import { type Envelope, NEVER, isEnvelope } from './envelope.js'
import type { Step, Store } from './pipeline.js'
import { type TagMethods, type TaggedReads, isTagRegistry, latestMark, passMark, tagStateOf } from './tag-registry.js'

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
    // No ttl (`expiresAt` NEVER) means no stale window, so the entry is gone at the mark; a
    // finite `expiresAt` with `staleUntil` NEVER is a window without end, which stays.
    const window = entry.expiresAt >= NEVER ? 0 : entry.staleUntil - entry.expiresAt
    const staleUntil = entry.expiresAt < NEVER && entry.staleUntil >= NEVER ? NEVER : state.expiredAt + window
    return { ...entry, expiresAt: state.expiredAt, staleUntil }
  }
  return entry
}

const sameTags = (a: readonly string[], b: readonly string[] | undefined): boolean => b !== undefined && a.length === b.length && a.every((t, i) => t === b[i])

/** How long an envelope may be kept (ms): tag records must outlive it. */
const lifetimeOf = (entry: Envelope): number => (entry.staleUntil >= NEVER ? Number.POSITIVE_INFINITY : entry.staleUntil - entry.createdAt)

const newest = (state: TagState): number => Math.max(state.invalidatedAt, state.expiredAt)

/**
 * The tags step, right above the engine: checks a tagged envelope against the tag state (one
 * batched read for all its tags) and tells the tag state how long tagged entries live. Entries
 * without tags pass through untouched (no extra read).
 *
 * With static tags on an async engine the tag read goes out with the entry's read, so a hit
 * costs one round trip: one command where the engine offers `getWithTags` (redis: one `MGET`),
 * else both requests sent before either answer is awaited. With a tags function the same holds
 * for keys whose tags this process has seen (it remembers them for up to `maxsize`, at most
 * 10,000, keys); another key's hit reads its tags' state after the entry.
 *
 * A miss, or an entry the tags drop or expire, is answered only once the clock has left the
 * newest mark's millisecond (`passMark`, ≤ 1 ms and only right after a mark), so the run that
 * follows is created after the mark instead of being dropped by it once more.
 */
export const tagging: Step = (inner: Store, { engine, sync, config }): Store => {
  const state: TagMethods = tagStateOf(engine)
  const staticTags = Array.isArray(config.tags) && config.tags.length > 0 ? (config.tags as readonly string[]) : undefined
  let kept = 0

  /** The entry under `s`; a changed entry means a run or a refresh follows. */
  const apply = (stored: Envelope, s: TagState): unknown => {
    const result = applyTagState(stored, s)
    if (result !== stored) passMark(newest(s))
    return result
  }
  /** `known`: the state of `knownTags`, read with the entry; used if they are the entry's tags. */
  const check = (stored: unknown, known?: TagState, knownTags?: readonly string[]): unknown => {
    if (stored === MISS) {
      passMark(latestMark())
      if (known !== undefined) passMark(newest(known))
      return MISS
    }
    if (!isEnvelope(stored) || stored.tags === undefined) return stored
    if (known !== undefined && sameTags(stored.tags, knownTags)) return apply(stored, known)
    const read = state.readTags(stored.tags)
    return sync ? apply(stored, read as TagState) : Promise.resolve(read).then((s) => apply(stored, s))
  }
  /**
   * Notes a longer lifetime once per function (a write, so not on every set). Only a note the
   * engine took counts: after a failed one the next write tries again, else the store could
   * drop tag records while entries that carry them live on.
   */
  const keep = (value: unknown): unknown => {
    if (!isEnvelope(value) || value.tags === undefined) return undefined
    const lifetime = lifetimeOf(value)
    if (lifetime <= kept) return undefined
    const before = kept
    kept = lifetime
    const undo = (error: unknown): never => {
      if (kept === lifetime) kept = before
      throw error
    }
    let noted: unknown
    try {
      noted = state.keepTags(lifetime)
    } catch (error) {
      undo(error)
    }
    return sync ? noted : Promise.resolve(noted).catch(undo)
  }

  if (sync) {
    // The in-process registry says when its answers change (`version`): a hit keeps the last
    // answer for the same tags array (static tags are one array, stored by reference by
    // process-local engines) instead of looking every tag up again.
    let seenTags: readonly string[] | undefined
    let seenVersion = -1
    let seenState: TagState | undefined
    const readSync = isTagRegistry(state)
      ? (tags: readonly string[]): TagState => {
          if (tags === seenTags && state.version === seenVersion) return seenState!
          seenVersion = state.version
          seenState = state.readTags(tags)
          seenTags = tags
          return seenState
        }
      : (tags: readonly string[]): TagState => state.readTags(tags) as TagState
    return {
      get(key) {
        const stored = inner.get(key)
        if (stored === MISS || !isEnvelope(stored) || stored.tags === undefined) return check(stored)
        return apply(stored, readSync(stored.tags))
      },
      set: (key, value, options) => {
        keep(value)
        return inner.set(key, value, options)
      },
    }
  }
  // The entry and the state of `tags` in one round trip: one command where the engine offers
  // `getWithTags` (redis: one MGET), else both requests sent before either answer is awaited.
  const combined = inner === engine && typeof (engine as Partial<TaggedReads>).getWithTags === 'function' ? (engine as unknown as TaggedReads) : undefined
  const withTags = combined
    ? (key: string, tags: readonly string[]) => combined.getWithTags(key, tags)
    : (key: string, tags: readonly string[]) => Promise.all([inner.get(key), state.readTags(tags)]) as Promise<readonly [unknown, TagState]>
  // A tags function: an entry's tags are known only once it is read. Keys whose tags this
  // process saw (written or read here) are read with those tags' state in one round trip; if
  // the entry's tags changed since, the state of its new tags is read after it. Not for tag
  // state kept in this process, which costs no round trip.
  const hints = staticTags === undefined && !isTagRegistry(state) ? recentTags(Math.min(config.maxsize, MAX_HINTS)) : undefined
  const set: Store['set'] = async (key, value, options) => {
    await keep(value)
    if (hints !== undefined && isEnvelope(value) && value.tags !== undefined) hints.note(key, value.tags)
    return inner.set(key, value, options)
  }
  if (staticTags !== undefined) {
    const settle = ([stored, known]: readonly [unknown, TagState]): unknown => check(stored, known, staticTags)
    return { get: (key) => withTags(key, staticTags).then(settle), set }
  }
  /** The entry `stored` under `key`, checked; its tags noted for the key's next hit. */
  const seen = (key: string, stored: unknown, known?: TagState, knownTags?: readonly string[]): unknown => {
    if (hints !== undefined && isEnvelope(stored) && stored.tags !== undefined) hints.note(key, stored.tags)
    return check(stored, known, knownTags)
  }
  return {
    async get(key) {
      const tags = hints?.get(key)
      if (tags === undefined) return seen(key, await inner.get(key))
      const [stored, known] = await withTags(key, tags)
      return seen(key, stored, known, tags)
    },
    set,
  }
}

/** Keys whose tags a tags function's step remembers, at most (ten thousand keys' tags: ~1 MB). */
const MAX_HINTS = 10_000

/** The tags of the `max` keys seen last (the oldest key is forgotten first). */
function recentTags(max: number) {
  const seen = new Map<string, readonly string[]>()
  return {
    get: (key: string): readonly string[] | undefined => seen.get(key),
    note(key: string, tags: readonly string[]): void {
      if (sameTags(tags, seen.get(key))) return
      seen.delete(key)
      seen.set(key, tags)
      if (seen.size > max) seen.delete(seen.keys().next().value!)
    },
  }
}
