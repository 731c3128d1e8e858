import type { Engine } from '../types.js'

/*
 * Telling a closed engine from a failing one, for getStats, cacheInfo and clearCache: an engine
 * that follows the contract throws `EngineClosedError` (code `E_ENGINE_CLOSED`) after
 * `close()`; for engines written before that rule, the wrappers note the user's own `close()`
 * (or dispose) call on the engines they created.
 */
const closedByUser = new WeakSet<object>()
const watched = new WeakSet<object>()

/** Note calls of `close()`, `[Symbol.dispose]()` and `[Symbol.asyncDispose]()` on `engine`. */
export function watchClose(engine: Engine): void {
  if (watched.has(engine)) return
  watched.add(engine)
  const methods = engine as unknown as Record<PropertyKey, unknown>
  for (const name of ['close', Symbol.dispose, Symbol.asyncDispose]) {
    const original = methods[name]
    if (typeof original !== 'function') continue
    try {
      Object.defineProperty(engine, name, {
        value(this: unknown, ...args: unknown[]) {
          closedByUser.add(engine)
          return original.apply(this, args)
        },
        configurable: true,
        writable: true,
      })
    } catch {
      // A frozen engine: only its EngineClosedError tells.
    }
  }
}

/** Whether `engine` was closed by the user, or `error` (if given) says it is closed. */
export function isClosed(engine: Engine, error?: unknown): boolean {
  return closedByUser.has(engine) || (error as { code?: unknown } | undefined)?.code === 'E_ENGINE_CLOSED'
}
