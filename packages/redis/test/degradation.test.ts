/**
 * Redis going away and coming back, with a real server: the engine fails fast while it is down
 * and works again once it is back, without a new engine; ucache keeps returning correct values
 * throughout, with one warning per episode. No unhandled rejection or 'error' event escapes.
 */
import {
  EngineError,
  type Logger,
  createCacheConfig,
  registerEngine,
  resetWarnings,
  selectEngine,
  setLogger,
  ucache,
} from '@twat-cache/core'
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest'
import { type RedisEngine, createRedisEngine } from '../src/engine.js'
import { redisEngineDefinition } from '../src/index.js'
import { type RedisServer, freePort, redisSkipReason, startRedis } from './redis-server.js'
import { useRedis } from './use-redis.js'

const skip = redisSkipReason()
if (skip) console.warn(`[redis degradation tests] skipped: ${skip}`)

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Retry `check` until it passes or `ms` elapse; returns how long it took. */
async function eventually(check: () => Promise<void>, ms: number): Promise<number> {
  const start = Date.now()
  for (;;) {
    try {
      await check()
      return Date.now() - start
    } catch (error) {
      if (Date.now() - start > ms) throw error
      await sleep(50)
    }
  }
}

/** Collects what must never happen: unhandled rejections and uncaught exceptions ('error' events). */
const escaped: unknown[] = []
const onEscape = (reason: unknown) => escaped.push(reason)
beforeEach(() => {
  escaped.length = 0
  process.on('unhandledRejection', onEscape)
  process.on('uncaughtException', onEscape)
})
afterEach(async () => {
  // Let stray rejections surface before judging.
  await sleep(50)
  process.off('unhandledRejection', onEscape)
  process.off('uncaughtException', onEscape)
  expect(escaped).toEqual([])
})

describe.skipIf(skip !== undefined)('engine while Redis is killed and restarted', () => {
  const server = useRedis()
  let engine: RedisEngine
  // Runs before useRedis's afterAll (after-hooks run in reverse order): the engine goes first.
  afterAll(async () => {
    await engine?.close()
  })

  it('rejects promptly with EngineError while down, and works again after a restart on the same port', async () => {
    engine = createRedisEngine({ namespace: 'down', redis: { url: server.url } })
    await engine.set('k', 'before')
    expect(await engine.get('k')).toBe('before')

    // In flight while the server dies: every call settles (value or EngineError), none hangs.
    const inflight = Array.from({ length: 50 }, (_, i) => engine.get(`k${i}`).catch((e: unknown) => e))
    await server.kill('SIGKILL')
    const settled = await Promise.race([Promise.all(inflight), sleep(5000).then(() => 'hung')])
    expect(settled).not.toBe('hung')

    await eventually(async () => {
      await expect(engine.get('k')).rejects.toBeInstanceOf(EngineError)
    }, 2000)
    for (const op of [() => engine.get('k'), () => engine.set('k', 1), () => engine.clear()]) {
      const start = performance.now()
      const error = await op().then(
        () => undefined,
        (e: unknown) => e as Error,
      )
      expect(error).toBeInstanceOf(EngineError)
      expect(error!.message).toContain(`${server.host}:${server.port}`)
      expect(error!.message).toMatch(/unavailable.*reconnecting in the background/)
      expect(performance.now() - start).toBeLessThan(100)
    }

    await server.restart()
    // Backoff is capped at 2 s, so the engine is back within about that.
    const took = await eventually(async () => {
      await engine.set('k', 'after')
    }, 5000)
    expect(took).toBeLessThan(4000)
    expect(await engine.get('k')).toBe('after')
  })
})

describe.skipIf(skip !== undefined)('engine when Redis is down from the start', () => {
  it('fails fast, then connects by itself once a server appears on that port', async () => {
    const port = await freePort()
    const engine = createRedisEngine({ namespace: 'late', redis: { host: '127.0.0.1', port } })
    let server: RedisServer | undefined
    try {
      await expect(engine.get('k')).rejects.toThrow(/connection refused/)
      server = await startRedis({ port })
      await eventually(async () => {
        await engine.set('k', 'late')
      }, 5000)
      expect(await engine.get('k')).toBe('late')
    } finally {
      await engine.close()
      await server?.stop()
    }
  })
})

// ucache on redis, through the registry (redis declares no client-side eviction policies).
registerEngine(redisEngineDefinition)

describe.skipIf(skip !== undefined)('ucache on redis degrades and recovers', () => {
  const warnings: string[] = []
  const logger: Logger = { debug() {}, info() {}, warn: (m: string) => warnings.push(m), error: (m: string) => warnings.push(m) }
  beforeEach(() => {
    warnings.length = 0
    resetWarnings()
    setLogger(logger, 'warn')
  })
  afterEach(() => {
    setLogger(console, 'warn')
  })

  it('with only Redis settings, ucache serves an async function from Redis, shared between cachers', async () => {
    const server = await startRedis()
    let calls = 0
    const options = { redis: { url: server.url }, namespace: 'deg-shared' }
    const fetchA = ucache(options)(async (id: number) => ({ id, n: ++calls }))
    const fetchB = ucache(options)(async (id: number) => ({ id, n: ++calls }))
    try {
      expect(fetchA.engine.name).toBe('redis')
      expect(await fetchA(7)).toEqual({ id: 7, n: 1 })
      expect(await fetchB(7)).toEqual({ id: 7, n: 1 }) // a hit written by the other cacher
      expect(calls).toBe(1)
      expect(warnings).toEqual([])
    } finally {
      await fetchA.engine.close()
      await fetchB.engine.close()
      await server.stop()
    }
  })

  it('Redis down at start: the function runs and returns, with one warning', async () => {
    const port = await freePort()
    let calls = 0
    const double = ucache({ engine: 'redis', redis: { host: '127.0.0.1', port }, namespace: 'deg-start' })(async (x: number) => {
      calls++
      return x * 2
    })
    try {
      for (let i = 0; i < 5; i++) expect(await double(21)).toBe(42)
      expect(calls).toBe(5)
      expect(warnings).toHaveLength(1)
      expect(warnings[0]).toContain(`127.0.0.1:${port}`)
    } finally {
      await double.engine.close()
    }
  })

  it('Redis killed mid-run keeps values correct; Redis back resumes caching without a restart', async () => {
    const server = await startRedis()
    let calls = 0
    const square = ucache({ engine: 'redis', redis: { url: server.url }, namespace: 'deg-mid' })(async (x: number) => {
      calls++
      return { x, square: x * x, at: new Date(x) }
    })
    try {
      expect(await square(3)).toEqual({ x: 3, square: 9, at: new Date(3) })
      expect(await square(3)).toEqual({ x: 3, square: 9, at: new Date(3) })
      expect(calls).toBe(1)

      await server.kill('SIGKILL')
      for (let i = 0; i < 10; i++) expect(await square(i)).toEqual({ x: i, square: i * i, at: new Date(i) })
      expect(warnings).toHaveLength(1)

      await server.restart()
      await eventually(async () => {
        const before = calls
        await square(100)
        await square(100)
        expect(calls - before).toBeLessThanOrEqual(1) // the second call was a hit
        const again = calls
        expect(await square(100)).toEqual({ x: 100, square: 10_000, at: new Date(100) })
        expect(calls).toBe(again)
      }, 8000)
    } finally {
      await square.engine.close()
      await server.stop()
    }
  })
})
