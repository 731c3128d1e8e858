import { type AsyncTagMethods, type TagMark, type TagState, type TaggedReads, warnOnce } from '@twat-cache/core'
import type { Buffer } from 'node:buffer'
import type { Redis } from 'ioredis'

/*
 * Store-wide tag state on the server (ARCHITECTURE.md §13): one string key per tag,
 * `<keyPrefix>{twat-cache-tags}:t:<tag>` holding `<invalidatedAt>:<expiredAt>`, read for all tags
 * of an entry with one MGET. The `{twat-cache-tags}` hash tag puts every tag key in one Cluster
 * slot, so MGET and the marking script never cross slots (entries live in other slots; they are
 * never in the same command). Records expire after the longest lifetime of a tagged entry (the
 * `horizon` key, `inf` for entries without expiry), so tag state stays bounded.
 */

/** Sets the records: the later of each mark wins, and the record's TTL only ever grows. */
const MARK = `
local horizon = redis.call('GET', KEYS[1])
local inv, exp = tonumber(ARGV[1]), tonumber(ARGV[2])
for i = 2, #KEYS do
  local ci, ce = 0, 0
  local cur = redis.call('GET', KEYS[i])
  if cur then
    local a, b = string.match(cur, '^(%d+):(%d+)$')
    ci, ce = tonumber(a) or 0, tonumber(b) or 0
  end
  local value = string.format('%.0f:%.0f', math.max(ci, inv), math.max(ce, exp))
  local left = redis.call('PTTL', KEYS[i])
  if horizon == 'inf' or left == -1 then
    redis.call('SET', KEYS[i], value)
  else
    redis.call('SET', KEYS[i], value, 'PX', math.max(left, tonumber(horizon) or 0, 1))
  end
end
return 0`

/** Raises the horizon, never lowers it; `inf` is forever. */
const KEEP = `
local cur = redis.call('GET', KEYS[1])
if cur == 'inf' then return 0 end
if ARGV[1] == 'inf' or not cur or tonumber(cur) < tonumber(ARGV[1]) then redis.call('SET', KEYS[1], ARGV[1]) end
return 0`

/**
 * Where tag state lives under the key prefix: one hash tag, so all of it is in one Cluster slot.
 * Not a namespace: `twat-cache ls` (inspect.ts) skips it.
 */
export const TAG_SPACE = '{twat-cache-tags}:'

const NONE: TagState = Object.freeze({ invalidatedAt: 0, expiredAt: 0 })

export interface TagContext {
  /** The ioredis client (or Cluster: every key here is in one slot). */
  readonly client: Redis
  readonly keyPrefix: string
  /** The engine's guard: refuses after close, waits for the connection, turns errors into ours. */
  run<T>(command: string, op: () => Promise<T>): Promise<T>
  /** The engine's sender (auto-pipelines while other commands are in flight, unless `direct`). */
  send<T>(command: () => Promise<T>, direct?: boolean): Promise<T>
  /** The engine's MGET of the entry and its tags' state, sent as directly as its `get`. */
  mget(keys: string[]): Promise<(Buffer | null)[]>
  /** The prefix of the engine's entry keys, and how it decodes one (`MISS` for `null`). */
  readonly entryPrefix: string
  decode(bytes: Buffer | null): unknown
  /** A Cluster: entries and tag state live in different slots, so one command cannot read both. */
  readonly sharded: boolean
  /** The server, for messages. */
  readonly target: string
}

/**
 * The server's eviction policy when it may evict keys (a `maxmemory` limit and a policy other
 * than `noeviction`), else `undefined`; also `undefined` where CONFIG is not allowed (managed
 * services), since nothing can be said there.
 */
export async function evictingPolicy(config: () => Promise<unknown>): Promise<string | undefined> {
  let reply: unknown
  try {
    reply = await config()
  } catch {
    return undefined
  }
  const fields = new Map<string, string>()
  if (Array.isArray(reply)) for (let i = 0; i + 1 < reply.length; i += 2) fields.set(String(reply[i]), String(reply[i + 1]))
  const policy = fields.get('maxmemory-policy')
  return Number(fields.get('maxmemory')) > 0 && policy !== undefined && policy !== 'noeviction' ? policy : undefined
}

