import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Buffer } from 'node:buffer'
import { afterEach, beforeEach, expect, it } from 'vitest'
import { captureLogs, resetLogsAfterEach } from '../../core/test/wrappers-support.js'
import { expectOversizeEntrySkippedOnce, survivorsAfterByteEviction } from '../../core/test/fixtures/max-bytes-checks.js'
import { FLAT_CACHE_CAPABILITIES, type FlatCacheEngine, type FlatCacheEngineConfig, createFlatCacheEngine } from '../src/engine.js'

let dir: string
let warnings: string[] = []
const open: FlatCacheEngine[] = []

function make(config: FlatCacheEngineConfig = {}): FlatCacheEngine {
  const engine = createFlatCacheEngine({ cacheDir: dir, namespace: 'ns', engineOptions: { debounceMs: 0 }, ...config })
  open.push(engine)
  return engine
}

/** Stored bytes of the entries in the file (base64 decoded: the encoded entries as kept). */
function bytesInFile(engine: FlatCacheEngine): number {
  const items = JSON.parse(readFileSync(engine.path, 'utf8')) as { value: string }[]
  return items.reduce((sum, item) => sum + Buffer.from(item.value, 'base64').byteLength, 0)
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'twat-flat-bytes-'))
  warnings = captureLogs().warnings
})
resetLogsAfterEach()

afterEach(() => {
  for (const engine of open.splice(0)) engine.close()
  rmSync(dir, { recursive: true, force: true })
})

it.each(['lru', 'fifo'] as const)('declares maxBytes and keeps the stored bytes within it (%s)', (policy) => {
  expect(FLAT_CACHE_CAPABILITIES.maxBytes).toBe(true)
  const engine = make({ maxBytes: 5_000, policy })
  for (let i = 0; i < 4; i++) engine.set(`k${i}`, 'v'.repeat(1000))
  engine.get('k0')
  for (let i = 4; i < 12; i++) {
    engine.set(`k${i}`, 'v'.repeat(1000))
    expect(bytesInFile(engine)).toBeLessThanOrEqual(5_000)
    expect(engine.stats().bytes).toBe(bytesInFile(engine))
  }
  expect(engine.size()).toBe(4)
  expect(engine.keys()).toEqual(['k8', 'k9', 'k10', 'k11'])
})

it('lru order decides which entry goes when bytes run out; fifo ignores reads', () => {
  expect(survivorsAfterByteEviction(make({ maxBytes: 3_500, namespace: 'lru' }))).toEqual({ a: true, b: false })
  expect(survivorsAfterByteEviction(make({ maxBytes: 3_500, namespace: 'fifo', policy: 'fifo' }))).toEqual({ a: false, b: true })
})

it('an entry larger than maxBytes on its own is not stored, drops the old value, and says so once', () => {
  expectOversizeEntrySkippedOnce(make({ maxBytes: 500 }), warnings)
})

it('a smaller maxBytes on reopen trims what the file holds', () => {
  const first = make()
  for (let i = 0; i < 10; i++) first.set(`k${i}`, 'v'.repeat(1000))
  first.close()
  open.splice(0)
  const second = make({ maxBytes: 3_000 })
  expect(second.stats().bytes).toBeLessThanOrEqual(3_000)
  expect(second.size()).toBe(2)
})
