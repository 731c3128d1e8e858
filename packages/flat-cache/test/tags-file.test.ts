/**
 * The folder's tags file (tags.ts): bounded by the tagged lifetime, robust to a damaged file,
 * and a version that moves on every write, so one `stat` is enough to notice a mark.
 */
import { mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type Logger, resetWarnings, setLogger } from '@twat-cache/core'
import { afterAll, afterEach, beforeEach, expect, it, vi } from 'vitest'
import { fileVersion } from '../src/file-format.js'
import { type FlatCacheEngine, TAGS_FILE, createFlatCacheEngine } from '../src/index.js'

const root = mkdtempSync(join(tmpdir(), 'twat-flat-tagfile-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))
let dir = ''
let counter = 0
const opened: FlatCacheEngine[] = []
const open = (namespace = 'n') => {
  const engine = createFlatCacheEngine({ cacheDir: dir, namespace })
  opened.push(engine)
  return engine
}
const recorded = () => (JSON.parse(readFileSync(join(dir, TAGS_FILE), 'utf8')) as { tags: [string][] }).tags.map((row) => row[0]).sort()

beforeEach(() => {
  dir = join(root, `case-${++counter}`)
})
afterEach(() => {
  for (const engine of opened.splice(0)) engine.close()
  vi.useRealTimers()
})

it('records are kept for the longest tagged lifetime, then dropped by a later mark', () => {
  vi.useFakeTimers({ now: 1_700_000_000_000, toFake: ['Date'] })
  const engine = open()
  engine.keepTags(1000)
  engine.markTags(['old'], 'invalidate', Date.now())
  vi.setSystemTime(Date.now() + 500)
  engine.markTags(['mid'], 'expire', Date.now())
  expect(recorded()).toEqual(['mid', 'old'])
  vi.setSystemTime(Date.now() + 600)
  engine.markTags(['new'], 'invalidate', Date.now())
  // 'old' was marked 1,100 ms ago, past the 1,000 ms lifetime; 'mid' 600 ms ago.
  expect(recorded()).toEqual(['mid', 'new'])
  expect(engine.readTags(['old'])).toEqual({ invalidatedAt: 0, expiredAt: 0 })
  expect(engine.readTags(['mid']).expiredAt).toBeGreaterThan(0)
})

it('a tagged entry without ttl keeps records for good; a shorter lifetime never lowers the horizon', () => {
  vi.useFakeTimers({ now: 1_700_000_000_000, toFake: ['Date'] })
  const engine = open()
  engine.keepTags(Number.POSITIVE_INFINITY)
  engine.keepTags(10)
  engine.markTags(['kept'], 'invalidate', Date.now())
  vi.setSystemTime(Date.now() + 86_400_000)
  engine.markTags(['later'], 'invalidate', Date.now())
  expect(recorded()).toEqual(['kept', 'later'])
})

it('a damaged tags file reads as no marks (one warning) and the next mark rewrites it', () => {
  const warnings: string[] = []
  resetWarnings()
  const logger: Logger = { debug() {}, info() {}, warn: (m: string) => void warnings.push(m), error: (m: string) => void warnings.push(m) }
  setLogger(logger, 'warn')
  try {
    const engine = open()
    writeFileSync(join(dir, TAGS_FILE), '{"tags": [["t", "not a number"]]}')
    expect(engine.readTags(['t'])).toEqual({ invalidatedAt: 0, expiredAt: 0 })
    expect(engine.readTags(['t'])).toEqual({ invalidatedAt: 0, expiredAt: 0 })
    expect(warnings).toEqual([expect.stringMatching(/tag file .* is unreadable .*rewritten by the next invalidateTags/)])
    engine.markTags(['t'], 'invalidate', 42)
    expect(engine.readTags(['t'])).toEqual({ invalidatedAt: 42, expiredAt: 0 })
    expect(recorded()).toEqual(['t'])
  } finally {
    setLogger(console, 'warn')
  }
})

it('every write moves the file version: its mtime passes the previous one, whatever the clock says', () => {
  const engine = open()
  const other = open('other')
  const path = join(dir, TAGS_FILE)
  const versions = new Set<string | undefined>()
  for (let i = 0; i < 10; i++) {
    // The previous version stamped ahead of the clock, as a coarse or stepped-back clock leaves
    // it: the next write (same size) would otherwise carry an older or equal mtime.
    const ahead = (Date.now() + 5000 + i * 10) / 1000
    if (i > 0) utimesSync(path, ahead, ahead)
    const before = statSync(path, { throwIfNoEntry: false })?.mtimeMs ?? 0
    engine.markTags(['t'], 'invalidate', 1_000_000_000_0 + i)
    expect(statSync(path).mtimeMs).toBeGreaterThan(before)
    versions.add(fileVersion(path))
    // Another engine's copy notices by that version alone.
    expect(other.readTags(['t']).invalidatedAt).toBe(1_000_000_000_0 + i)
  }
  expect(versions.size).toBe(10)
})
