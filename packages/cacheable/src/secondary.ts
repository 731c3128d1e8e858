import { Buffer } from 'node:buffer'
import { type CompressOptions, EngineError, type SerializerOption, warnOnce } from '@twat-cache/core'
import { decodeValue, encodeValue } from '@twat-cache/core/node'
import { Keyv } from 'cacheable'

/**
 * The user's secondary Keyv, seen through a bridge that cacheable writes to. cacheable hands both
 * layers the same value; the bridge encodes it with twat-cache's serializer (ARCHITECTURE.md §7)
 * before it reaches the user's store, so a Date, Map, BigInt or `undefined` comes back as itself
 * rather than through Keyv's JSON. The primary keeps the live value.
 */
export interface SecondaryBridge {
  /** A Keyv for cacheable's `secondary`: no serializer, no key prefix of its own. */
  readonly keyv: Keyv
  /** Delete this namespace's entries from the user's store (and nothing else). */
  clear(): Promise<void>
  /** Stop listening to the user's store. It is the caller's, so it stays connected. */
  close(): void
}

export interface BridgeOptions {
  /** `<namespace>:`, prepended to every key this engine writes. */
  prefix: string
  namespace: string
  compress: CompressOptions | false
  serializer: SerializerOption | undefined
  /** Called with every error the user's store emits (Keyv reports write failures that way). */
  onError: (error: unknown) => void
}

/**
 * How the engine hands values to cacheable when a secondary is set. cacheable promotes a
 * secondary entry to the primary only if its value is truthy, so a bare cached 0, '', false or
 * null would read as a miss; boxed, every value is truthy. The bridge stores the inner value.
 */
export interface Box {
  v: unknown
}

interface StoredData {
  value?: unknown
  expires?: number | null | undefined
}

export function bridgeSecondary(user: Keyv, options: BridgeOptions): SecondaryBridge {
  const { prefix, namespace } = options
  const encodeOptions = { compress: options.compress, serializer: options.serializer }
  // Entries are base64 text: a string survives whatever serializer the user's Keyv runs.
  const encode = (value: unknown): string => Buffer.from(encodeValue(value, encodeOptions)).toString('base64')
  const decode = (stored: unknown): unknown => {
    if (typeof stored !== 'string') throw new TypeError(`expected an encoded string, found ${typeof stored}`)
    return decodeValue(Buffer.from(stored, 'base64'), { serializer: options.serializer })
  }

  const clear = async (): Promise<void> => {
    if (typeof user.iterator !== 'function') {
      throw new EngineError(
        `[twat-cache:cacheable] clear() cannot remove namespace '${namespace}' from the secondary store: its Keyv adapter cannot list keys. Use an adapter with iteration (Map, Redis, SQLite, Postgres, MySQL, Mongo, etcd), or clear that store yourself.`,
      )
    }
    const mine: string[] = []
    for await (const [key] of user.iterator(undefined) as AsyncIterable<[unknown, unknown]>) {
      if (typeof key === 'string' && key.startsWith(prefix)) mine.push(key)
    }
    if (mine.length > 0) await user.deleteMany(mine)
  }

  const adapter = {
    namespace: undefined as string | undefined,
    async get(key: string): Promise<StoredData | undefined> {
      const raw = (await user.getRaw(key)) as StoredData | undefined
      if (raw === undefined || raw === null) return undefined
      try {
        return { value: { v: decode(raw.value) } satisfies Box, expires: raw.expires ?? undefined }
      } catch (error) {
        // ARCHITECTURE.md §7: an entry we cannot read (corrupt, foreign, a newer format) is a
        // miss, logged once; the caller's next set overwrites it.
        warnOnce(
          `cacheable-decode:${namespace}`,
          'cacheable',
          `an entry of namespace '${namespace}' in the secondary store cannot be decoded (${error instanceof Error ? error.message : String(error)}); treating it as a miss and overwriting it`,
        )
        return undefined
      }
    },
    async set(key: string, data: StoredData, ttl?: number): Promise<boolean> {
      return user.set(key, encode((data.value as Box).v), ttl)
    },
    delete: (key: string): Promise<boolean> => user.delete(key),
    has: (key: string): Promise<boolean> => user.has(key),
    clear,
  }
  const keyv = new Keyv({ store: adapter, useKeyPrefix: false })
  // The adapter receives { value, expires } objects as they are and does its own encoding.
  keyv.serialize = undefined
  keyv.deserialize = undefined

  const listener = (error: unknown): void => options.onError(error)
  user.on('error', listener)
  return {
    keyv,
    clear,
    close: () => {
      user.off('error', listener)
    },
  }
}
