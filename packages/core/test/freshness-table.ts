/**
 * The semantics table of docs/guide/freshness.md, row by row, for one engine: memory and sqlite
 * run it on a fake clock, redis (native TTL) on short real windows. Each engine's
 * `freshness.test.ts` is one call to `describeFreshnessTable`.
 *
 * Windows, in units `U` after a write: fresh until 1U, stale-while-revalidate until 2U,
 * stale-if-error until 4U, then gone. Probes sit mid-window (0.2U, 1.4U, 2.6U, 4.6U) so a
 * loaded machine does not push a real-clock probe across a boundary.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import {
  type CacheEvent,
  type CacheOptions,
  type Cacher,
  EngineError,
  TimeoutError,
  notModified,
  onCacheEvent,
  resetWarnings,
  setLogger,
} from '../src/index.js'

export interface FreshnessTarget {
  /** Engine name, as `cached.engine.name` reports it. */
  readonly engine: string
  /** The wrapper to test with (`mcache`, `bcache`, `acache`). */
  readonly wrapper: (options: CacheOptions) => Cacher
  /** Options that select the engine (cacheDir, redis settings, ...). */
  readonly options: () => CacheOptions
  /** One time unit in ms. */
  readonly unit: number
  /** `fake`: vitest fake Date and timers; `real`: real sleeps (engines with native TTL). */
  readonly clock: 'fake' | 'real'
  /** Also test sync functions (sync engines only). */
  readonly sync: boolean
  /** ucache: a failing engine is bypassed (the function runs uncached) instead of failing the call. */
  readonly degrades?: boolean
}

type Mode = 'ok' | 'throw' | 'slow'

/** A controllable source: returns `v1`, `v2`, ... or throws, or (async) waits for `release()`. */
function source(async: boolean) {
  const state = { runs: 0, mode: 'ok' as Mode, release: () => {} }
  const produce = () => {
    state.runs++
    if (state.mode === 'throw') throw new Error(`source down (run ${state.runs})`)
    return `v${state.runs}`
  }
  const fn = async
    ? async (_id: number) => {
        if (state.mode === 'slow') {
          await new Promise<void>((resolve) => {
            state.release = resolve
          })
          state.mode = 'ok'
        }
        return produce()
      }
    : (_id: number) => produce()
  return { state, fn }
}

const tick = () => new Promise<void>((resolve) => setImmediate(resolve))

export function describeFreshnessTable(target: FreshnessTarget): void {
  // Hooks scoped to this call: two tables in one file keep their own logs and clocks.
  describe(`freshness on ${target.engine}`, () => freshnessTable(target))
}

