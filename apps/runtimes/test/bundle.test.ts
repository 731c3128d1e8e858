import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BUILD_TIMEOUT_MS, type Bundle, EXPECTED_FIRST, EXPECTED_SECOND, bundle, describeSize, ensureBuilt, nodeReferences } from './helpers/bundle.js'

/**
 * Not a budget (issue 7 budgets core+memory; core+lru is reported): a tripwire that fails when
 * the browser consumer grows by half, e.g. if full `zod` (~93 KB gzip) replaced `zod/mini`.
 */
const CORE_LRU_TRIPWIRE_BYTES = 35 * 1024

let work: string
let browser: Bundle
let edge: Bundle

beforeAll(async () => {
  ensureBuilt()
  work = mkdtempSync(join(tmpdir(), 'twat-runtimes-bundle-'))
  browser = await bundle('src/consumer.ts', 'browser')
  edge = await bundle('src/worker.ts', 'edge')
  console.log(describeSize('browser consumer (core + lru)', browser))
  console.log(describeSize('edge worker (core + lru)', edge))
}, BUILD_TIMEOUT_MS)

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true })
})

describe('consumer bundles (core + lru, from dist/)', () => {
  it('are single files with no node: specifiers or Node built-ins', () => {
    for (const b of [browser, edge]) {
      expect(b.externalImports).toEqual([])
      expect(nodeReferences(b.code)).toEqual([])
    }
    // The check itself must see a built-in when there is one.
    for (const sample of ['import{x}from"node:fs"', 'import"crypto"', 'const p=require("path")', 'await import("node:os")']) {
      expect(nodeReferences(sample), sample).not.toEqual([])
    }
  })

  it('keep the browser consumer under the size tripwire', () => {
    expect(browser.gzipBytes).toBeGreaterThan(1000)
    expect(browser.gzipBytes).toBeLessThanOrEqual(CORE_LRU_TRIPWIRE_BYTES)
  })

  it('compute the expected values and cache counts when run as a plain ES module', () => {
    const file = join(work, 'consumer.mjs')
    writeFileSync(file, browser.code)
    const script = `const { runConsumer } = await import(${JSON.stringify(pathToFileURL(file).href)})
console.log(JSON.stringify([runConsumer(), runConsumer()]))`
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20_000 })
    expect(JSON.parse(out)).toEqual([EXPECTED_FIRST, EXPECTED_SECOND])
  })
})
