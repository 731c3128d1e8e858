import type { EngineConfig } from '../config.js'
import { log } from '../logger.js'
import { type Engine, type EngineDefinition, MISS } from '../types.js'
import type { Step, Store } from './pipeline.js'

/** How long a failed engine is bypassed before ucache tries it again. */
export const DEGRADED_RETRY_MS = 1_000

/** Whether the engine is usable now; one warning per failure episode. */
interface Health {
  /** True while the engine should be bypassed. */
  bypass(): boolean
  fail(error: unknown): void
  ok(): void
}

function health(engineName: string): Health {
  const state = { down: false, retryAt: 0 }
  return {
    bypass: () => state.down && Date.now() < state.retryAt,
    fail(error: unknown): void {
      if (!state.down) {
        const reason = error instanceof Error ? error.message : String(error)
        log('warn', 'ucache', `engine '${engineName}' failed (${reason}); running the function uncached and retrying the engine in ${DEGRADED_RETRY_MS} ms`)
      }
      state.down = true
      state.retryAt = Date.now() + DEGRADED_RETRY_MS
    },
    ok(): void {
      if (state.down) {
        state.down = false
        log('info', 'ucache', `engine '${engineName}' is back; caching resumed`)
      }
    },
  }
}

/**
 * ucache's step: engine failures are absorbed. A failed read is a miss, a failed write is
 * skipped, and while the engine is down (for `DEGRADED_RETRY_MS` after a failure) it is not
 * asked at all, so the function simply runs uncached.
 */
export const degrading: Step = (inner: Store, { engine, sync }): Store => {
  const h = health(engine.name)
  /** `op`'s answer, or `fallback` while bypassed or when it throws or rejects; async mode always answers with a promise. */
  const attempt = (op: () => unknown, fallback: unknown): unknown => {
    if (h.bypass()) return sync ? fallback : Promise.resolve(fallback)
    const failed = (error: unknown): unknown => {
      h.fail(error)
      return fallback
    }
    const succeeded = (result: unknown): unknown => {
      h.ok()
      return result
    }
    try {
      const result = op()
      return sync ? succeeded(result) : Promise.resolve(result).then(succeeded, failed)
    } catch (error) {
      // An async engine that throws synchronously is treated like one that rejects.
      return sync ? failed(error) : Promise.resolve(failed(error))
    }
  }
  // An inline answer (an L1 hit) while the engine is not bypassed; a failure is a miss, which
  // then takes the async lookup and its bookkeeping.
  const getNow = inner.getNow?.bind(inner)
  return {
    get: (key) => attempt(() => inner.get(key), MISS),
    getNow:
      getNow &&
      ((key) => {
        if (h.bypass()) return MISS
        try {
          return getNow(key)
        } catch {
          return MISS
        }
      }),
    set: (key, value, options) => attempt(() => inner.set(key, value, options), undefined),
  }
}

/**
 * Stands in for an engine that failed to open: every operation tries to open it again and
 * throws the failure until it succeeds, which ucache's degradation turns into uncached calls.
 */
export function reopening(definition: EngineDefinition<EngineConfig>, config: EngineConfig): Engine {
  let inner: Engine | undefined
  const sync = definition.capabilities.mode === 'sync'
  const run = (op: (engine: Engine) => unknown) =>
    sync ? op((inner ??= definition.create(config))) : Promise.resolve().then(() => op((inner ??= definition.create(config))))
  const idle = () => (sync ? undefined : Promise.resolve())
  const close = () => (inner ? inner.close() : idle())
  return {
    name: definition.name,
    capabilities: definition.capabilities,
    get: (key: string) => run((e) => e.get(key)),
    set: (key: string, value: unknown, options?: { ttl?: number | undefined }) => run((e) => e.set(key, value, options)),
    delete: (key: string) => run((e) => e.delete(key)),
    clear: () => (inner ? inner.clear() : idle()),
    close,
    [Symbol.dispose]: close,
    [Symbol.asyncDispose]: async () => close(),
  } as unknown as Engine
}
