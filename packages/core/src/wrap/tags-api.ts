import { tagProblem } from '../checks.js'
import { type CacheOptions, isObject } from '../config.js'
import { ConfigurationError, configurationProblems } from '../errors.js'
import { warnOnce } from '../logger.js'
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
   * A bare name (`'sqlite'`) is short for `{ engine: 'sqlite' }`.
   * @default every engine that cached functions of this process use (and the in-process tag registry)
   */
  engine?: Engine | (CacheOptions & { engine: string }) | string | undefined
}

/** Namespace of an engine opened only to mark tags: tag state is store-wide, so any will do. */
const TAGS_NAMESPACE = 'twat-cache-tags'

const isEngine = (value: unknown): value is Engine =>
  typeof value === 'object' && value !== null && typeof (value as Engine).get === 'function' && typeof (value as Engine).capabilities === 'object'

function checkTags(what: string, tags: unknown): readonly string[] {
  if (typeof tags === 'string') {
    throw new ConfigurationError(`${what}: expected an array of tags, got the string ${JSON.stringify(tags)}: wrap it in an array, ${what}([${JSON.stringify(tags)}])`)
  }
  if (!Array.isArray(tags)) throw new ConfigurationError(`${what}: expected an array of tags, got ${tags === null ? 'null' : typeof tags}`)
  const issues = tags.flatMap((tag, i) => {
    const problem = tagProblem(tag)
    return problem === undefined ? [] : [`tags.${i}: ${problem}`]
  })
  if (issues.length > 0) throw configurationProblems(`${what}: bad tags`, issues)
  return tags
}

/**
 * The engine `options` names, if any: an engine, or the options that open one (a bare name is
 * short for `{ engine: name }`). Anything else is an error, never "every engine": a typo in
 * `options` must not quietly widen the call to every engine, or aim it at a default one.
 */
function chosenEngine(what: string, options: unknown): Engine | (CacheOptions & { engine: string }) | undefined {
  if (options === undefined) return undefined
  const usage = `pass { engine } with an engine, or engine options such as { engine: 'sqlite', folderName }`
  if (!isObject(options)) throw new ConfigurationError(`${what}: options must be an object, got ${options === null ? 'null' : typeof options}; ${usage}`)
  const unknown = Object.keys(options).filter((name) => name !== 'engine')
  if (unknown.length > 0) throw new ConfigurationError(`${what}: unknown option(s) ${unknown.map((n) => `'${n}'`).join(', ')}; ${usage}`)
  const given = options.engine
  if (given === undefined) return undefined
  if (typeof given === 'string') return { engine: given }
  if (isEngine(given)) return given
  if (isObject(given) && typeof given.engine === 'string') return given as CacheOptions & { engine: string }
  throw new ConfigurationError(`${what}: options.engine must be an engine or engine options with an 'engine' name, got ${given === null ? 'null' : typeof given}; ${usage}`)
}

async function mark(what: string, kind: TagMark, tags: unknown, options: TagsOptions | undefined): Promise<void> {
  const list = checkTags(what, tags)
  const given = chosenEngine(what, options)
  if (list.length === 0) return
  const at = Date.now()
  // No wait for the clock to pass `at`: the tags step waits on a miss that follows a mark in
  // the same millisecond (tag-registry.ts, `passMark`), so calls here cost O(tags) only.
  noteMark(at)
  let opened: Engine | undefined
  let states: TagMethods[]
  if (given !== undefined) {
    const engine = isEngine(given) ? given : (opened = createEngine({ namespace: TAGS_NAMESPACE, ...given }))
    states = [tagStateOf(engine)]
  } else {
    const engines = trackedEngines()
    if (engines.length === 0) {
      warnOnce(
        'tags:no-engine',
        'tags',
        `${what}: no cached function of this process uses an engine yet, so only the in-process tag registry (memory, lru, node-cache, cacheable) was marked; to reach a shared or persistent store from a process that only invalidates, pass { engine }, e.g. { engine: { engine: 'redis', redis } }`,
      )
    }
    // The registry too: memory functions created later must see the mark.
    states = [...new Set<TagMethods>([processTags(), ...engines.map(tagStateOf)])]
  }
  try {
    const results = await Promise.allSettled(states.map(async (state) => state.markTags(list, kind, at)))
    // Engines closed by the user are skipped, as in clearCache; an engine named in `options` is
    // not: marking nothing there would be an invalidation silently lost.
    const failed = results.flatMap((r, i) => (r.status === 'rejected' && (given !== undefined || !isClosed(states[i] as Engine, r.reason)) ? [r.reason as unknown] : []))
    if (given !== undefined && failed.length > 0) throw failed[0]
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