function freshnessTable(target: FreshnessTarget): void {
  const U = target.unit
  const fake = target.clock === 'fake'
  let namespace = 0
  let warnings: string[] = []
  let events: CacheEvent[] = []
  let stopEvents = () => {}

  beforeEach(() => {
    if (fake) vi.useFakeTimers({ toFake: ['Date', 'setTimeout', 'clearTimeout'], now: Date.now() })
    warnings = []
    events = []
    setLogger({ debug: () => {}, info: () => {}, warn: (m: string) => warnings.push(m), error: (m: string) => warnings.push(m) }, 'warn')
    stopEvents = onCacheEvent((e) => events.push(e))
  })
  const opened: { close(): unknown }[] = []
  afterEach(async () => {
    // Close every engine a test opened (connections to Redis, SQLite handles); closed twice is a no-op.
    await Promise.allSettled(opened.splice(0).map(async (engine) => engine.close()))
    stopEvents()
    setLogger(console, 'warn')
    resetWarnings()
    vi.useRealTimers()
  })

  const advance = async (units: number) => {
    if (fake) await vi.advanceTimersByTimeAsync(units * U)
    else await new Promise((resolve) => setTimeout(resolve, units * U))
  }
  /** Waits (without moving the fake clock) until `check` holds: background refreshes settle. */
  const until = async (check: () => boolean) => {
    const start = performance.now()
    while (!check()) {
      if (performance.now() - start > 5_000) throw new Error('condition not reached in 5 s')
      await tick()
    }
  }

  for (const async of target.sync ? [false, true] : [true]) {
    const kind = async ? 'async function' : 'sync function'
    const make = (extra: CacheOptions = {}) => {
      const src = source(async)
      const options: CacheOptions = { ...target.options(), namespace: `fresh-${process.pid}-${Date.now()}-${namespace++}`, ttl: U, staleWhileRevalidate: U, staleIfError: 3 * U, ...extra }
      const cached = target.wrapper(options)(src.fn) as unknown as ((id: number) => unknown) & {
        cacheInfo(): { hits: number; misses: number; stale: number; refreshes: number; errors: number }
        cachePeek(id: number): unknown
        cacheRefresh(id: number): unknown
        engine: { name: string; close(): unknown }
      }
      opened.push(cached.engine)
      expect(cached.engine.name).toBe(target.engine)
      const call = async (id = 1) => cached(id)
      return { ...src, cached, call, info: () => cached.cacheInfo() }
    }

    describe(`${target.engine}: freshness table, ${kind}`, () => {
      it('absent × call: runs, stores; fresh × call: serves without running', async () => {
        const t = make()
        expect(await t.call()).toBe('v1')
        await advance(0.2)
        expect(await t.call()).toBe('v1')
        expect(t.state.runs).toBe(1)
        expect(t.info()).toMatchObject({ hits: 1, misses: 1, stale: 0, refreshes: 0, errors: 0 })
      })

      it('stale (revalidate window) × refresh ok: the stale value at once, then one refresh', async () => {
        const t = make()
        await t.call()
        await advance(1.4)
        if (!async) expect(t.cached(1)).toBe('v1') // a sync function gets it synchronously
        else expect(await t.call()).toBe('v1')
        await until(() => t.info().refreshes === 1 && t.state.runs === 2)
        await untilAsync(async () => (await t.cached.cachePeek(1)) === 'v2')
        expect(await t.call()).toBe('v2')
        expect(t.info()).toMatchObject({ misses: 1, stale: 1, refreshes: 1, errors: 0 })
      })

      it('stale (revalidate window) × refresh throws: the stale value is kept, logged once per episode', async () => {
        const t = make()
        await t.call()
        t.state.mode = 'throw'
        await advance(1.4)
        expect(await t.call()).toBe('v1')
        await until(() => t.info().errors === 1)
        expect(await t.call()).toBe('v1')
        await until(() => t.info().errors === 2)
        expect(t.info()).toMatchObject({ stale: 2, refreshes: 2, errors: 2 })
        expect(warnings.filter((w) => w.includes('refreshing')), warnings.join('|')).toHaveLength(1)
      })

      it.skipIf(!async)('stale (revalidate window) × refresh slow: ten callers get the stale value without waiting; one refresh', async () => {
        const t = make()
        await t.call()
        t.state.mode = 'slow'
        await advance(1.4)
        const answers = await Promise.all(Array.from({ length: 10 }, () => t.call()))
        expect(answers).toEqual(Array(10).fill('v1'))
        await until(() => t.state.runs === 1 && t.info().refreshes === 1)
        expect(t.info()).toMatchObject({ stale: 10, refreshes: 1 })
        t.state.release()
        await untilAsync(async () => (await t.cached.cachePeek(1)) === 'v2')
        expect(await t.call()).toBe('v2')
      })

      it('stale (error window only) × refresh ok: the caller waits for the refresh', async () => {
        const t = make()
        await t.call()
        await advance(2.6)
        expect(await t.call()).toBe('v2')
        expect(t.info()).toMatchObject({ misses: 1, stale: 0, refreshes: 1 })
      })

      it('stale (error window only) × refresh throws: the stale value, counted as an error', async () => {
        const t = make()
        await t.call()
        t.state.mode = 'throw'
        await advance(2.6)
        expect(await t.call()).toBe('v1')
        expect(t.info()).toMatchObject({ stale: 1, refreshes: 1, errors: 1 })
      })

      it.skipIf(!async)('stale (error window only) × refresh slow: past `timeout` the stale value; the refresh still lands', async () => {
        const t = make({ timeout: 0.2 * U })
        await t.call()
        t.state.mode = 'slow'
        await advance(2.6)
        const answer = t.call()
        await advance(0.3)
        expect(await answer).toBe('v1')
        t.state.release()
        await untilAsync(async () => (await t.cached.cachePeek(1)) === 'v2')
        expect(await t.call()).toBe('v2')
      })

      it('expired (past both windows) × call: a miss; cachePeek says undefined', async () => {
        const t = make()
        await t.call()
        await advance(4.6)
        expect(await t.cached.cachePeek(1)).toBeUndefined()
        expect(await t.call()).toBe('v2')
        expect(t.info()).toMatchObject({ misses: 2, refreshes: 0 })
      })

      it('persistent and shared engines drop an entry themselves once both windows have passed, not before', async () => {
        const t = make()
        const engine = t.cached.engine as unknown as { capabilities: { persistent: boolean; shared: string }; size?(): unknown }
        const kept = engine.capabilities.persistent || engine.capabilities.shared !== 'process'
        await t.call()
        await advance(3)
        // Inside the error window the engine still holds it (the envelope decides it is stale).
        expect(await engine.size!()).toBe(1)
        await advance(1.6)
        // Past `staleUntil`: gone from the engine too (process-local engines leave it to maxsize).
        expect(await engine.size!()).toBe(kept ? 0 : 1)
      })

      it('expired × run throws: the error reaches the caller, the old value is not served, nothing is stored', async () => {
        const t = make()
        await t.call()
        await advance(4.6)
        t.state.mode = 'throw'
        await expect(t.call()).rejects.toThrow(/source down/)
        expect(await t.cached.cachePeek(1)).toBeUndefined()
        expect(t.info()).toMatchObject({ stale: 0, refreshes: 0, errors: 1 })
      })

      it.skipIf(!async)('stale (error window only) × refresh past hardTimeout: the stale value; the late result is not stored', async () => {
        const t = make({ hardTimeout: 0.5 * U })
        await t.call()
        t.state.mode = 'slow'
        await advance(2.6)
        const answer = t.call()
        await advance(0.7)
        expect(await answer).toBe('v1')
        await releaseLate(t)
        expect(await t.cached.cachePeek(1)).toBe('v1')
        expect(t.info()).toMatchObject({ stale: 1, refreshes: 1, errors: 1 })
      })

      it.skipIf(!async)('stale (revalidate window) × refresh past hardTimeout: the stale value at once; the late result is not stored', async () => {
        const t = make({ hardTimeout: 0.2 * U })
        await t.call()
        t.state.mode = 'slow'
        await advance(1.4)
        expect(await t.call()).toBe('v1')
        await advance(0.3)
        await until(() => t.info().errors === 1)
        await releaseLate(t)
        expect(await t.cached.cachePeek(1)).toBe('v1')
        expect(t.info()).toMatchObject({ stale: 1, refreshes: 1, errors: 1 })
      })

      it('absent × run throws: the error reaches the caller, nothing is stored', async () => {
        const t = make()
        t.state.mode = 'throw'
        await expect(t.call()).rejects.toThrow(/source down/)
        expect(await t.cached.cachePeek(1)).toBeUndefined()
        expect(t.info().errors).toBe(1)
      })

      for (const state of ['absent', 'expired'] as const) {
        it.skipIf(!async)(`${state} × run slow with hardTimeout: TimeoutError, and the late result is not stored`, async () => {
          const t = make({ hardTimeout: 0.5 * U })
          if (state === 'expired') {
            await t.call()
            await advance(4.6)
          }
          t.state.mode = 'slow'
          const answer = t.call()
          const caught = expect(answer).rejects.toBeInstanceOf(TimeoutError)
          await advance(0.7)
          await caught
          await releaseLate(t)
          expect(await t.cached.cachePeek(1)).toBeUndefined()
          expect(t.info()).toMatchObject({ stale: 0, errors: 1 })
        })
      }

      // Every state of the table's last column: fresh, both stale windows, expired, absent.
      for (const [state, at] of [['fresh', 0.2], ['stale (revalidate window)', 1.4], ['stale (error window only)', 2.6], ['expired', 4.6], ['absent', undefined]] as const) {
        it.skipIf(target.degrades)(`${state} × engine down: the call fails with the engine error, counted; the function does not run`, async () => {
          const t = make()
          if (at !== undefined) {
            await t.call()
            await advance(at)
          }
          const runs = t.state.runs
          await t.cached.engine.close()
          await expect(t.call()).rejects.toBeInstanceOf(EngineError)
          expect(t.state.runs).toBe(runs)
          expect(t.info()).toMatchObject({ stale: 0, errors: 1 })
        })
      }

      it.runIf(target.degrades)('any state × engine down (ucache): the function runs uncached, one warning', async () => {
        const t = make()
        await t.call()
        await advance(1.4)
        await t.cached.engine.close()
        expect(await t.call()).toBe('v2')
        expect(await t.call()).toBe('v3')
        expect(warnings.filter((w) => w.includes('failed')).length).toBe(1)
      })

      it('revalidate × notModified: keeps the value without running the function and restarts its TTL', async () => {
        const seen: unknown[] = []
        const t = make({
          revalidate: (previous: { value: unknown }) => {
            seen.push(previous.value)
            return notModified
          },
        })
        await t.call()
        await advance(1.4)
        expect(await t.call()).toBe('v1')
        await until(() => t.info().refreshes === 1 && seen.length === 1)
        await untilAsync(async () => (await t.cached.cachePeek(1)) === 'v1')
        // 1.8U after the first write (stale unless the TTL restarted), 0.4U after the refresh:
        // fresh, with room for a loaded machine on the real clock.
        await advance(0.4)
        await tick()
        const before = t.info().hits
        expect(await t.call()).toBe('v1')
        expect(t.info().hits).toBe(before + 1)
        expect(seen).toEqual(['v1'])
        expect(t.state.runs).toBe(1)
      })

      it('revalidate × a new value: stored; it gets { value, createdAt, expiresAt } and the arguments; cacheRefresh uses it too', async () => {
        const seen: unknown[][] = []
        const t = make({
          revalidate: (previous: { value: unknown; createdAt: number; expiresAt: number }, id: number) => {
            seen.push([previous.value, previous.expiresAt - previous.createdAt, id])
            return `r${seen.length}`
          },
        })
        await t.call(3)
        await advance(1.4)
        expect(await t.call(3)).toBe('v1')
        await untilAsync(async () => (await t.cached.cachePeek(3)) === 'r1')
        expect(await t.call(3)).toBe('r1')
        expect(await t.cached.cacheRefresh(3)).toBe('r2')
        expect(await t.cached.cachePeek(3)).toBe('r2')
        // Without an entry, cacheRefresh runs the function.
        expect(await t.cached.cacheRefresh(4)).toBe('v2')
        // The run's start to the write's end of ttl: U on a fake clock, a little more on a real one.
        expect(seen[0]).toEqual(['v1', expect.any(Number), 3])
        expect(seen[0]![1]).toBeGreaterThanOrEqual(U)
        expect(seen[0]![1]).toBeLessThan(1.2 * U)
        expect(seen.map((s) => s[0])).toEqual(['v1', 'r1'])
        expect(t.state.runs).toBe(2)
      })

      it('cacheRefresh recomputes and stores; cachePeek reads without running or counting', async () => {
        const t = make()
        expect(await t.cached.cachePeek(1)).toBeUndefined()
        await t.call()
        expect(await t.cached.cacheRefresh(1)).toBe('v2')
        expect(await t.cached.cachePeek(1)).toBe('v2')
        expect(await t.call()).toBe('v2')
        expect(t.info()).toMatchObject({ hits: 1, misses: 1, refreshes: 1 })
      })

      it('events: miss, hit, stale, refresh and error, in order', async () => {
        const t = make()
        const types = () => events.filter((e) => e.engine === target.engine).map((e) => e.type)
        await t.call()
        await t.call()
        expect(types()).toEqual(['miss', 'set', 'hit'])
        expect(events[0]!.durationMs).toBeGreaterThanOrEqual(0)
        await advance(1.4)
        events.length = 0
        await t.call()
        await until(() => types().includes('refresh'))
        expect(types()).toEqual(['stale', 'set', 'refresh'])
        await advance(1.4)
        events.length = 0
        t.state.mode = 'throw'
        await t.call()
        await until(() => types().includes('error'))
        expect(types()).toEqual(['stale', 'error'])
        expect(events.every((e) => e.key !== undefined && e.key.length === 12)).toBe(true)
      })
    })
  }

  /** Lets a slow run that was abandoned finish, and its (unstored) result settle. */
  async function releaseLate(t: { state: { runs: number; release(): void } }) {
    const runs = t.state.runs
    t.state.release()
    await until(() => t.state.runs === runs + 1)
    await tick()
    await tick()
  }

  /** `until` for async checks (cachePeek on an async engine). */
  async function untilAsync(check: () => Promise<boolean>) {
    const start = performance.now()
    while (!(await check())) {
      if (performance.now() - start > 5_000) throw new Error('condition not reached in 5 s')
      await tick()
    }
  }
}
