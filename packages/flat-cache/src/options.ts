import { parseEngineOptions } from '@twat-cache/core'
import * as z from 'zod/mini'

/**
 * `engineOptions` understood by the flat-cache engine. Parsed once when the engine is created;
 * unknown fields are rejected so a typo does not silently fall back to a default.
 */
export const flatCacheOptionsSchema = z.strictObject({
  /**
   * How long after the first unsaved change the cache file is rewritten, in milliseconds.
   * Changes made meanwhile ride along in the same write, so a burst of `set` calls costs one
   * write. `0` writes the file synchronously on every change (durable, but each write rewrites
   * the whole file). `close()` and process exit always write pending changes.
   * @default 1000
   */
  debounceMs: z.optional(z.number().check(z.int(), z.minimum(0), z.maximum(2_147_483_647))),
  /**
   * Write pending changes from a `process.on('exit')` hook, so a short-lived script that never
   * calls `close()` still persists what it computed.
   * @default true
   */
  flushOnExit: z.optional(z.boolean()),
})

export type FlatCacheEngineOptions = z.input<typeof flatCacheOptionsSchema>

/** {@link FlatCacheEngineOptions} with defaults applied. */
export interface ResolvedFlatCacheOptions {
  readonly debounceMs: number
  readonly flushOnExit: boolean
}

export const DEFAULT_DEBOUNCE_MS = 1000

/** Validate `engineOptions`; every bad field is listed in one `ConfigurationError`. */
export function parseFlatCacheOptions(input: Record<string, unknown> | undefined): ResolvedFlatCacheOptions {
  const data = parseEngineOptions('flat-cache', flatCacheOptionsSchema, input, {
    debounceMs: 'expected a whole number of milliseconds ≥ 0',
  })
  return {
    debounceMs: data.debounceMs ?? DEFAULT_DEBOUNCE_MS,
    flushOnExit: data.flushOnExit ?? true,
  }
}
