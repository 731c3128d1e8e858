import { parseEngineOptions } from '@twat-cache/core'
// zod/mini, not zod: this package is bundled into Workers (~4 KB vs ~90 KB).
import * as z from 'zod/mini'

/** Prefix of every key the engine writes, before `<namespace>:`. */
export const DEFAULT_KEY_PREFIX = 'twat-cache:'

/**
 * The part of a Workers KV binding (`KVNamespace`) the engine calls. Declared here so the package
 * needs no `@cloudflare/workers-types`; a real binding (`env.CACHE`) fits it.
 */
export interface KvBinding {
  get(key: string, type: 'arrayBuffer'): Promise<ArrayBuffer | null>
  getWithMetadata<M = unknown>(key: string, type: 'arrayBuffer'): Promise<{ value: ArrayBuffer | null; metadata: M | null }>
  put(key: string, value: string | ArrayBuffer | ArrayBufferView, options?: { expirationTtl?: number; metadata?: unknown }): Promise<void>
  delete(key: string): Promise<void>
  list<M = unknown>(options?: { prefix?: string; cursor?: string; limit?: number }): Promise<{
    keys: { name: string; expiration?: number; metadata?: M }[]
    list_complete: boolean
    cursor?: string
  }>
}

/** True for an object with the KV methods the engine calls (what `usable()` checks). */
export function isKvBinding(value: unknown): value is KvBinding {
  if (typeof value !== 'object' || value === null) return false
  const kv = value as Record<string, unknown>
  return ['getWithMetadata', 'put', 'delete', 'list'].every((name) => typeof kv[name] === 'function')
}

/** `engineOptions` of the `cloudflare-kv` engine, validated once when the engine is created. */
export const cloudflareKvEngineOptionsSchema = z.strictObject({
  /** The Workers KV binding from the Worker's `env`, e.g. `env.CACHE` (required). */
  kv: z.custom<KvBinding>(isKvBinding),
  /**
   * Prefix of every key, before `<namespace>:`; `clear()` lists and deletes only keys under it.
   * @default 'twat-cache:'
   */
  prefix: z.optional(z.string()),
})

export type CloudflareKvEngineOptions = z.output<typeof cloudflareKvEngineOptionsSchema>

/** Validate `engineOptions`; every bad field is listed in one `ConfigurationError`. */
export function parseCloudflareKvEngineOptions(input: unknown): CloudflareKvEngineOptions {
  return parseEngineOptions('cloudflare-kv', cloudflareKvEngineOptionsSchema, input, {
    kv: 'a Workers KV binding (pass engineOptions: { kv: env.CACHE } from your Worker)',
    prefix: 'a string',
  })
}
