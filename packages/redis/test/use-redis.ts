/**
 * The vitest side of `redis-server.ts` (which stays vitest-free for apps/bench): one server per
 * `describe`, started in `beforeAll` and stopped by PID in `afterAll`.
 */
import { afterAll, beforeAll } from 'vitest'
import { Redis } from 'ioredis'
import { type RedisServer, type StartRedisOptions, startRedis } from './redis-server.js'

/**
 * Call inside a `describe`: starts a redis-server before its tests and stops it after them.
 * The returned object reads through to the running server, so `server.url` works in the tests
 * and hooks that follow (reading it before `beforeAll` ran is a mistake, and throws).
 */
export function useRedis(start: () => Promise<RedisServer> = () => startRedis()): RedisServer {
  let current: RedisServer | undefined
  beforeAll(async () => {
    current = await start()
  })
  afterAll(async () => {
    await current?.stop()
  })
  const running = (): RedisServer => {
    if (!current) throw new Error('useRedis(): the server starts in beforeAll; read it inside a test or a later hook')
    return current
  }
  return {
    get host() {
      return running().host
    },
    get port() {
      return running().port
    },
    get url() {
      return running().url
    },
    get pid() {
      return running().pid
    },
    stop: () => running().stop(),
    kill: (signal) => running().kill(signal),
    restart: () => running().restart(),
  }
}

/** A one-node Redis Cluster holding every slot, once it reports `cluster_state:ok`. */
export async function startCluster(options: StartRedisOptions = {}): Promise<RedisServer> {
  // A one-node cluster reports an empty IP for itself (and ioredis drops it) unless told which
  // address to announce.
  const server = await startRedis({ ...options, args: ['--cluster-enabled', 'yes', '--cluster-announce-ip', '127.0.0.1', ...(options.args ?? [])] })
  const raw = new Redis(server.port, server.host)
  try {
    await raw.call('CLUSTER', 'ADDSLOTSRANGE', '0', '16383')
    for (let i = 0; i < 100 && !/cluster_state:ok/.test(String(await raw.call('CLUSTER', 'INFO'))); i++) await sleep(50)
  } finally {
    raw.disconnect()
  }
  return server
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
