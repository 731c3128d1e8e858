import {
  type AsyncCapabilities,
  type AsyncEngine,
  ConfigurationError,
  EngineClosedError,
  type EngineConfig,
  EngineError,
  MISS,
  type SerializerOption,
  SerializationError,
  type SetOptions,
  checkSetTtl,
  encodeNamespace,
  hash128,
  log,
  warnOnce,
} from '@twat-cache/core'
import { decodeText, encodeText } from './codec.js'
import { DEFAULT_KEY_PREFIX, type KvBinding, parseCloudflareKvEngineOptions } from './options.js'

export {
  type CloudflareKvEngineOptions,
  DEFAULT_KEY_PREFIX,
  type KvBinding,
  cloudflareKvEngineOptionsSchema,
  isKvBinding,
  parseCloudflareKvEngineOptions,
} from './options.js'

/** The registered name of this engine. */
export const ENGINE_NAME = 'cloudflare-kv'

/** KV refuses an `expirationTtl` below 60 seconds. */
export const KV_MIN_TTL_SECONDS = 60

/** What the `cloudflare-kv` engine honours; the selector and the conformance suite read this object. */
export const CLOUDFLARE_KV_CAPABILITIES: AsyncCapabilities = Object.freeze({
  mode: 'async',
  persistent: true,
  // Every isolate of every Worker bound to the namespace, in every location (eventually: KV
  // propagates writes within about 60 s; a location may serve the old value until then).
  shared: 'network',
  // KV deletes expired keys itself (`expirationTtl`); below its 60 s minimum the exact expiry
  // travels in the key's metadata and is checked on read.
  ttl: 'native',
  // KV has no eviction (a namespace is bounded by the account's storage), so maxsize cannot be
  // enforced per namespace and no policy is claimed.
  policies: Object.freeze([]) as readonly [],
  structured: false,
  maxBytes: false,
})

/** What `createCloudflareKvEngine` reads: an `EngineConfig`, or the fields that matter here. */
export type CloudflareKvEngineConfig = Partial<Pick<EngineConfig, 'maxBytes' | 'ttl' | 'policy' | 'namespace' | 'engineOptions' | 'serializer'>>

/** The engine object: an `AsyncEngine` plus the key prefix of its namespace. */
export interface CloudflareKvEngine extends AsyncEngine {
  /** `<prefix><namespace>:` (`%` and `:` in the namespace percent-encoded): every key of this engine starts with it. */
  readonly keyPrefix: string
}

/** Stored in each key's KV metadata: the format of the value, and the exact expiry (epoch ms). */
interface Meta {
  /** `d` the default (codec.ts), `j` JSON, `s` custom string, `b` custom bytes. */
  f: 'd' | 'j' | 's' | 'b'
  e?: number
}

const utf8 = new TextDecoder()
const encoder = new TextEncoder()

/** KV rejects keys longer than 512 UTF-8 bytes. */
export const KV_MAX_KEY_BYTES = 512
const message = (error: unknown): string => (error instanceof Error ? error.message : String(error))

/**
 * Cloudflare caps the KV operations of one Worker invocation at 1,000 (one per get, put or
 * delete, one per list page of up to 1,000 keys), on the Free and Paid plans alike: "Operations/
 * Worker invocation: 1000" (https://developers.cloudflare.com/kv/platform/limits). Past it every
 * binding call fails with "Too many API requests by single worker invocation."; local workerd
 * (miniflare) does not enforce the limit.
 */
const atLimit = (error: unknown): boolean => /too many api requests by single worker invocation/i.test(message(error))

/** Deletes in flight at once: a Worker opens at most 6 connections anyway, and once the runtime refuses, at most this many calls were wasted. */
const DELETE_BATCH = 50

/**
 * `clear()` reached the Worker invocation's limit on KV operations part-way: `deleted` keys are
 * gone, the rest remain. Each later `clear()` (another request, a Cron Trigger) continues with
 * what is left.
 */
export class KvClearIncompleteError extends EngineError {
  override readonly code: string = 'E_KV_CLEAR_INCOMPLETE'
  override name = 'KvClearIncompleteError'
  /**
   * @param deleted keys this `clear()` deleted
   * @param remaining keys it listed and did not delete: a lower bound when `unlisted` is true
   * @param unlisted whether keys it had not listed yet may remain too
   */
  constructor(
    keyPrefix: string,
    readonly deleted: number,
    readonly remaining: number,
    readonly unlisted: boolean,
    options: { cause: unknown },
  ) {
    const left = remaining > 0 ? `${unlisted ? 'at least ' : ''}${remaining} key(s)` : 'keys not listed yet'
    super(
      `[twat-cache:cloudflare-kv] clear() deleted ${deleted} key(s) under '${keyPrefix}', then reached the Worker invocation's limit of KV operations; ${left} remain: call cacheClear() again from a later request or a Cron Trigger to go on`,
      options,
    )
  }
}

