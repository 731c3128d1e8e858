import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { bcache, setLogger } from '@twat-cache/core'
import '@twat-cache/sqlite'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BOUND, leakPerIteration } from '../../core/test/fixtures/heap.js'

// A long-running server on a real SQLite file must not grow without bound (method: core's fixtures/heap.ts).

const cacheDir = mkdtempSync(join(tmpdir(), 'twat-sqlite-long-'))
beforeAll(() => setLogger({ debug() {}, info() {}, warn() {}, error() {} }, 'warn'))
afterAll(() => {
  setLogger(console, 'warn')
  rmSync(cacheDir, { recursive: true, force: true })
})

describe('sqlite in a long-running process', () => {
  it('bcache created per request, called once, dropped: the heap returns after gc', async () => {
    // Requests are separate tasks (a WeakRef keeps its target until the task ends): yield now and then.
    const leak = await leakPerIteration(500, () => (i) => {
      bcache({ cacheDir, folderName: 'per-request' })((x: number) => x + 1)(i)
      return i % 50 === 0 ? new Promise((resolve) => setImmediate(resolve)) : undefined
    })
    expect(leak).toBeLessThan(BOUND)
  })

  it('one function, distinct keys, maxsize 1000: the heap stays bounded', async () => {
    const f = bcache({ cacheDir, folderName: 'churn', maxsize: 1000, ttl: 60_000, staleWhileRevalidate: 60_000 })((x: number) => x)
    expect(f.engine.name).toBe('sqlite')
    expect(await leakPerIteration(1000, () => (i) => f(i + 1e9 * Math.random()))).toBeLessThan(BOUND)
    expect(f.cacheInfo().size).toBeLessThanOrEqual(1000)
  })
})
