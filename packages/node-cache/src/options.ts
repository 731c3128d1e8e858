import { parseEngineOptions } from '@twat-cache/core'
import * as z from 'zod/mini'

/**
 * `engineOptions` of the `node-cache` engine, validated once when the engine is created.
 * `maxsize`, `ttl` and `policy` come from the cache options.
 */
export const nodeCacheEngineOptionsSchema = z.strictObject({
  /**
   * Seconds between sweeps that delete expired entries (node-cache's `checkperiod`). `0` starts
   * no timer: expired entries are then dropped when read, listed, counted or evicted. The timer is
   * `unref()`'d and stopped by `close()`.
   * @default 600 when a `ttl` is configured, else 0
   */
  checkperiod: z.optional(z.number().check(z.minimum(0))),
  /**
   * Store and return deep copies (`structuredClone`), like an external cache would, instead of
   * the live values. Values that cannot be cloned (functions, class instances lose prototypes)
   * then fail or change shape.
   * @default false
   */
  useClones: z.optional(z.boolean()),
})

export type NodeCacheEngineOptions = z.output<typeof nodeCacheEngineOptionsSchema>

/** Validate `engineOptions`; every bad field is listed in one `ConfigurationError`. */
export function parseNodeCacheEngineOptions(input: unknown): NodeCacheEngineOptions {
  return parseEngineOptions('node-cache', nodeCacheEngineOptionsSchema, input)
}
