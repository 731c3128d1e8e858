import type { Engine } from '../types.js'

/*
 * Telling a closed engine from a failing one, for getStats, cacheInfo and clearCache: an engine
 * that follows the contract throws `EngineClosedError` (code `E_ENGINE_CLOSED`) after
 * `close()`; for engines written before that rule, the wrappers note the user's own `close()`
 * (or dispose) call on the engines they created.
 */
const closedByUser = new WeakSet<object>()
const watched = new WeakSet<object>()

/**
 * Note calls of `close()` on `engine` (what `f.engine.close()` runs). Dispose methods that do
 * not go through `close` are not seen; such engines are still recognised by their error.
 */
export function watchClose(engine: Engine): void {
  if (watched.has(engine)) return
  watched.add(engine)
  const close = engine.close
  try {
    ;(engine as { close: () => unknown }).close = function (this: unknown) {
      closedByUser.add(engine)
      return close.call(this)
    }
  } catch {
    // A frozen engine: only its EngineClosedError tells.
  }
}

/** Whether `engine` was closed by the user, or `error` (if given) says it is closed. */
export function isClosed(engine: Engine, error?: unknown): boolean {
  return closedByUser.has(engine) || (error as { code?: unknown } | undefined)?.code === 'E_ENGINE_CLOSED'
}
