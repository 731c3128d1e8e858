/**
 * `hardTimeout` bounds the whole call (ARCHITECTURE.md §12: "the call rejects with TimeoutError
 * after this long, cached or not"): the engine's read, the run and the write share one budget,
 * so a slow read followed by a slow run still fails in time, and that run's late result is not
 * stored. The engine is the memory engine behind an async face whose reads take `readMs`.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { type AsyncEngine, type EngineConfig, MEMORY_CAPABILITIES, TimeoutError, acache, createMemoryEngine, registerEngine, unregisterEngine } from '../src/index.js'
import { resetLogsAfterEach } from './wrappers-support.js'

resetLogsAfterEach()
const engine = { readMs: 0, writeMs: 0 }
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date', 'setTimeout', 'clearTimeout'], now: Date.now() })
  engine.readMs = 0
  engine.writeMs = 0
  registerEngine(
    {
      name: 'slow-async',
      capabilities: { ...MEMORY_CAPABILITIES, mode: 'async' },
      priority: -1,
      create(config: EngineConfig): AsyncEngine {
        const inner = createMemoryEngine(config)
        return {
          name: 'slow-async',
          capabilities: { ...inner.capabilities, mode: 'async' },
          get: async (key) => (await sleep(engine.readMs), inner.get(key)),
          set: async (key, value, options) => (await sleep(engine.writeMs), inner.set(key, value, options)),
          delete: async (key) => inner.delete(key),
          clear: async () => inner.clear(),
          close: async () => inner.close(),
          [Symbol.asyncDispose]: async () => inner.close(),
        }
      },
    },
    { replace: true },
  )
})
afterEach(() => unregisterEngine('slow-async'))

/** `call` has rejected with TimeoutError once `ms` have passed on the fake clock. */
async function expectTimeoutBy(call: Promise<unknown>, ms: number) {
  const settled = vi.fn()
  const answer = call.then(settled, settled)
  await vi.advanceTimersByTimeAsync(ms)
  expect(settled).toHaveBeenCalledTimes(1)
  expect(settled.mock.calls[0]![0]).toBeInstanceOf(TimeoutError)
  await answer
}

describe('hardTimeout bounds the whole call', () => {
  it('a slow read then a slow run: TimeoutError at hardTimeout, and the run is not stored', async () => {
    let runs = 0
    const f = acache({ engine: 'slow-async', hardTimeout: 500 })(async (id: number) => {
      runs++
      await sleep(400)
      return id
    })
    engine.readMs = 300
    await expectTimeoutBy(f(1), 510)
    await vi.advanceTimersByTimeAsync(1_000)
    expect(runs).toBe(1)
    const peek = f.cachePeek(1)
    await vi.advanceTimersByTimeAsync(310)
    expect(await peek).toBeUndefined()
  })

  it('a slow run then a slow write: TimeoutError at hardTimeout', async () => {
    const f = acache({ engine: 'slow-async', hardTimeout: 500 })(async (id: number) => {
      await sleep(300)
      return id
    })
    engine.writeMs = 300
    await expectTimeoutBy(f(1), 510)
  })

  it('within the budget every phase may take its time', async () => {
    const f = acache({ engine: 'slow-async', hardTimeout: 1_000 })(async (id: number) => {
      await sleep(300)
      return id
    })
    engine.readMs = 300
    engine.writeMs = 300
    const answer = f(7)
    await vi.advanceTimersByTimeAsync(950)
    expect(await answer).toBe(7)
    const again = f(7)
    await vi.advanceTimersByTimeAsync(310)
    expect(await again).toBe(7)
  })

  it('a hit builds its key once (the budget rides on the call\'s own key build), a miss once more for its run', async () => {
    let keys = 0
    const f = acache({ engine: 'slow-async', hardTimeout: 1_000, key: (id: number) => (keys++, `k${id}`) })(async (id: number) => id)
    const miss = f(1)
    await vi.advanceTimersByTimeAsync(10)
    expect(await miss).toBe(1)
    expect(keys).toBe(2)
    const hit = f(1)
    await vi.advanceTimersByTimeAsync(10)
    expect(await hit).toBe(1)
    expect(keys).toBe(3)
  })
})
