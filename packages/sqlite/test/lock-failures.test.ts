/**
 * The lock step over a real SQLite lease store when a read fails right after this process took
 * the lease (a transient engine error, as a dropped connection would give on Redis): the lease
 * must be given back, or every process (this one included) waits `lock.wait` for a value that
 * nobody computes.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { MISS, createCacheConfig } from '@twat-cache/core'
import { afterAll, describe, expect, it } from 'vitest'
import type { Store, StepContext } from '../../core/src/wrap/pipeline.js'
import { lockStep } from '../../core/src/wrap/lock.js'
import { createSqliteEngine } from '../src/engine.js'

const cacheDir = mkdtempSync(join(tmpdir(), 'twat-sqlite-lock-'))
afterAll(() => rmSync(cacheDir, { recursive: true, force: true }))

describe('lock, a read that fails after the lease was taken', () => {
  it('gives the lease back at once and reports the error: the next caller, here or elsewhere, takes it without waiting', async () => {
    const engine = createSqliteEngine({ cacheDir, folderName: 'lock', namespace: 'fail' })
    const elsewhere = createSqliteEngine({ cacheDir, folderName: 'lock', namespace: 'fail' })
    let reads = 0
    // The store under the lock: the engine's read fails once, on the look after the lease.
    const inner: Store = {
      get(key) {
        if (++reads === 2) throw new Error('connection reset')
        return engine.get(key)
      },
      set: (key, value, options) => engine.set(key, value, options),
    }
    const context = { name: 'f', namespace: 'fail', config: createCacheConfig({}), engine, sync: false } as unknown as StepContext
    const lock = lockStep({ ttl: 60_000, wait: 60_000 })(inner, context)
    try {
      await expect(Promise.resolve(lock.claim!('k'))).rejects.toThrow('connection reset')
      const token = elsewhere.acquire!('k', 60_000)
      expect(token, 'the lease was given back').toBeTypeOf('string')
      elsewhere.release!('k', token!)
      // This process is not stuck on its own lease either: the next claim takes it and computes.
      expect(await lock.claim!('k')).toBe(MISS)
      expect(elsewhere.acquire!('k', 60_000), 'held by the new claim').toBeUndefined()
    } finally {
      engine.close()
      elsewhere.close()
    }
  })
})
