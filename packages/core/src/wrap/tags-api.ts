import { tagProblem } from '../checks.js'
import type { CacheOptions } from '../config.js'
import { ConfigurationError, configurationProblems } from '../errors.js'
import { createEngine } from '../registry.js'
import type { Engine, TagMark } from '../types.js'
import { isClosed } from './closed.js'
import { trackedEngines } from './stats.js'
import { type TagMethods, noteMark, processTags, tagStateOf } from './tag-registry.js'

/** Options of `invalidateTags` and `expireTags`. */
export interface TagsOptions {
  /**
   * Act only on this engine: an engine instance, or engine options (`{ engine: 'redis', redis }`,
   * `{ engine: 'sqlite', folderName }`) for a process that only invalidates. The engine is then
   * opened for the call and closed after it.
   * @default every engine that cached functions of this process use (and the in-process tag registry)
   */
  engine?: Engine | (CacheOptions & { engine: string }) | undefined
}

/** Namespace of an engine opened only to mark tags: tag state is store-wide, so any will do. */
const TAGS_NAMESPACE = 'twat-cache-tags'

const isEngine = (value: unknown): value is Engine =>
  typeof value === 'object' && value !== null && typeof (value as Engine).get === 'function' && typeof (value as Engine).capabilities === 'object'

function checkTags(what: string, tags: unknown): readonly string[] {
  if (!Array.isArray(tags)) throw new ConfigurationError(`${what}: expected an array of tags, got ${tags === null ? 'null' : typeof tags}`)
  const issues = tags.flatMap((tag, i) => {
    const problem = tagProblem(tag)
    return problem === undefined ? [] : [`tags.${i}: ${problem}`]
  })
  if (issues.length > 0) throw configurationProblems(`${what}: bad tags`, issues)
  return tags
}

async function mark(what: string, kind: TagMark, tags: unknown, options: TagsOptions | undefined): Promise<void> {
  const list = checkTags(what, tags)
  if (list.length === 0) return
  const at = Date.now()
  // No wait for the clock to pass `at`: the tags step waits on a miss that follows a mark in
  // the same millisecond (tag-registry.ts, `passMark`), so calls here cost O(tags) only.
  noteMark(at)
  const given = options?.engine
  let opened: Engine | undefined
  let states: TagMethods[]
  if (given !== undefined) {
    const engine = isEngine(given) ? given : (opened = createEngine({ namespace: TAGS_NAMESPACE, ...given }))
    states = [tagStateOf(engine)]
  } else {
    // The registry too: memory functions created later must see the mark.
    states = [...new Set<TagMethods>([processTags(), ...trackedEngines().map(tagStateOf)])]
  }
  try {
    const results = await Promise.allSettled(states.map(async (state) => state.markTags(list, kind, at)))
    const failed = results.flatMap((r, i) => (r.status === 'rejected' && !isClosed(states[i] as Engine, r.reason) ? [r.reason as unknown] : []))
    if (failed.length > 0) {
      throw new AggregateError(failed, `${what}: ${failed.length} engine(s) could not record the tags; every other one did`)
    }
  } finally {
    await opened?.close()
  }
}

/**
 * Drop every entry carrying one of `tags`: the next call of each recomputes. Acts on every
 * engine that cached functions of this process use (engines closed by the user are skipped),
 * or only on `options.engine`. On shared and persistent engines it reaches every process,
 * including processes started later and entries written before the call. Costs O(tags): tag
 * state is one record per tag, never a scan of the keys.
 *
 * ```ts
 * await invalidateTags(['user:7'], { engine: { engine: 'redis', redis: { url } } })
 * ```
 */
export function invalidateTags(tags: readonly string[], options?: TagsOptions): Promise<void> {
  return mark('invalidateTags', 'invalidate', tags, options)
}

/**
 * Make every entry carrying one of `tags` stale at once: with `staleWhileRevalidate` it is
 * served once more while one refresh runs; without a stale window it is simply expired (the
 * next call recomputes). Same reach and cost as {@link invalidateTags}.
 */
export function expireTags(tags: readonly string[], options?: TagsOptions): Promise<void> {
  return mark('expireTags', 'expire', tags, options)
}