/** The tag state in MGET replies `from` on (`<invalidatedAt>:<expiredAt>` or null each). */
function stateOf(replies: readonly (string | Buffer | null)[], from: number): TagState {
  let invalidatedAt = 0
  let expiredAt = 0
  for (let i = from; i < replies.length; i++) {
    const reply = replies[i]
    if (reply === null || reply === undefined) continue
    const text = typeof reply === 'string' ? reply : reply.toString('latin1')
    const colon = text.indexOf(':')
    invalidatedAt = Math.max(invalidatedAt, Number(text.slice(0, colon)) || 0)
    expiredAt = Math.max(expiredAt, Number(text.slice(colon + 1)) || 0)
  }
  return invalidatedAt === 0 && expiredAt === 0 ? NONE : { invalidatedAt, expiredAt }
}

export function redisTagMethods({ client, keyPrefix, run, send, mget, entryPrefix, decode, sharded, target }: TagContext): AsyncTagMethods & Partial<TaggedReads> {
  const space = keyPrefix + TAG_SPACE
  const horizonKey = `${space}horizon`
  const tagKey = (tag: string) => `${space}t:${tag}`
  // A function's static tags are one array: their keys are built once, not on every hit.
  let keysOf: readonly string[] | undefined
  let tagKeys: string[] = []
  const keysFor = (tags: readonly string[]): string[] => {
    if (tags !== keysOf) {
      tagKeys = tags.map(tagKey)
      keysOf = tags
    }
    return tagKeys
  }
  const split = (replies: (Buffer | null)[]) => [decode(replies[0] ?? null), stateOf(replies, 1)] as const
  // The entry and its tags in one MGET: one command, one reply, so a tagged hit costs what an
  // untagged one does plus a few bytes (measured on loopback, one caller: GET alone ~16k/s,
  // GET + MGET sent together ~8k/s (two replies, two wake-ups), one MGET ~12k/s, one EVALSHA
  // doing both ~10k/s). On a Cluster they are in different slots, so the step sends both.
  const combined: Partial<TaggedReads> = sharded
    ? {}
    : {
        getWithTags(key, tags) {
          return mget([entryPrefix + key, ...keysFor(tags)]).then(split)
        },
      }
  // Tag records are ordinary keys: a server that evicts can drop one while entries carrying its
  // tag live on, and those would be served although invalidated. Said once, after the first
  // tag write (the connection is up then).
  let evictionChecked = false
  const checkEviction = (): void => {
    if (evictionChecked) return
    evictionChecked = true
    void evictingPolicy(() => send(() => client.config('GET', 'maxmemory*'))).then((policy) => {
      if (policy === undefined) return
      warnOnce(
        `redis:tags-eviction:${target}`,
        'redis',
        `${target} evicts keys under memory pressure (maxmemory-policy ${policy}): a tag record evicted before the entries that carry its tag lets them be served after invalidateTags; set maxmemory-policy noeviction (or give Redis room) where invalidations must hold`,
      )
    })
  }
  return {
    ...combined,
    readTags(tags) {
      if (tags.length === 0) return Promise.resolve(NONE)
      // Direct: auto-pipelining would defer it to setImmediate, after the entry's GET it is sent
      // with, making a tagged hit two round trips instead of one.
      return run('MGET', () => send(() => client.mget(keysFor(tags)), true)).then((replies) => stateOf(replies, 0))
    },
    markTags(tags: readonly string[], kind: TagMark, at: number) {
      const args = kind === 'invalidate' ? [at, 0] : [0, at]
      return run('EVAL', () => send(() => client.eval(MARK, tags.length + 1, horizonKey, ...tags.map(tagKey), ...args))).then(checkEviction)
    },
    keepTags(lifetime) {
      const value = Number.isFinite(lifetime) ? String(Math.ceil(lifetime)) : 'inf'
      return run('EVAL', () => send(() => client.eval(KEEP, 1, horizonKey, value))).then(checkEviction)
    },
  }
}
