import { afterEach, describe, expect, it, vi } from 'vitest'
import {
  CacheContext,
  EngineClosedError,
  EngineError,
  type EngineConfig,
  type SyncEngine,
  createMemoryEngine,
  engineContext,
  getOrCreateEngine,
  registerEngine,
  resetWarnings,
  setLogger,
  ucache,
  unregisterEngine,
} from '../src/index.js'
import { DEGRADED_RETRY_MS } from '../src/wrap/degrade.js'

// An engine that fails on demand, standing in for "Redis went down" or "disk full" so the
// degradation logic of ucache itself can be tested; the Redis package tests the real thing.
function registerFlaky() {
  const state = { failing: false }
  registerEngine({
    name: 'flaky',
    capabilities: createMemoryEngine({}).capabilities,
    priority: -1,
    create(config: EngineConfig): SyncEngine {
      const inner = createMemoryEngine(config)
      const guard = <T>(op: () => T): T => {
        if (state.failing) throw new Error('backend unreachable')
        return op()
      }
      return {
        ...inner,
        name: 'flaky',
        get: (key) => guard(() => inner.get(key)),
        set: (key, value, options) => guard(() => inner.set(key, value, options)),
      }
    },
  })
  return state
}

afterEach(() => {
  unregisterEngine('flaky')
  setLogger(console, 'warn')
  resetWarnings()
  vi.useRealTimers()
})

describe('ucache degradation', () => {
  it('keeps returning correct values while the engine fails, warns once, and resumes', () => {
    vi.useFakeTimers()
    const state = registerFlaky()
    const warnings: string[] = []
    const infos: string[] = []
    setLogger({ debug() {}, info: (m) => infos.push(m), warn: (m) => warnings.push(m), error: (m) => warnings.push(m) }, 'info')
    let runs = 0
    const double = ucache({ engine: 'flaky' })((x: number) => {
      runs++
      return x * 2
    })
    expect(double(1)).toBe(2)
    expect(double(1)).toBe(2)
    expect(runs).toBe(1)

    state.failing = true
    for (let i = 0; i < 5; i++) expect(double(2)).toBe(4)
    expect(runs).toBe(6)
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toMatch(/engine 'flaky' failed \(backend unreachable\)/)

    // Still failing after the retry pause: same episode, no second warning.
    vi.advanceTimersByTime(DEGRADED_RETRY_MS + 1)
    expect(double(2)).toBe(4)
    expect(warnings).toHaveLength(1)

    state.failing = false
    vi.advanceTimersByTime(DEGRADED_RETRY_MS + 1)
    expect(double(3)).toBe(6)
    expect(double(3)).toBe(6)
    expect(runs).toBe(8) // 1 + 5 + 1 (retry while still failing) + 1 (first call after recovery); then a hit
    expect(infos.some((m) => m.includes("engine 'flaky' is back"))).toBe(true)

    // A new failure is a new episode: warned again.
    state.failing = true
    expect(double(4)).toBe(8)
    expect(warnings).toHaveLength(2)
  })

  it('degrades async functions too, without unhandled rejections', async () => {
    const state = registerFlaky()
    setLogger({ debug() {}, info() {}, warn() {}, error() {} })
    let runs = 0
    const f = ucache({ engine: 'flaky' })(async (x: number) => {
      runs++
      return x + 1
    })
    state.failing = true
    await expect(f(1)).resolves.toBe(2)
    await expect(f(1)).resolves.toBe(2)
    expect(runs).toBe(2)
  })

  it('does not absorb errors of the function itself', () => {
    registerFlaky()
    const f = ucache({ engine: 'flaky' })(() => {
      throw new TypeError('bad input')
    })
    expect(() => f()).toThrow(TypeError)
  })
})

describe('ucache engine choice', () => {
  it('uses memory for a plain sync function and the async chain for an async one', () => {
    expect(ucache()((x: number) => x).engine.capabilities.mode).toBe('sync')
    expect(ucache()(async (x: number) => x).engine.name).toBeTypeOf('string')
  })
})

describe('context scopes', () => {
  it('engineContext closes the engine when the scope ends', async () => {
    let engine: SyncEngine | undefined
    {
      await using cache = await engineContext({ engine: 'memory', maxsize: 5 })
      engine = cache as SyncEngine
      engine.set('k', 1)
      expect(engine.get('k')).toBe(1)
    }
    // Closed: every operation now refuses (the close contract), rather than answering empty.
    expect(() => engine!.size?.()).toThrow(EngineClosedError)
  })

  it('an unknown engine name raises EngineError', async () => {
    await expect(engineContext({ engine: 'nope' })).rejects.toBeInstanceOf(EngineError)
    expect(() => getOrCreateEngine({ engine: 'nope' })).toThrow(EngineError)
  })

  it('CacheContext can be entered again after it exits', async () => {
    const ctx = new CacheContext({ engine: 'memory' })
    expect(() => ctx.engine).toThrow(/not entered/)
    const first = (await ctx.enter()) as SyncEngine
    first.set('a', 1)
    await expect(ctx.enter()).rejects.toThrow(/already entered/)
    await ctx.exit()
    {
      await using scope = ctx
      const second = (await scope.enter()) as SyncEngine
      expect(second).not.toBe(first)
      expect(second.get('a')).not.toBe(1)
    }
    expect(() => ctx.engine).toThrow(/not entered/)
  })

  it('getOrCreateEngine leaves closing to the caller', () => {
    const engine = getOrCreateEngine({ engine: 'memory' }) as SyncEngine
    engine.set('x', 'y')
    expect(engine.get('x')).toBe('y')
    engine.close()
  })
})
