import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describeEngine } from '@twat-cache/conformance'
import { afterAll } from 'vitest'
import { FLAT_CACHE_CAPABILITIES, createFlatCacheEngine } from '../src/engine.js'

const cacheDir = mkdtempSync(join(tmpdir(), 'twat-flat-conf-'))
afterAll(() => rmSync(cacheDir, { recursive: true, force: true }))

describeEngine({
  name: 'flat-cache',
  create: (config) => createFlatCacheEngine(config),
  capabilities: FLAT_CACHE_CAPABILITIES,
  importEntry: () => import('@twat-cache/flat-cache'),
  importEngine: () => import('@twat-cache/flat-cache/engine'),
  configOverrides: { cacheDir },
})
