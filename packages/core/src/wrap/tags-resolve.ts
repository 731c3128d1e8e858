import { CacheValueError } from '../errors.js'

/**
 * The tags of one entry (ARCHITECTURE.md §13): `tags` is the `tags` option, either a fixed list
 * or a function of the result and the arguments. `undefined` when the option is not set.
 * Throws a `CacheValueError` when the function throws or returns anything but an array of
 * strings; the caller then returns the value uncached.
 */
export function resolveTags(tags: unknown, value: unknown, args: readonly unknown[]): readonly string[] | undefined {
  if (tags === undefined) return undefined
  if (typeof tags !== 'function') return tags as readonly string[]
  let result: unknown
  try {
    result = tags(value, ...args)
  } catch (error) {
    throw new CacheValueError(`the tags function threw (${error instanceof Error ? error.message : String(error)}); the value is returned uncached`, { cause: error })
  }
  if (!Array.isArray(result) || !result.every((tag) => typeof tag === 'string')) {
    throw new CacheValueError('the tags function must return an array of strings; the value is returned uncached')
  }
  return result
}
