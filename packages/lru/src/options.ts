import { parseEngineOptions } from '@twat-cache/core'
// zod/mini, not zod: this package is bundled for browsers and edge runtimes (~4 KB vs ~90 KB).
import * as z from 'zod/mini'

/** Size of one entry in bytes, for the `maxBytes` bound: a positive integer. */
export type LruSizeCalculator = (value: unknown, key: string) => number

/**
 * `engineOptions` of the `lru` engine, validated once when the engine is created. Everything
 * else (`maxsize`, `maxBytes`, `ttl`) comes from the cache options.
 */
export const lruEngineOptionsSchema = z.strictObject({
  /**
   * Bytes an entry counts against `maxBytes`. Only read when `maxBytes` is set.
   * @default a built-in estimate of the key's and the value's heap size (see docs/engines/lru.md)
   */
  sizeCalculation: z.optional(z.custom<LruSizeCalculator>((v) => typeof v === 'function')),
  /**
   * Restart an entry's TTL each time it is read (a sliding expiry) instead of counting from the
   * write.
   * @default false
   */
  updateAgeOnGet: z.optional(z.boolean()),
})

export type LruEngineOptions = z.output<typeof lruEngineOptionsSchema>

/** Validate `engineOptions`; every bad field is listed in one `ConfigurationError`. */
export function parseLruEngineOptions(input: unknown): LruEngineOptions {
  return parseEngineOptions('lru', lruEngineOptionsSchema, input)
}
