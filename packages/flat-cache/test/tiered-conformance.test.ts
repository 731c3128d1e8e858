/**
 * The whole conformance suite over `l1`: a memory tier in front of flat-cache (a real
 * directory), made as `l1: true` makes it (the tier's maxsize is the function's, L1 honours
 * `maxBytes` too). The tiered engine declares `capabilities.l1`, and the suite skips, with the
 * reason shown, only the cases a per-process memory tier cannot pass by design (docs/guide/tiers.md).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describeEngine } from '@twat-cache/conformance'
import { createTieredEngine } from '@twat-cache/core'
import { afterAll } from 'vitest'
import { FLAT_CACHE_CAPABILITIES, createFlatCacheEngine } from '../src/engine.js'

const cacheDir = mkdtempSync(join(tmpdir(), 'twat-flat-l1-conf-'))
afterAll(() => rmSync(cacheDir, { recursive: true, force: true }))

describeEngine({
  name: 'flat-cache',
  create: (config) => createTieredEngine(createFlatCacheEngine(config), config.l1!, { ttl: config.ttl, maxBytes: config.maxBytes }),
  capabilities: { ...FLAT_CACHE_CAPABILITIES, l1: true },
  configOverrides: { cacheDir, l1: true },
})
