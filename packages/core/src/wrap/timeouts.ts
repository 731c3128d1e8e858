import { TimeoutError } from '../errors.js'
import { type AnyFunction, type Step, type Store, isThenable } from './pipeline.js'

/**
 * `hardTimeout` (ARCHITECTURE.md §12). The run is raced against a timer: past it, the caller's
 * promise rejects with `TimeoutError`, and since the cached call only stores what the raced
 * promise resolved to, the abandoned run's late result is never stored. A sync result cannot
 * time out and passes through untouched.
 */
export function withHardTimeout(fn: AnyFunction, ms: number, name: string): AnyFunction {
  return function (this: unknown, ...args: unknown[]): unknown {
    const result = fn.apply(this, args)
    return isThenable(result) ? deadline(result, ms, `'${name}' ran longer than its hardTimeout (${ms} ms); the run is abandoned and its result will not be stored`) : result
  }
}

/** `promise`, or a `TimeoutError` once `ms` have passed. The timer never keeps the process alive. */
export function deadline<T>(promise: PromiseLike<T>, ms: number, message: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new TimeoutError(message, ms)), ms)
    ;(timer as { unref?: () => void }).unref?.()
    promise.then(
      (value) => {
        clearTimeout(timer)
        resolve(value)
      },
      (error: unknown) => {
        clearTimeout(timer)
        reject(error)
      },
    )
  })
}

/**
 * `hardTimeout` for the engine's side of a call ("cached or not"): an async engine that hangs
 * (a Redis server that stopped answering) fails the call in time too. Sync engines answer inline.
 */
export const hardTimeoutStep: Step = (inner: Store, { sync, config, name }): Store => {
  const ms = config.hardTimeout
  if (sync || ms === undefined) return inner
  const message = `the engine did not answer within '${name}''s hardTimeout (${ms} ms)`
  return {
    // An inline answer (an L1 hit) cannot hang.
    getNow: inner.getNow?.bind(inner),
    get: (key) => deadline(inner.get(key) as PromiseLike<unknown>, ms, message),
    set: (key, value, options) => deadline(inner.set(key, value, options) as PromiseLike<unknown>, ms, message),
  }
}
