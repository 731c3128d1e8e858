/**
 * `@twat-cache/redis/inspect`: list and read twat-cache keys on a Redis server, for the
 * `twat-cache` CLI. Reads use SCAN (never KEYS, which blocks the server) and pipelined
 * STRLEN/PTTL; clearing goes through the engine's own `clear()`.
 */
import type { Redis } from 'ioredis'
import { openConnection } from './connection.js'
import { createRedisEngine, escapeGlob } from './engine.js'
import { resolveConnection } from './options.js'
import { TAG_SPACE } from './tags.js'

export interface RedisInspectOptions {
  /** `redis://…` of a standalone server. */
  url: string
  /** @default 'twat-cache:' */
  keyPrefix?: string | undefined
}

export interface RedisNamespaceSummary {
  namespace: string
  entries: number
  /** Bytes of keys and encoded values (Redis adds its own per-key overhead). */
  bytes: number
  /** Redis keeps no write times, and expired keys are gone: these are always null and 0. */
  oldest: null
  newest: null
  expired: 0
}

export interface RedisEntryView {
  key: string
  bytes: number
  /** Unix ms, null for no expiry. */
  expiresAt: number | null
  /** The encoded entry as stored (header + payload): `decodeValue` / `inspectEntry` of `@twat-cache/core/node` read it. */
  data: Uint8Array
}

export interface RedisInspector {
  /** `host:port` */
  readonly target: string
  readonly keyPrefix: string
  namespaces(onProgress?: (scanned: number) => void): Promise<RedisNamespaceSummary[]>
  entries(namespace: string, limit?: number): Promise<RedisEntryView[]>
  entry(namespace: string, key: string): Promise<RedisEntryView | undefined>
  /** Remove the namespace's keys through the engine's `clear()`. */
  clear(namespace: string): Promise<void>
  close(): Promise<void>
}

/** The inverse of core's `encodeNamespace` (`%3A` → `:`, `%25` → `%`). */
export function decodeNamespace(encoded: string): string {
  return encoded.replace(/%3A|%25/g, (c) => (c === '%25' ? '%' : ':'))
}

export function openRedisInspector(options: RedisInspectOptions): RedisInspector {
  const redis = { url: options.url, ...(options.keyPrefix !== undefined && { keyPrefix: options.keyPrefix }) }
  const resolved = resolveConnection(redis, {})
  if (resolved.kind !== 'standalone') throw new Error('[twat-cache:redis] inspecting needs a standalone server URL (redis://host:port)')
  const conn = openConnection(resolved)
  const client = conn.client as Redis
  const { keyPrefix, scanCount } = resolved

  const ready = (): Promise<void> => conn.ready()

  /** SCAN every key under `prefix`, in batches. */
  async function* scan(prefix: string): AsyncGenerator<Buffer[]> {
    let cursor = '0'
    do {
      const [next, keys] = await client.scanBuffer(cursor, 'MATCH', `${escapeGlob(prefix)}*`, 'COUNT', scanCount)
      cursor = next.toString()
      if (keys.length > 0) yield keys
    } while (cursor !== '0')
  }

  /** STRLEN and PTTL of each key, one round trip per batch. */
  async function sizes(keys: Buffer[]): Promise<{ bytes: number; pttl: number }[]> {
    const pipeline = client.pipeline()
    for (const key of keys) pipeline.strlen(key).pttl(key)
    const replies = (await pipeline.exec()) ?? []
    return keys.map((_, i) => ({ bytes: Number(replies[2 * i]?.[1] ?? 0), pttl: Number(replies[2 * i + 1]?.[1] ?? -1) }))
  }

  const prefixOf = (namespace: string) => `${keyPrefix}${namespace.replace(/[%:]/g, (c) => (c === '%' ? '%25' : '%3A'))}:`

  const view = (key: string, bytes: Buffer, pttl: number): RedisEntryView => ({
    key,
    bytes: bytes.byteLength,
    expiresAt: pttl >= 0 ? Date.now() + pttl : null,
    data: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength),
  })

  return {
    target: resolved.target,
    keyPrefix,
    async namespaces(onProgress) {
      await ready()
      const found = new Map<string, RedisNamespaceSummary>()
      let scanned = 0
      for await (const keys of scan(keyPrefix)) {
        const measured = await sizes(keys)
        keys.forEach((key, i) => {
          const rest = key.toString('utf8').slice(keyPrefix.length)
          if (rest.startsWith(TAG_SPACE)) return // tag state (tags.ts), not a namespace
          const end = rest.indexOf(':')
          if (end < 0) return // not written by the engine: every engine key has `<namespace>:`
          const namespace = decodeNamespace(rest.slice(0, end))
          let summary = found.get(namespace)
          if (!summary) found.set(namespace, (summary = { namespace, entries: 0, bytes: 0, oldest: null, newest: null, expired: 0 }))
          summary.entries++
          summary.bytes += key.byteLength + measured[i]!.bytes
        })
        scanned += keys.length
        onProgress?.(scanned)
      }
      return [...found.values()].sort((a, b) => a.namespace.localeCompare(b.namespace))
    },
    async entries(namespace, limit = Number.POSITIVE_INFINITY) {
      await ready()
      const prefix = prefixOf(namespace)
      const out: RedisEntryView[] = []
      for await (const keys of scan(prefix)) {
        const pipeline = client.pipeline()
        for (const key of keys) pipeline.getBuffer(key).pttl(key)
        const replies = (await pipeline.exec()) ?? []
        keys.forEach((key, i) => {
          const bytes = replies[2 * i]?.[1] as Buffer | null
          if (bytes && out.length < limit) out.push(view(key.toString('utf8').slice(prefix.length), bytes, Number(replies[2 * i + 1]?.[1] ?? -1)))
        })
        if (out.length >= limit) break
      }
      return out
    },
    async entry(namespace, key) {
      await ready()
      const full = prefixOf(namespace) + key
      const [bytes, pttl] = await Promise.all([client.getBuffer(full), client.pttl(full)])
      return bytes === null ? undefined : view(key, bytes, pttl)
    },
    async clear(namespace) {
      const engine = createRedisEngine({ namespace, redis })
      try {
        await engine.clear()
      } finally {
        await engine.close()
      }
    },
    close: () => conn.close(),
  }
}
