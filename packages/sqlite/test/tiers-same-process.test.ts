/**
 * l1 on SQLite with a second engine on the same file in this process: both share one
 * connection, whose own commits never move `PRAGMA data_version`. A write, delete or clear made
 * through the other engine must still leave the tier's L1 within VERSION_CHECK_MS.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { MISS, VERSION_CHECK_MS, createTieredEngine } from '@twat-cache/core'
import { afterAll, describe, expect, it } from 'vitest'
import { createSqliteEngine } from '../src/engine.js'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const cacheDir = mkdtempSync(join(tmpdir(), 'twat-sqlite-tiers-same-'))
afterAll(() => rmSync(cacheDir, { recursive: true, force: true }))

describe('l1 on sqlite, a second engine on the same file in this process', () => {
  it('its set, delete and clear leave the tier’s L1 within VERSION_CHECK_MS; the tier’s own writes keep L1', async () => {
    const tiered = createTieredEngine(createSqliteEngine({ cacheDir, folderName: 'same', namespace: 'ns' }), { maxsize: 10 })
    const other = createSqliteEngine({ cacheDir, folderName: 'same', namespace: 'ns' })
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
