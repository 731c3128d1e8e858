/**
 * l1 on SQLite with a second engine on the same file in this process: both share one
 * connection, whose own commits never move `PRAGMA data_version`. A write, delete or clear made
 * through the other engine must still leave the tier's L1 within VERSION_CHECK_MS.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createTieredEngine } from '@twat-cache/core'
import { afterAll, describe, it } from 'vitest'
import { otherEngineOfThisProcess } from './fixtures/l1-same-process.js'
import { createSqliteEngine } from '../src/engine.js'

const cacheDir = mkdtempSync(join(tmpdir(), 'twat-sqlite-tiers-same-'))
afterAll(() => rmSync(cacheDir, { recursive: true, force: true }))

describe('l1 on sqlite, a second engine on the same file in this process', () => {
  it('its set, delete and clear leave the tier’s L1 within VERSION_CHECK_MS; the tier’s own writes keep L1', async () => {
    const tiered = createTieredEngine(createSqliteEngine({ cacheDir, folderName: 'same', namespace: 'ns' }), { maxsize: 10 })
    const other = createSqliteEngine({ cacheDir, folderName: 'same', namespace: 'ns' })
    try {
      await otherEngineOfThisProcess(tiered, other)
    } finally {
      tiered.close()
      other.close()
    }
  })
})
