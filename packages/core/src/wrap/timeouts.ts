import { TimeoutError } from '../errors.js'
import type { KeyFor } from './keying.js'
import { type AnyFunction, type Step, type Store, isThenable } from './pipeline.js'

/** `hardTimeout` for one cached function: see {@link hardTimeouts}. */
export interface HardTimeouts {
  /** The key builder for the cached call: it also marks the call's key with the call's end. */
  readonly keyFor: KeyFor
  /** The cached call, giving each call its budget. */
  call(cached: AnyFunction): AnyFunction
  /** The function, raced against what is left of its call's budget. */
  run(fn: AnyFunction): AnyFunction
  /** The engine's side: reads and writes raced against what is left of the budget. */
  readonly step: Step
}

/**
 * `hardTimeout` (ARCHITECTURE.md §12): a call rejects with `TimeoutError` once `ms` have passed,
 * cached or not. The engine's read, the run and the write share one budget, so a slow read
 * followed by a slow run still fails in time. Each phase is raced against the time left:
 *
 * - the read is issued synchronously inside the call, so `call` hands it the call's end through
 *   `starting`;
 * - the run and the write come later, and find the end under their key in `ends`. The call's
 *   own key builder (`keyFor`, so the key is built once per call) sets it for the first call of
 *   a key (callers arriving meanwhile share its run, as in-flight runs are shared), and `call`
 *   removes it when that call settles. Without an owner (a refresh through `cacheRefresh`, a
 *   background refresh whose caller already returned) a phase gets all of `ms`.
 *
 * The cached call only stores what the raced run resolved to, so an abandoned run's late result
 * is never stored. A sync result cannot time out and passes through untouched.
 */
export function hardTimeouts(ms: number, name: string, keyFor: KeyFor): HardTimeouts {
  const ends = new Map<string, number>()
  /** The end of the call in progress, and the key it came to own (both set inside `call`). */
  let starting: number | undefined
  let owned: string | undefined
  const left = (end: number | undefined): number => (end === undefined ? ms : Math.max(0, end - Date.now()))
  const endOf = (args: unknown[], self: unknown): number | undefined => {
    try {
      return ends.get(keyFor(args, self))
    } catch {
      return undefined
    }
  }
  const runMessage = `'${name}' ran longer than its hardTimeout (${ms} ms); the run is abandoned and its result will not be stored`
  const engineMessage = `the engine did not answer within '${name}''s hardTimeout (${ms} ms)`
  /** The call that owned `key` is over: later phases of other calls get all of `ms` again. */
  const release = (key: string | undefined, end: number): void => {
    if (key !== undefined && ends.get(key) === end) ends.delete(key)
  }
  return {
    keyFor(args, self) {
      const key = keyFor(args, self)
      if (starting !== undefined && !ends.has(key)) {
        ends.set(key, starting)
        owned = key
      }
      return key
    },
    call: (cached) =>
      function (this: unknown, ...args: unknown[]): unknown {
        const end = Date.now() + ms
        // Saved and restored: the function may call itself (a sync run inside this call).
        const outerStarting = starting
        const outerOwned = owned
        starting = end
        owned = undefined
        let key: string | undefined
        let result: unknown
        try {
          result = cached.apply(this, args)
        } catch (error) {
          release(owned, end)
          throw error
        } finally {
          key = owned
          starting = outerStarting
          owned = outerOwned
        }
        if (key === undefined) return result
        if (!isThenable(result)) {
          release(key, end)
          return result
        }
        return Promise.resolve(result).then(
          (value) => {
            release(key, end)
            return value
          },
          (error: unknown) => {
            release(key, end)
            throw error
          },
        )
      },
    // A miss builds its key once more here, to find its call's end: the run is not told its key.
    run: (fn) =>
      function (this: unknown, ...args: unknown[]): unknown {
        const result = fn.apply(this, args)
        return isThenable(result) ? deadline(result, left(endOf(args, this)), runMessage, ms) : result
      },
    step: (inner: Store, { sync }): Store => {
      if (sync) return inner
      return {
        // An inline answer (an L1 hit) cannot hang.
        getNow: inner.getNow?.bind(inner),
        get: (key) => deadline(inner.get(key) as PromiseLike<unknown>, left(starting ?? ends.get(key)), engineMessage, ms),
        set: (key, value, options) => deadline(inner.set(key, value, options) as PromiseLike<unknown>, left(ends.get(key)), engineMessage, ms),
      }
    },
  }
}

/**
 * `promise`, or a `TimeoutError` (reporting `timeoutMs`) once `wait` ms have passed. The timer
 * never keeps the process alive.
 */
export function deadline<T>(promise: PromiseLike<T>, wait: number, message: string, timeoutMs = wait): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new TimeoutError(message, timeoutMs)), wait)
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
