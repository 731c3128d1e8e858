import { tagProblem } from '../checks.js'
import { CacheValueError } from '../errors.js'

const reason = (error: unknown): string => (error instanceof Error ? error.message : String(error))

/**
 * The tags of one entry (ARCHITECTURE.md §13): `undefined` when the function has no `tags`
 * option, the static list (already checked by `createCacheConfig`), or what the tags function
 * returns for this value and these arguments. A tags function that throws, or returns anything
 * but an array of valid tags, is a `CacheValueError`: the caller still gets its value, which is
 * just not cached.
 */
export function resolveTags(tags: unknown, value: unknown, args: readonly unknown[]): readonly string[] | undefined {
  if (typeof tags !== 'function') return tags as readonly string[] | undefined
  let result: unknown
  try {
    result = tags(value, ...args)
  } catch (error) {
    throw new CacheValueError(`the tags function threw (${reason(error)}); the value was returned but not cached`, { cause: error })
  }
  if (!Array.isArray(result)) {
    const got = result === null ? 'null' : typeof (result as PromiseLike<unknown> | undefined)?.then === 'function' ? 'a promise (it must be synchronous)' : typeof result
    throw new CacheValueError(`the tags function must return an array of tags, got ${got}; the value was returned but not cached`)
  }
  for (const [i, tag] of result.entries()) {
    const problem = tagProblem(tag)
    if (problem !== undefined) {
      throw new CacheValueError(`the tags function returned a bad tag at index ${i} (${problem}, got ${JSON.stringify(tag) ?? typeof tag}); the value was returned but not cached`)
    }
  }
  return result as readonly string[]
}
