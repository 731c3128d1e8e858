/**
 * Connecting: lazily, within bounded time, with errors that name the server and say what to
 * do; options and environment overrides; what the registry does with a sync function.
 */
import { createServer, type Server, type Socket } from 'node:net'
import {
  ConfigurationError,
  EngineError,
  createCacheConfig,
  mcache,
  registerEngine,
  selectEngine,
} from '@twat-cache/core'
import { afterAll, afterEach, beforeAll, describe, expect, it, onTestFinished, vi } from 'vitest'
import { type RedisEngine, type RedisEngineOptions, createRedisEngine } from '../src/engine.js'
import { redisEngineDefinition } from '../src/index.js'
import { freePort, redisSkipReason, startRedis } from './redis-server.js'
import { useRedis } from './use-redis.js'

const skip = redisSkipReason()
if (skip) console.warn(`[redis connection tests] skipped: ${skip}`)

const open: RedisEngine[] = []
function make(options: RedisEngineOptions): RedisEngine {
  const engine = createRedisEngine({ namespace: 'conn', ...options })
  open.push(engine)
  return engine
}
afterEach(async () => {
  vi.unstubAllEnvs()
  for (const engine of open.splice(0)) await engine.close()
})

/** Rejection of `promise`, and how long it took. */
async function failure(promise: Promise<unknown>): Promise<{ error: Error; ms: number }> {
  const start = performance.now()
  try {
    await promise
  } catch (error) {
    return { error: error as Error, ms: performance.now() - start }
  }
  throw new Error('expected a rejection')
}

