/**
 * The conformance suite's tag cases over `l1` (a memory tier in front of flat-cache): the tiered
 * engine passes the store's tag methods through, so tag state stays store-wide. Only the tag
 * cases: the rest of the suite checks things L1 answers for itself (its own eviction, stats).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createTieredEngine } from '@twat-cache/core'
import { afterAll, describe } from 'vitest'
import { tagCases } from '../../conformance/src/cases/tags.js'
import { Harness } from '../../conformance/src/harness.js'
import { createFlatCacheEngine } from '../src/engine.js'

const cacheDir = mkdtempSync(join(tmpdir(), 'twat-flat-l1-tags-'))
afterAll(() => rmSync(cacheDir, { recursive: true, force: true }))

describe('flat-cache with l1: tag conformance cases', () => {
  tagCases(new Harness({ name: 'flat-cache', create: (config) => createTieredEngine(createFlatCacheEngine(config), { maxsize: 100 }), configOverrides: { cacheDir } }))
})
