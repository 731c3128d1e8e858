import { afterEach, vi } from 'vitest'
import { type AsyncEngine, type EngineConfig, createMemoryEngine, registerEngine, resetWarnings, setLogger } from '../src/index.js'

/** Collect warnings and infos instead of printing them (reset after each test by `resetLogsAfterEach`). */
export function captureLogs() {
  const warnings: string[] = []
  const infos: string[] = []
  setLogger(
    { debug: () => {}, info: (m: string) => infos.push(m), warn: (m: string) => warnings.push(m), error: (m: string) => warnings.push(m) },
    'info',
  )
  return { warnings, infos }
}

/** Restore the console logger, forget one-time warnings and real timers after each test. */
export function resetLogsAfterEach(): void {
  afterEach(() => {
    setLogger(console, 'warn')
    resetWarnings()
    vi.useRealTimers()
  })
}

// An async engine over the memory engine: the path Redis and cacheable take, tested here
// with the wrapper's own edge cases. `state.throwOnGet` makes `get` throw synchronously (a
// broken engine), `state.rejectAll` makes every operation reject (a store that went down).
export function registerAsyncMemory() {
  const state = { gets: 0, throwOnGet: false, rejectAll: false }
  registerEngine({
    name: 'async-memory',
    capabilities: { ...createMemoryEngine().capabilities, mode: 'async' },
    priority: -1,
    create(config: EngineConfig): AsyncEngine {
      const inner = createMemoryEngine(config)
      const op = <T>(f: () => T): Promise<T> => (state.rejectAll ? Promise.reject(new Error('store down')) : Promise.resolve(f()))
      return {
        name: 'async-memory',
        capabilities: { ...inner.capabilities, mode: 'async' },
        get(key) {
          state.gets++
          if (state.throwOnGet) throw new Error('get threw synchronously')
          return op(() => inner.get(key))
        },
        set: (key, value, options) => op(() => inner.set(key, value, options)),
        delete: (key) => op(() => inner.delete(key)),
        clear: () => op(() => inner.clear()),
        close: () => op(() => inner.close()),
        [Symbol.asyncDispose]: async () => inner.close(),
      }
    },
  })
  return state
}

/** The error `run` throws (fails the test if it returns). */
export function catchError(run: () => unknown): unknown {
  try {
    run()
  } catch (error) {
    return error
  }
  throw new Error('expected an error, but the call returned')
}
