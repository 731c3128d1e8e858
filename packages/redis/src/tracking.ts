import { log, type InvalidationListener, type Watch } from '@twat-cache/core'
import { Redis, type RedisOptions } from 'ioredis'

/**
 * Coherence for `l1` on Redis: server-assisted client tracking in broadcasting mode.
 *
 * One extra connection per engine that watches (per master, on a Cluster), speaking RESP2:
 * `CLIENT TRACKING on REDIRECT <its own id> BCAST PREFIX <engine prefix>`, then `SUBSCRIBE
 * __redis__:invalidate`. Redis then sends the name of every key written, deleted or expired
 * under the prefix (by any client, this process included), and `null` on FLUSHALL/FLUSHDB.
 * Writers send nothing extra: with a pub/sub bus every write would be a second command
 * (docs/guide/tiers.md has both measured). The prefix covers the namespace's entries and the
 * tag state kept under the same prefix, so tag invalidations reach L1 too.
 *
 * Invalidations are lost while the connection is down, so the watch is `live` only from the
 * moment the subscription is confirmed until the connection closes; the listener hears
 * `undefined` (drop everything) when it goes down and again when it is back.
 */

export const INVALIDATE_CHANNEL = '__redis__:invalidate'
const RETRY_MS = 500

/** Watch `prefix` on every server `servers` resolves to (one for standalone, each master of a Cluster). */
export function trackPrefix(servers: () => Promise<RedisOptions[]>, prefix: string, listener: InvalidationListener, target: string): Watch {
  let stopped = false
  let subscribers: Subscriber[] = []
  // Read on every L1 hit, so kept as a flag (updated when a subscriber goes up or down).
  let live = false
  const changed = (): void => {
    live = subscribers.length > 0 && subscribers.every((s) => s.live)
  }
  const start = (): void => {
    servers().then(
      (list) => {
        if (!stopped) subscribers = list.map((options) => subscribe(options, prefix, listener, target, changed))
      },
      (error: Error) => {
        // Until the servers are known (a Cluster that is down), l1 is bypassed; try again soon.
        log('debug', 'redis', `${target}: cannot start tracking (${error.message}); l1 is bypassed until it can`)
        if (!stopped) setTimeout(start, RETRY_MS).unref()
      },
    )
  }
  start()
  return {
    get live() {
      // Every server must be watched: a key on an unwatched master could change unseen.
      return live
    },
    stop() {
      stopped = true
      live = false
      for (const s of subscribers) s.stop()
      subscribers = []
    },
  }
}

interface Subscriber {
  readonly live: boolean
  stop(): void
}

function subscribe(options: RedisOptions, prefix: string, listener: InvalidationListener, target: string, changed: () => void): Subscriber {
  let live = false
  // After stop(), replies already read from the socket are still dispatched: drop them.
  let stopped = false
  const sub = new Redis({
    ...options,
    // RESP2: invalidations then arrive as ordinary pub/sub messages (ioredis' RESP3 drops the
    // `invalidate` push). Our own subscription setup on every `ready`, in order.
    protocol: 2,
    lazyConnect: false,
    autoResubscribe: false,
    enableOfflineQueue: true,
    enableAutoPipelining: false,
    keyPrefix: undefined,
  })
  const down = () => {
    if (!live) return
    live = false
    changed()
    listener(undefined)
  }
  sub.on('error', (error: Error) => log('debug', 'redis', `${target} (tracking): ${error.message}`))
  sub.on('close', down)
  sub.on('ready', () => {
    ;(async () => {
      const id = await sub.client('ID')
      await sub.call('CLIENT', 'TRACKING', 'on', 'REDIRECT', String(id), 'BCAST', 'PREFIX', prefix)
      await sub.subscribe(INVALIDATE_CHANNEL)
      if (stopped) return
      // Anything written while we were away was not reported: start from an empty L1.
      listener(undefined)
      live = true
      changed()
    })().catch((error: Error) => {
      if (stopped) return
      log('debug', 'redis', `${target}: tracking setup failed (${error.message}); reconnecting`)
      sub.disconnect(true)
    })
  })
  sub.on('messageBuffer', (channel: Buffer, message: Buffer | Buffer[] | null) => {
    if (stopped || channel.toString() !== INVALIDATE_CHANNEL) return
    if (message === null || !Array.isArray(message)) return listener(undefined)
    for (const key of message) {
      const name = key.toString('utf8')
      if (name.startsWith(prefix)) listener(name.slice(prefix.length))
    }
  })
  return {
    get live() {
      return live
    },
    stop() {
      stopped = true
      live = false
      sub.disconnect()
    },
  }
}
