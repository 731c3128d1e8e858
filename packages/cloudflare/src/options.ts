import { type OptionsSchema, parseEngineOptions } from '@twat-cache/core'

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
export interface CloudflareKvEngineOptions {
  /** The Workers KV binding from the Worker's `env`, e.g. `env.CACHE` (required). */
  kv: KvBinding
  /**
   * Prefix of every key, before `<namespace>:`; `clear()` lists and deletes only keys under it.
   * @default 'twat-cache:'
   */
  prefix?: string | undefined
}

/**
 * The schema `parseEngineOptions` reads, written by hand: zod/mini (as the Node engines use)
 * would add ~5 KB min+gzip to every Worker, a third of its 12 KB budget.
 */
export const cloudflareKvEngineOptionsSchema: OptionsSchema<CloudflareKvEngineOptions> = {
  def: { shape: { kv: isKvBinding, prefix: (v: unknown) => typeof v === 'string' } },
  safeParse(input) {
    const record = (typeof input === 'object' && input !== null ? input : {}) as Record<string, unknown>
    const issues: { code: string; path: string[]; keys?: string[]; message: string }[] = []
    const extra = Object.keys(record).filter((key) => key !== 'kv' && key !== 'prefix')
    if (extra.length > 0) issues.push({ code: 'unrecognized_keys', path: [], keys: extra, message: 'unknown option' })
    if (!isKvBinding(record.kv)) issues.push({ code: 'invalid_type', path: ['kv'], message: 'a KV binding is required' })
    if (record.prefix !== undefined && typeof record.prefix !== 'string') issues.push({ code: 'invalid_type', path: ['prefix'], message: 'expected a string' })
    return issues.length > 0 ? { success: false, error: { issues } } : { success: true, data: record as unknown as CloudflareKvEngineOptions }
  },
}

/** Validate `engineOptions`; every bad field is listed in one `ConfigurationError`. */
export function parseCloudflareKvEngineOptions(input: unknown): CloudflareKvEngineOptions {
  return parseEngineOptions('cloudflare-kv', cloudflareKvEngineOptionsSchema, input, {
    kv: 'a Workers KV binding (pass engineOptions: { kv: env.CACHE } from your Worker)',
    prefix: 'a string',
  })
}
