import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describeEngine } from '@twat-cache/conformance'
import { afterAll } from 'vitest'
import { SQLITE_CAPABILITIES, createSqliteEngine } from '../src/engine.js'

const cacheDir = mkdtempSync(join(tmpdir(), 'twat-sqlite-conformance-'))
afterAll(() => rmSync(cacheDir, { recursive: true, force: true }))

describeEngine({
  name: 'sqlite',
  create: (config) => createSqliteEngine(config),
  capabilities: SQLITE_CAPABILITIES,
  importEntry: () => import('@twat-cache/sqlite'),
  importEngine: () => import('@twat-cache/sqlite/engine'),
  configOverrides: { cacheDir },
})
