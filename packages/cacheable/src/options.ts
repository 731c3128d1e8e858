import { parseEngineOptions } from '@twat-cache/core'
import type { Keyv } from 'cacheable'
import * as z from 'zod/mini'

/** What the engine needs from a Keyv instance; checked by shape so another copy of keyv works too. */
const KEYV_METHODS = ['get', 'getRaw', 'set', 'delete', 'has', 'clear', 'disconnect', 'on'] as const

function isKeyv(value: unknown): value is Keyv {
  if (typeof value !== 'object' || value === null) return false
  const candidate = value as Record<string, unknown>
  return KEYV_METHODS.every((method) => typeof candidate[method] === 'function')
}

/**
 * `engineOptions` of the `cacheable` engine, validated once when the engine is created.
 * `maxsize`, `ttl`, `policy` and `namespace` come from the cache options.
 */
export const cacheableEngineOptionsSchema = z.strictObject({
  /**
   * A second layer behind the in-memory primary: a `Keyv` instance over any Keyv store (Redis,
   * SQLite, Postgres, a Map...). Writes go to both layers; a primary miss reads the secondary and
   * copies the entry back into memory. Entries are keyed `<namespace>:<key>` inside the Keyv's own
   * namespace, so one Keyv can serve many cached functions. It must be able to list its keys
   * (Keyv's `iterator`) for `clear()` to remove one namespace; the engine does not disconnect it.
   */
  secondary: z.optional(
    z.custom<Keyv>(isKeyv, { message: 'expected a Keyv instance, e.g. new Keyv(new KeyvRedis(url))' }),
  ),
  /**
   * Return from `set`/`delete` once the primary is written, finishing the secondary write in the
   * background (cacheable's `nonBlocking`). Faster, but a failed secondary write is then reported
   * on a later call instead of the one that caused it.
   * @default false
   */
  nonBlocking: z.optional(z.boolean()),
})

export type CacheableEngineOptions = z.output<typeof cacheableEngineOptionsSchema>

/** Validate `engineOptions`; every bad field is listed in one `ConfigurationError`. */
export function parseCacheableEngineOptions(input: unknown): CacheableEngineOptions {
  return parseEngineOptions('cacheable', cacheableEngineOptionsSchema, input)
}
