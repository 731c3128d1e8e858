import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import '@twat-cache/sqlite'
import { afterAll } from 'vitest'
import { describeEntryMixing } from '../../core/test/freshness-entries.js'

// Bare values and envelopes in one real SQLite file, read by functions with other options.
const cacheDir = mkdtempSync(join(tmpdir(), 'twat-sqlite-fresh-mix-'))
afterAll(() => rmSync(cacheDir, { recursive: true, force: true }))

describeEntryMixing('sqlite', () => ({ engine: 'sqlite', cacheDir, folderName: 'mix' }))
