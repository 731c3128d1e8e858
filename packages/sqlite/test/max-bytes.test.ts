import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { acache } from '@twat-cache/core'
import { afterEach, beforeEach, expect, it } from 'vitest'
import { captureLogs, resetLogsAfterEach } from '../../core/test/wrappers-support.js'
import { expectOversizeEntrySkippedOnce, survivorsAfterByteEviction } from '../../core/test/fixtures/max-bytes-checks.js'
import '../src/index.js'
import { SQLITE_CAPABILITIES, type SqliteEngine, type SqliteEngineConfig, createSqliteEngine } from '../src/engine.js'

let cacheDir: string
const open: SqliteEngine[] = []
let warnings: string[] = []

function make(config: SqliteEngineConfig = {}): SqliteEngine {
  const engine = createSqliteEngine({ cacheDir, folderName: 'f', namespace: 'ns', ...config })
  open.push(engine)
  return engine
}

/** [stored bytes per the counts table, the sum of the entries' sizes, the sum of the values' lengths]. */
function bytesInFile(engine: SqliteEngine): [number, number, number] {
  const db = new Database(engine.path, { readonly: true })
  try {
    const counted = db.prepare(`SELECT bytes FROM twat_cache_counts WHERE namespace = 'ns'`).pluck().get() as number
    const summed = db.prepare(`SELECT SUM(size) FROM twat_cache_entries WHERE namespace = 'ns'`).pluck().get() as number
    const actual = db
      .prepare(
        `SELECT SUM(CASE WHEN value_id IS NULL THEN length(value) ELSE (SELECT length(value) FROM twat_cache_values WHERE id = value_id) END) FROM twat_cache_entries WHERE namespace = 'ns'`,
      )
      .pluck()
      .get() as number
    return [counted, summed, actual]
  } finally {
    db.close()
  }
}

beforeEach(() => {
  cacheDir = mkdtempSync(join(tmpdir(), 'twat-sqlite-bytes-'))
  warnings = captureLogs().warnings
})
resetLogsAfterEach()

afterEach(() => {
  for (const engine of open.splice(0)) engine.close()
  rmSync(cacheDir, { recursive: true, force: true })
})

it('declares maxBytes and keeps the stored bytes of a namespace within it, evicting least-recently-used first', () => {
  expect(SQLITE_CAPABILITIES.maxBytes).toBe(true)
  const engine = make({ maxBytes: 5_000, engineOptions: { accessFlushMs: 0 } })
  // 1 KB values, small and large (out-of-line) both count.
  for (let i = 0; i < 4; i++) engine.set(`k${i}`, 'v'.repeat(1000))
  expect(engine.get('k0')).toBe('v'.repeat(1000))
  for (let i = 4; i < 12; i++) {
    engine.set(`k${i}`, 'v'.repeat(1000))
    const [counted, summed, actual] = bytesInFile(engine)
    expect(counted).toBeLessThanOrEqual(5_000)
    expect(counted).toBe(summed)
    expect(counted).toBe(actual)
  }
  expect(engine.size()).toBe(4)
  expect(engine.keys()).toEqual(['k8', 'k9', 'k10', 'k11'])
  // Overwrites and deletes keep the count exact.
  engine.set('k11', 'short')
  engine.delete('k10')
  const [counted, , actual] = bytesInFile(engine)
  expect(counted).toBe(actual)
})

it('lru order decides which entry goes when bytes run out', () => {
  expect(survivorsAfterByteEviction(make({ maxBytes: 3_500, engineOptions: { accessFlushMs: 60_000 } }))).toEqual({ a: true, b: false })
})

it('an entry larger than maxBytes on its own is not stored, replaces nothing, and says so once', () => {
  expectOversizeEntrySkippedOnce(make({ maxBytes: 500 }), warnings)
})

it('without maxBytes nothing is evicted for size', () => {
  const engine = make()
  for (let i = 0; i < 20; i++) engine.set(`k${i}`, 'v'.repeat(1000))
  expect(engine.size()).toBe(20)
  expect(bytesInFile(engine)[0]).toBeGreaterThan(20_000)
})

it('with l1, a value too large for maxBytes is not served from memory either', async () => {
  let runs = 0
  const f = acache({ engine: 'sqlite', cacheDir, folderName: 'f', maxBytes: 4096, l1: true })(async (n: number) => {
    runs++
    return 'x'.repeat(n)
  })
  // The store refuses 10,000 characters: each call runs again, L1 keeps nothing either.
  await f(10_000)
  await f(10_000)
  expect(runs).toBe(2)
  await f(10)
  await f(10)
  expect(runs).toBe(3)
  f.engine.close()
})
