import type { LockConfig } from '../config.js'
import { warnOnce } from '../logger.js'
import { type Engine, MISS } from '../types.js'
import type { Step, Store } from './pipeline.js'

/**
 * `lock`: a cold or expired key is computed once across processes (ARCHITECTURE.md §14).
 *
 * It is a step: on a miss, before the pipeline runs the function, the step takes the engine's
 * lease on the key (`acquire`). The holder's `claim` (the pipeline's read before a run; `get`,
 * which `cachePeek` and refreshes use, never waits or takes a lease) answers `MISS`, so its
 * process runs the function (its other callers join that run, as always); the write releases
 * the lease, and so does a run that ends without one (`abandon`). Everyone else polls for the value with a short backoff, taking
 * the lease themselves if it is given back without a value, or expires because its holder died;
 * after `wait` they stop waiting and compute. All callers of one process share one wait.
 *
 * Polling, not a message: it is the same code on Redis, Redis Cluster and SQLite, and with the
 * backoff capped at `MAX_POLL_MS` a waiter sees the value at most that long after it lands (the
 * stampede bench finishes within factory time + 50 ms at p50).
 *
 * If the lease store cannot be reached, the step shares runs within this process only (the
 * pipeline's in-flight map), with one warning; it never turns that into an error.
 */

/** The longest pause between two looks for the value while another process computes it. */
export const MAX_POLL_MS = 20

export function lockStep(lock: LockConfig, sleep: (ms: number) => Promise<void> = defaultSleep, now: () => number = Date.now): Step {
  return (inner: Store, { engine, name }): Store => {
    /** Leases this process holds, by key: released by the write (or a failed run). */
    const held = new Map<string, string>()
    /** One wait per key for every caller of this process. */
    const waits = new Map<string, Promise<unknown>>()

    const unreachable = (error: unknown): typeof MISS => {
      warnOnce(
        `lock:${engine.name}:${name}`,
        'lock',
        `cannot take the lease for '${name}' on ${engine.name} (${(error as Error)?.message ?? String(error)}); until it is back, each process computes a cold key on its own`,
      )
      return MISS
    }
    const release = (key: string): void => {
      const token = held.get(key)
      if (token === undefined) return
      held.delete(key)
      // An unreachable store lets the lease expire by itself; nobody waits on this promise.
      Promise.resolve()
        .then(() => engine.release!(key, token))
        .catch(() => undefined)
    }

    /** Take the lease (answer MISS: we compute) or wait for the value another process computes. */
    async function waitOrTake(key: string): Promise<unknown> {
      const deadline = now() + lock.wait
      let pause = 1
      for (;;) {
        let token: string | undefined
        try {
          token = await (engine as Engine).acquire!(key, lock.ttl)
        } catch (error) {
          return unreachable(error)
        }
        if (token !== undefined) {
          held.set(key, token)
          // The holder before us may have written it between our miss and our lease.
          let landed: unknown
          try {
            landed = await inner.get(key)
          } catch (error) {
            // No run follows (the caller gets the error), so nothing would release the lease:
            // everyone, this process included, would wait `wait` for a value nobody computes.
            release(key)
            throw error
          }
          if (landed !== MISS) release(key)
          return landed
        }
        const left = deadline - now()
        if (left <= 0) return MISS
        await sleep(Math.min(pause, left))
        pause = Math.min(pause * 2, MAX_POLL_MS)
        const value = await inner.get(key)
        if (value !== MISS) return value
      }
    }

    const shared = (key: string): Promise<unknown> => {
      let pending = waits.get(key)
      if (!pending) {
        pending = waitOrTake(key).finally(() => waits.delete(key))
        waits.set(key, pending)
      }
      return pending
    }

    return {
      get: (key) => inner.get(key),
      // A hit needs no lease: an L1 hit is answered inline as without the lock.
      getNow: inner.getNow?.bind(inner),
      claim(key) {
        return Promise.resolve(inner.get(key)).then((value) => (value === MISS ? shared(key) : value))
      },
      async set(key, value, options) {
        try {
          await inner.set(key, value, options)
        } finally {
          release(key)
        }
      },
      abandon: release,
    }
  }
}

const defaultSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/** Why `lock` cannot use `engine`, or `undefined` if it can. */
export function lockProblem(engine: { name: string; capabilities: { lease?: boolean } }, fitting: readonly string[]): string | undefined {
  if (engine.capabilities.lease) return undefined
  const fit = fitting.length > 0 ? fitting.join(', ') : 'none is registered: import @twat-cache/redis or @twat-cache/sqlite'
  return `lock shares a lease between processes, but '${engine.name}' offers none (it is not shared, or has no acquire/release): drop lock, or choose an engine that does (${fit})`
}
