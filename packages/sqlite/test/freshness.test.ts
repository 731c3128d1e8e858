import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { acache, bcache } from '@twat-cache/core'
import '@twat-cache/sqlite'
import { afterAll } from 'vitest'
import { describeFreshnessTable } from '../../core/test/freshness-table.js'

// The semantics table on a real SQLite file, fake clock (the engine reads Date.now()).
const cacheDir = mkdtempSync(join(tmpdir(), 'twat-sqlite-fresh-'))
afterAll(() => rmSync(cacheDir, { recursive: true, force: true }))

const options = () => ({ engine: 'sqlite', cacheDir, folderName: 'fresh' })
describeFreshnessTable({ engine: 'sqlite', wrapper: bcache, options, unit: 1_000, clock: 'fake', sync: true })
describeFreshnessTable({ engine: 'sqlite', wrapper: acache, options, unit: 1_000, clock: 'fake', sync: false })