/**
 * An engine on a Workers KV binding: async, shared by every Worker bound to the namespace,
 * persistent, eventually consistent (a write is visible in other locations within about 60 s).
 * Values keep Date, Map, Set, BigInt, RegExp, typed arrays, `undefined`, `NaN` and `-0` (codec.ts). `get` and `set` never reject because KV failed: a failing read is
 * a logged miss, a failing write a logged, dropped write. `delete`, `clear`, `has`, `size` and
 * `keys` reject, so an invalidation that did not happen is never mistaken for one that did.
 *
 * Cloudflare allows 1,000 KV operations per Worker invocation. `size()` and `keys()` cost one
 * per 1,000 keys of the namespace, `clear()` one per 1,000 plus one per key: on a namespace too
 * large for what the invocation has left, `clear()` rejects with `KvClearIncompleteError` (how
 * many keys it deleted; call it again later to go on), `size()` and `keys()` with the runtime's
 * error.
 *
 * ```ts
 * export default {
 *   async fetch(request, env) {
 *     const engine = createCloudflareKvEngine({ namespace: 'api', engineOptions: { kv: env.CACHE } })
 *     await engine.set('k', { rows: [1, 2] }, { ttl: 300_000 })
 *     return Response.json(await engine.get('k'))
 *   },
 * }
 * ```
 */
export function createCloudflareKvEngine(config: CloudflareKvEngineConfig = {}): CloudflareKvEngine {
  checkConfig(config)
  const options = parseCloudflareKvEngineOptions(config.engineOptions)
  const kv: KvBinding = options.kv
  const keyPrefix = `${options.prefix ?? DEFAULT_KEY_PREFIX}${encodeNamespace(config.namespace ?? 'default')}:`
  const { encode, decode } = codec(config.serializer)
  let closed = false
  // Longer names are stored under a 128-bit hash of the key (collisions are not a practical
  // risk); keys() then lists that hashed form for them.
  const kvName = (key: string): string => {
    const name = keyPrefix + key
    return name.length * 3 <= KV_MAX_KEY_BYTES || encoder.encode(name).byteLength <= KV_MAX_KEY_BYTES ? name : `${keyPrefix}#${hash128(key)}`
  }

  const open = (): void => {
    if (closed) throw new EngineClosedError(ENGINE_NAME)
  }

  async function get(key: string): Promise<unknown> {
    open()
    let found: { value: ArrayBuffer | null; metadata: Meta | null }
    try {
      found = await kv.getWithMetadata<Meta>(kvName(key), 'arrayBuffer')
    } catch (error) {
      log('warn', ENGINE_NAME, `KV read of '${key}' failed, treated as a miss: ${message(error)}`)
      return MISS
    }
    if (found.value === null) return MISS
    const meta = found.metadata ?? { f: 'd' }
    if (meta.e !== undefined && meta.e <= Date.now()) return MISS
    try {
      return decode(found.value, meta.f)
    } catch (error) {
      warnOnce(`cloudflare-kv:decode:${keyPrefix}`, ENGINE_NAME, `an entry under '${keyPrefix}' cannot be decoded (${message(error)}); treated as a miss and overwritten on the next write`)
      return MISS
    }
  }

  async function set(key: string, value: unknown, setOptions?: SetOptions): Promise<void> {
    open()
    const ttl = checkSetTtl(ENGINE_NAME, setOptions?.ttl ?? config.ttl)
    if (ttl !== undefined && ttl <= 0) {
      await remove(key)
      return
    }
    // Serialization errors are the caller's (a function, a symbol): they throw, as on every engine.
    const [payload, format] = encode(value)
    const meta: Meta = { f: format }
    let expirationTtl: number | undefined
    // Infinity: no expiry (JSON metadata would turn it into null, and KV refuses it as expirationTtl).
    if (ttl !== undefined && ttl !== Number.POSITIVE_INFINITY) {
      meta.e = Date.now() + ttl
      // KV expires the key itself, rounded up to whole seconds and to its 60 s minimum; reads
      // check `meta.e` so a shorter TTL still ends on time.
      expirationTtl = Math.max(KV_MIN_TTL_SECONDS, Math.ceil(ttl / 1000))
    }
    try {
      await kv.put(kvName(key), payload, { metadata: meta, ...(expirationTtl === undefined ? {} : { expirationTtl }) })
    } catch (error) {
      // KV limits writes to one per second per key and may be briefly unavailable: a cache write
      // that does not happen only costs a recomputation later.
      log('warn', ENGINE_NAME, `KV write of '${key}' failed, the value was not cached: ${message(error)}`)
    }
  }

  async function remove(key: string): Promise<boolean> {
    open()
    const existed = (await get(key)) !== MISS
    await kv.delete(kvName(key))
    return existed
  }

  /** The keys under this namespace, page by page (KV lists at most 1000 per call, one operation each). */
  async function* pages(): AsyncGenerator<{ keys: { name: string; metadata?: Meta | undefined }[]; list_complete: boolean }> {
    let cursor: string | undefined
    do {
      const page = await kv.list<Meta>({ prefix: keyPrefix, ...(cursor === undefined ? {} : { cursor }) })
      yield page
      cursor = page.list_complete ? undefined : page.cursor
    } while (cursor !== undefined)
  }

  async function* liveKeys(): AsyncGenerator<string> {
    open()
    const now = Date.now()
    for await (const page of pages()) {
      for (const entry of page.keys) if (entry.metadata?.e === undefined || entry.metadata.e > now) yield entry.name.slice(keyPrefix.length)
    }
  }

  const close = async (): Promise<void> => {
    closed = true
  }

  return {
    name: ENGINE_NAME,
    capabilities: CLOUDFLARE_KV_CAPABILITIES,
    keyPrefix,
    get,
    set,
    delete: remove,
    async clear(): Promise<void> {
      open()
      // KV bindings have no bulk delete: one delete per key, in batches, page by page, so the
      // invocation's operation limit stops it at a known count (see KvClearIncompleteError).
      let deleted = 0
      let left = 0 // listed, not deleted
      let unlisted = true
      try {
        for await (const page of pages()) {
          left = page.keys.length
          unlisted = !page.list_complete
          for (let i = 0; i < page.keys.length; i += DELETE_BATCH) {
            // async: a binding that throws synchronously still settles here.
            const settled = await Promise.allSettled(page.keys.slice(i, i + DELETE_BATCH).map(async (entry) => kv.delete(entry.name)))
            const refused = settled.filter((result) => result.status === 'rejected')
            deleted += settled.length - refused.length
            left -= settled.length - refused.length
            if (refused.length > 0) throw (refused.find((result) => atLimit(result.reason)) ?? refused[0]!).reason
          }
        }
      } catch (error) {
        if (!atLimit(error)) throw error
        throw new KvClearIncompleteError(keyPrefix, deleted, left, unlisted, { cause: error })
      }
    },
    async has(key: string): Promise<boolean> {
      open()
      const found = await kv.getWithMetadata<Meta>(kvName(key), 'arrayBuffer')
      return found.value !== null && !(found.metadata?.e !== undefined && found.metadata.e <= Date.now())
    },
    async size(): Promise<number> {
      let count = 0
      for await (const _ of liveKeys()) count++
      return count
    },
    keys: liveKeys,
    close,
    [Symbol.asyncDispose]: close,
  }
}