describe('redis options', () => {
  it('rejects bad connection options with one ConfigurationError listing every problem', () => {
    const bad = () =>
      createRedisEngine({
        redis: { port: 70000, sentinels: [{ host: 'a', port: 1 }], options: { keyPrefix: 'x' }, typo: 1 } as never,
        engineOptions: { scanCount: 0 },
      })
    expect(bad).toThrow(ConfigurationError)
    try {
      bad()
    } catch (error) {
      const issues = (error as ConfigurationError).issues.join('\n')
      expect(issues).toMatch(/redis\.port/)
      expect(issues).toMatch(/'redis\.typo'/)
      expect(issues).toMatch(/engineOptions\.scanCount/)
    }
    expect(() => createRedisEngine({ redis: { sentinels: [{ host: 'a', port: 1 }] } })).toThrow(/needs redis\.name/)
    expect(() => createRedisEngine({ redis: { cluster: [{ host: 'a', port: 1 }], db: 2 } })).toThrow(/single database/)
    expect(() => createRedisEngine({ redis: { options: { keyPrefix: 'p:' } } })).toThrow(/use redis\.keyPrefix/)
    expect(() => createRedisEngine({ redis: { url: 'http://x' } })).toThrow(/redis:\/\/ or rediss:\/\//)
    // A timeout that is not a positive number is refused, never silently replaced by the default.
    for (const commandTimeout of [0, -5, Number.NaN, '2s']) {
      expect(() => createRedisEngine({ redis: { options: { commandTimeout } } })).toThrow(/redis\.options\.commandTimeout must be a number of milliseconds > 0 \(Infinity: no timeout\)/)
    }
    expect(() => createRedisEngine({ redis: { options: { connectTimeout: 0, commandTimeout: 0 } } })).toThrow(/connectTimeout.*\n.*commandTimeout/)
    expect(() => createRedisEngine({ redis: { options: { connectTimeout: Number.POSITIVE_INFINITY } } })).toThrow(/connectTimeout must be a number of milliseconds > 0, got Infinity/)
    expect(() => createRedisEngine({ redis: { options: { commandTimeout: Number.POSITIVE_INFINITY } } })).not.toThrow()
    expect(() => createRedisEngine({ redis: { url: 'redis://:s3cret@h:1/x' } })).toThrow(/database number/)
    expect(() => createRedisEngine({ redis: { url: 'redis://:s3cret@h:1/x' } })).not.toThrow(/s3cret/)
  })

  it('creating an engine opens no socket and starts no timer; close() of an unused engine is clean', async () => {
    const before = process.getActiveResourcesInfo().length
    const engine = createRedisEngine({ redis: { port: 1 } })
    expect(process.getActiveResourcesInfo().length).toBe(before)
    expect(engine.client.status).toBe('wait')
    await engine.close()
    await engine.close()
    expect(process.getActiveResourcesInfo().length).toBe(before)
  })
})

describe('connection failures are prompt EngineErrors naming the server', () => {
  it('unreachable port: "connection refused" with host:port, fast; later calls fail at once', async () => {
    const port = await freePort()
    const engine = make({ redis: { host: '127.0.0.1', port } })
    const first = await failure(engine.get('k'))
    expect(first.error).toBeInstanceOf(EngineError)
    expect(first.error.message).toContain(`127.0.0.1:${port}`)
    expect(first.error.message).toMatch(/connection refused: start Redis/)
    expect(first.ms).toBeLessThan(1500)
    // While down, ioredis reconnects in the background and operations do not wait for it.
    for (const op of [engine.get('k'), engine.set('k', 1), engine.delete('k'), engine.clear(), engine.size()]) {
      const next = await failure(op)
      expect(next.error).toBeInstanceOf(EngineError)
      expect(next.error.message).toContain(`127.0.0.1:${port}`)
      expect(next.ms).toBeLessThan(100)
    }
    expect(engine.client.listenerCount('error')).toBeGreaterThan(0)
    const before = process.getActiveResourcesInfo().filter((r) => r === 'Timeout' || r === 'TCPSocketWrap').length
    await engine.close()
    const after = process.getActiveResourcesInfo().filter((r) => r === 'Timeout' || r === 'TCPSocketWrap').length
    expect(after).toBeLessThanOrEqual(before)
    await expect(engine.get('k')).rejects.toThrow(/closed/)
  })

  describe('a server that accepts connections but never answers', () => {
    let silent: Server
    const sockets = new Set<Socket>()
    beforeAll(async () => {
      silent = createServer((socket) => {
        sockets.add(socket)
        socket.on('close', () => sockets.delete(socket))
      })
      await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
    })
    afterAll(async () => {
      for (const socket of sockets) socket.destroy()
      await new Promise((resolve) => silent.close(resolve))
    })

    it('is a bounded failure (connect + handshake timeout), never a hang', async () => {
      const port = (silent.address() as { port: number }).port
      const engine = make({ redis: { host: '127.0.0.1', port, options: { connectTimeout: 300, commandTimeout: 300 } } })
      const { error, ms } = await failure(engine.get('k'))
      expect(error).toBeInstanceOf(EngineError)
      expect(error.message).toContain(`127.0.0.1:${port}`)
      expect(ms).toBeLessThan(1500)
    })
  })

  describe.skipIf(skip !== undefined)('a server that stops answering once connected (SIGSTOP)', () => {
    const server = useRedis()

    it('every command fails after commandTimeout with advice, and the engine works again once the server does', async () => {
      const engine = make({ redis: { host: server.host, port: server.port, options: { commandTimeout: 300 } } })
      await engine.set('k', 'before')
      expect(await engine.get('k')).toBe('before')
      process.kill(server.pid, 'SIGSTOP')
      // Also when an expectation fails: a stopped server would hang the stop in afterAll.
      onTestFinished(() => {
        process.kill(server.pid, 'SIGCONT')
      })
      const calls = { get: engine.get('k'), set: engine.set('k', 'during'), has: engine.has('k'), acquire: engine.acquire!('k', 1000) }
      for (const [name, call] of Object.entries(calls)) {
        const { error, ms } = await failure(call)
        expect(error, name).toBeInstanceOf(EngineError)
        expect(error.message, name).toMatch(new RegExp(`on ${server.host}:${server.port} failed: no reply within 300 ms: .*raise redis\\.options\\.commandTimeout`))
        // Sent at once, so each fails between 300 and 375 ms after it was sent (plus a loaded machine's slack).
        expect(ms, name).toBeLessThan(1000)
      }
      process.kill(server.pid, 'SIGCONT')
      await engine.set('k', 'after')
      expect(await engine.get('k')).toBe('after')
    })
  })

  describe.skipIf(skip !== undefined)('a server with a password (--requirepass)', () => {
    const server = useRedis(() => startRedis({ password: 'right horse' }))

    it('wrong password: "authentication failed" naming host:port, within bounded time', async () => {
      const engine = make({ redis: { host: server.host, port: server.port, password: 'wrong' } })
      const { error, ms } = await failure(engine.get('k'))
      expect(error).toBeInstanceOf(EngineError)
      expect(error.message).toContain(`${server.host}:${server.port}`)
      expect(error.message).toMatch(/authentication failed \(WRONGPASS[^)]*\): check redis\.username and redis\.password/)
      expect(ms).toBeLessThan(1500)
      const again = await failure(engine.set('k', 1))
      expect(again.error.message).toMatch(/authentication failed/)
      expect(again.ms).toBeLessThan(100)
    })

    it('no password at all: authentication failed too', async () => {
      const engine = make({ redis: { host: server.host, port: server.port } })
      const { error } = await failure(engine.get('k'))
      expect(error.message).toMatch(/authentication failed \(NOAUTH/)
    })

    it('the right password works, from the URL (percent-encoded) or the field', async () => {
      const viaUrl = make({ redis: { url: server.url } })
      await viaUrl.set('k', 'url')
      expect(await viaUrl.get('k')).toBe('url')
      const viaField = make({ redis: { port: server.port, password: 'right horse' } })
      expect(await viaField.get('k')).toBe('url')
    })
  })
})

describe.skipIf(skip !== undefined)('TWAT_CACHE_REDIS_* reach the engine through createCacheConfig', () => {
  const server = useRedis()

  async function roundTrip(input: Parameters<typeof createCacheConfig>[0]): Promise<unknown> {
    const config = createCacheConfig(input)
    const engine = make({ ...config, namespace: 'env' })
    await engine.set('k', 'via env')
    return engine.get('k')
  }

  it('TWAT_CACHE_REDIS_URL', async () => {
    vi.stubEnv('TWAT_CACHE_REDIS_URL', server.url)
    expect(await roundTrip({ redis: {} })).toBe('via env')
  })

  it('TWAT_CACHE_REDIS_HOST and TWAT_CACHE_REDIS_PORT', async () => {
    vi.stubEnv('TWAT_CACHE_REDIS_HOST', server.host)
    vi.stubEnv('TWAT_CACHE_REDIS_PORT', String(server.port))
    expect(await roundTrip({ redis: { host: 'nowhere.invalid', port: 1 } })).toBe('via env')
  })

  it('TWAT_CACHE_REDIS_PORT overrides the port of a URL given in code', async () => {
    vi.stubEnv('TWAT_CACHE_REDIS_PORT', String(server.port))
    expect(await roundTrip({ redis: { url: `redis://${server.host}:1` } })).toBe('via env')
  })

  it('TWAT_CACHE_REDIS_DB selects the database', async () => {
    vi.stubEnv('TWAT_CACHE_REDIS_URL', server.url)
    vi.stubEnv('TWAT_CACHE_REDIS_DB', '5')
    const config = createCacheConfig({ redis: {} })
    const engine = make({ ...config, namespace: 'env-db' })
    await engine.set('k', 1)
    expect(await engine.client.call('CLIENT', 'INFO')).toMatch(/\bdb=5\b/)
  })
})

describe.skipIf(skip !== undefined)('a database the server does not have', () => {
  const server = useRedis()

  it('fails every call naming the database, and never reads or writes database 0 instead', async () => {
    const engine = make({ redis: { url: `${server.url}/99` } })
    // Concurrent first calls: none may slip into database 0 while the check is in flight.
    const calls = await Promise.allSettled([engine.set('k', 1), engine.get('k'), engine.set('j', 2), engine.get('j')])
    for (const call of calls) {
      expect(call.status).toBe('rejected')
      expect(String((call as PromiseRejectedResult).reason)).toMatch(/cannot use database 99 on .*16 by default/)
    }
    await expect(engine.get('k')).rejects.toThrow(/database 99/)
    const admin = make({ redis: { url: server.url } })
    expect(await admin.size()).toBe(0)
    expect(await admin.client.dbsize()).toBe(0)
    // A database the server has works.
    const five = make({ redis: { url: `${server.url}/5` } })
    await five.set('k', 'five')
    expect(await five.get('k')).toBe('five')
  })
})

describe('selection', () => {
  it('a sync function on redis is a ConfigurationError that suggests a sync engine', () => {
    registerEngine(redisEngineDefinition)
    const config = createCacheConfig({ engine: 'redis', redis: {} })
    expect(() => selectEngine(config, { mode: 'sync' })).toThrow(ConfigurationError)
    expect(() => selectEngine(config, { mode: 'sync' })).toThrow(/use a sync engine \(memory, lru, node-cache, sqlite, flat-cache\)/)
    const area = (w: number, h: number) => w * h
    expect(() => mcache({ engine: 'redis' })(area)).toThrow(/cannot memoize a sync function: use a sync engine/)
  })
})
