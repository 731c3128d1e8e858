/** The engine's command timeout (deadlines.ts), on a fake clock. */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { deadlines } from '../src/deadlines.js'

beforeEach(() => {
  vi.useFakeTimers()
})
afterEach(() => {
  vi.useRealTimers()
})

/** A promise settled from outside. */
function pending<T>(): { promise: Promise<T>; resolve: (value: T) => void; reject: (error: Error) => void } {
  let resolve!: (value: T) => void
  let reject!: (error: Error) => void
  const promise = new Promise<T>((yes, no) => {
    resolve = yes
    reject = no
  })
  return { promise, resolve, reject }
}

describe('deadlines', () => {
  it('passes a reply through, and its error too', async () => {
    const { timed } = deadlines(1000)
    await expect(timed(Promise.resolve(7))).resolves.toBe(7)
    await expect(timed(Promise.reject(new Error('WRONGTYPE')))).rejects.toThrow('WRONGTYPE')
  })

  it('rejects a reply that does not come within the timeout, at most a quarter late', async () => {
    const { timed } = deadlines(1000)
    const reply = pending<string>()
    let outcome: unknown
    timed(reply.promise).then(
      (value) => (outcome = value),
      (error: Error) => (outcome = error),
    )
    await vi.advanceTimersByTimeAsync(999)
    expect(outcome).toBeUndefined()
    await vi.advanceTimersByTimeAsync(251)
    expect(outcome).toBeInstanceOf(Error)
    expect((outcome as Error).message).toBe('Command timed out (no reply within 1000 ms)')
    // The late reply changes nothing.
    reply.resolve('late')
    await vi.advanceTimersByTimeAsync(0)
    expect(outcome).toBeInstanceOf(Error)
  })

  it('times each command from when it was sent', async () => {
    const { timed } = deadlines(1000)
    const first = pending<number>()
    const second = pending<number>()
    const settled: string[] = []
    timed(first.promise).catch(() => settled.push('first'))
    await vi.advanceTimersByTimeAsync(600)
    timed(second.promise).catch(() => settled.push('second'))
    await vi.advanceTimersByTimeAsync(650)
    expect(settled).toEqual(['first'])
    await vi.advanceTimersByTimeAsync(600)
    expect(settled).toEqual(['first', 'second'])
  })

  it('keeps no timer while nothing is in flight', async () => {
    const { timed } = deadlines(1000)
    expect(vi.getTimerCount()).toBe(0)
    const reply = pending<number>()
    const answer = timed(reply.promise)
    expect(vi.getTimerCount()).toBe(1)
    reply.resolve(1)
    await expect(answer).resolves.toBe(1)
    await vi.advanceTimersByTimeAsync(250)
    expect(vi.getTimerCount()).toBe(0)
  })

  it('times nothing with an infinite timeout (a timer cannot wait that long)', async () => {
    const { timed } = deadlines(Number.POSITIVE_INFINITY)
    const reply = pending<number>()
    let outcome: unknown
    timed(reply.promise).catch((error: unknown) => (outcome = error))
    expect(vi.getTimerCount()).toBe(0)
    await vi.advanceTimersByTimeAsync(60_000)
    expect(outcome).toBeUndefined()
  })
})
