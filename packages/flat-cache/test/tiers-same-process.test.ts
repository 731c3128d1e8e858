/**
 * l1 on flat-cache with a second engine on the same namespace in this process: both share one
 * in-memory store, so the file's version never shows the other's writes. A write, delete or
 * clear made through the other engine must still leave the tier's L1 within VERSION_CHECK_MS.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createTieredEngine } from '@twat-cache/core'
import { afterAll, describe, it } from 'vitest'
import { otherEngineOfThisProcess } from '../../sqlite/test/fixtures/l1-same-process.js'
import { createFlatCacheEngine } from '../src/index.js'

const cacheDir = mkdtempSync(join(tmpdir(), 'twat-flat-tiers-same-'))
afterAll(() => rmSync(cacheDir, { recursive: true, force: true }))

describe('l1 on flat-cache, a second engine on the same namespace in this process', () => {
  it('its set, delete and clear leave the tier’s L1 within VERSION_CHECK_MS; the tier’s own writes keep L1', async () => {
    const options = { cacheDir, namespace: 'same', engineOptions: { debounceMs: 0 } }
    const tiered = createTieredEngine(createFlatCacheEngine(options), { maxsize: 10 })
    const other = createFlatCacheEngine(options)
    try {
      await otherEngineOfThisProcess(tiered, other)
    } finally {
      tiered.close()
      other.close()
    }
  })
})
