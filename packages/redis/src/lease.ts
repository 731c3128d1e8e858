import { randomBytes } from 'node:crypto'
import calculateSlot from 'cluster-key-slot'
import type { Redis } from 'ioredis'

/**
 * Leases for `lock`: `SET <lock key> <random token> NX PX <ttl>`; released by a script that
 * deletes the key only while it still holds our token, so a holder whose lease expired (and was
 * taken by another process) cannot release the new holder's lease.
 *
 * The lock key lives in the entry's hash slot, so on a Cluster it is on the same master as the
 * entry: `{<tag>}lock:<entry key>`, where `<tag>` is a short string whose slot is the entry's.
 * A tag is needed because entry keys carry none (prefixing `{entry key}` breaks when the key
 * holds a `}`). The lock key starts with `{`, outside every namespace's prefix, so SCAN, `keys()`,
 * `clear()` and tracking never see it.
 */

const RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end"

/** For each of the 16384 slots, a short string in that slot (built once, on the first lease: a few ms). */
let tags: string[] | undefined
function slotTags(): string[] {
  if (tags) return tags
  const table: string[] = new Array(16384)
  let filled = 0
  for (let i = 0; filled < 16384; i++) {
    const tag = i.toString(36)
    const slot = calculateSlot(tag)
    if (table[slot] === undefined) {
      table[slot] = tag
      filled++
    }
  }
  tags = table
  return table
}

export function lockKey(entryKey: string): string {
  return `{${slotTags()[calculateSlot(entryKey)]}}lock:${entryKey}`
}

export interface LeaseMethods {
  acquire(key: string, ttlMs: number): Promise<string | undefined>
  release(key: string, token: string): Promise<void>
}

/** `run` is the engine's gate (connects first; failures become `EngineError`s); `send` sends (and times) one command. */
export function leaseMethods(
  client: Redis,
  prefix: string,
  run: <T>(command: string, op: () => Promise<T>) => Promise<T>,
  send: <T>(command: () => Promise<T>) => Promise<T>,
): LeaseMethods {
  return {
    acquire(key, ttlMs) {
      const token = randomBytes(12).toString('base64url')
      const px = Math.max(1, Math.ceil(ttlMs))
      return run('SET NX', () => send(() => client.set(lockKey(prefix + key), token, 'PX', px, 'NX'))).then((reply) => (reply === 'OK' ? token : undefined))
    },
    release(key, token) {
      return run('EVAL', () => send(() => client.eval(RELEASE, 1, lockKey(prefix + key), token))).then(() => undefined)
    },
  }
}
