/**
 * The engine's command timeout, without a timer per command.
 *
 * ioredis' own `commandTimeout` arms and clears a timer for every command, and removes a field
 * from the command object when it clears it. Measured on a loopback hit (one caller awaiting
 * each GET): that costs ~9% of the round trip (0.91× the same client without it). Here one
 * interval, running only while commands are in flight, ticks four times per timeout; a command
 * still unanswered five ticks after the one it started in is rejected with ioredis' message
 * ("Command timed out"), which `explain` turns into advice. So a reply that never comes fails
 * between `timeoutMs` and 1.25 × `timeoutMs` after the command was sent.
 */
export interface Deadlines {
  /** `reply`, or a rejection if it has not settled within the timeout. */
  timed<T>(reply: Promise<T>): Promise<T>
}

/** Ticks per timeout: the timeout fires at most a quarter late. */
const TICKS = 4
/** The longest delay a timer takes (~24.8 days; Node fires longer ones after 1 ms). */
const MAX_DELAY = 2 ** 31 - 1

interface Waiting {
  readonly tick: number
  readonly reject: (error: Error) => void
}

/** `timeoutMs` of `Infinity` (or anything a timer cannot wait for) times nothing. */
export function deadlines(timeoutMs: number): Deadlines {
  if (!(timeoutMs / TICKS <= MAX_DELAY)) return { timed: (reply) => reply }
  const waiting = new Set<Waiting>()
  let tick = 0
  let timer: ReturnType<typeof setInterval> | undefined

  const check = (): void => {
    tick++
    for (const entry of waiting) {
      // Set order is start order, so the first entry still in time ends the scan.
      if (tick - entry.tick <= TICKS) break
      waiting.delete(entry)
      entry.reject(new Error(`Command timed out (no reply within ${timeoutMs} ms)`))
    }
    if (waiting.size === 0) {
      clearInterval(timer)
      timer = undefined
    }
  }

  return {
    timed<T>(reply: Promise<T>): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        const entry: Waiting = { tick, reject }
        waiting.add(entry)
        if (timer === undefined) {
          timer = setInterval(check, timeoutMs / TICKS)
          // The socket keeps the process alive while a reply is due; the interval must not.
          timer.unref?.()
        }
        reply.then(
          (value) => {
            waiting.delete(entry)
            resolve(value)
          },
          (error: unknown) => {
            waiting.delete(entry)
            reject(error)
          },
        )
      })
    },
  }
}