type Encoded = [string | Uint8Array, Meta['f']]

/** The JSON-with-tags text of codec.ts by default; `'json'` and a custom `{ serialize, deserialize }` when asked for. */
function codec(serializer: SerializerOption | undefined): { encode(value: unknown): Encoded; decode(bytes: ArrayBuffer, format: Meta['f']): unknown } {
  return {
    encode(value) {
      try {
        if (serializer === undefined || serializer === 'default') return [encodeText(value), 'd']
        if (serializer === 'json') return [JSON.stringify(value) ?? '', 'j']
        const out = serializer.serialize(value)
        return typeof out === 'string' ? [out, 's'] : [out, 'b']
      } catch (cause) {
        throw new SerializationError(`[twat-cache:cloudflare-kv] cannot serialize this value: ${message(cause)}; return plain data, or pass a custom serializer`, { cause })
      }
    },
    decode(bytes, format) {
      if (format === 'b' || format === 's') {
        if (typeof serializer !== 'object') throw new Error('it was written by a custom serializer: pass the same `serializer` option to read it')
        return serializer.deserialize(format === 'b' ? new Uint8Array(bytes) : utf8.decode(bytes))
      }
      const text = utf8.decode(bytes)
      if (format === 'j') return text === '' ? undefined : JSON.parse(text)
      return decodeText(text)
    },
  }
}

function checkConfig(config: CloudflareKvEngineConfig): void {
  const problems: string[] = []
  if (config.maxBytes !== undefined) problems.push('maxBytes cannot be honoured: KV has no size bound per namespace')
  if (config.policy !== undefined) {
    problems.push(`KV has no eviction, so policy '${config.policy}' cannot be honoured: drop it (entries leave by TTL), or use another engine`)
  }
  if (config.ttl !== undefined && !(config.ttl > 0 && Number.isFinite(config.ttl))) {
    problems.push(`ttl must be a positive number of milliseconds, got ${String(config.ttl)}`)
  }
  if (problems.length > 0) {
    throw new ConfigurationError(`invalid cloudflare-kv engine config:\n${problems.map((p) => `  - ${p}`).join('\n')}`, { issues: problems })
  }
}
