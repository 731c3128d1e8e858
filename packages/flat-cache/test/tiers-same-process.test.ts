/**
 * l1 on flat-cache with a second engine on the same namespace in this process: both share one
 * in-memory store, so the file's version never shows the other's writes. A write, delete or
 * clear made through the other engine must still leave the tier's L1 within VERSION_CHECK_MS.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { MISS, VERSION_CHECK_MS, createTieredEngine } from '@twat-cache/core'
import { afterAll, describe, expect, it } from 'vitest'
import { createFlatCacheEngine } from '../src/index.js'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const cacheDir = mkdtempSync(join(tmpdir(), 'twat-flat-tiers-same-'))
afterAll(() => rmSync(cacheDir, { recursive: true, force: true }))

describe('l1 on flat-cache, a second engine on the same namespace in this process', () => {
  it('its set, delete and clear leave the tier’s L1 within VERSION_CHECK_MS; the tier’s own writes keep L1', async () => {
    const options = { cacheDir, namespace: 'same', engineOptions: { debounceMs: 0 } }
    const tiered = createTieredEngine(createFlatCacheEngine(options), { maxsize: 10 })
    const other = createFlatCacheEngine(options)
    try {
      tiered.set('k', 'v1')
      tiered.set('j', 'j1')
      expect(tiered.get('k')).toBe('v1')
      await sleep(VERSION_CHECK_MS + 5)
      expect(tiered.get('k')).toBe('v1')
      expect(tiered.l1.has('j'), 'own writes keep L1').toBe(true)
      other.set('k', 'v2')
      await sleep(VERSION_CHECK_MS + 5)
      expect(tiered.get('k')).toBe('v2')
      other.delete('k')
      await sleep(VERSION_CHECK_MS + 5)
      expect(tiered.get('k')).toBe(MISS)
      tiered.set('k', 'v3')
      expect(tiered.get('k')).toBe('v3')
      other.clear()
      await sleep(VERSION_CHECK_MS + 5)
      expect(tiered.get('k')).toBe(MISS)
    } finally {
      tiered.close()
      other.close()
    }
  })
})
