import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import type { SyncTagMethods } from '@twat-cache/core'
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest'
import { createSqliteEngine } from '../src/engine.js'

const cacheDir = mkdtempSync(join(tmpdir(), 'twat-sqlite-tags-'))
afterAll(() => rmSync(cacheDir, { recursive: true, force: true }))
afterEach(() => vi.useRealTimers())

let files = 0
/** A fresh database file and an engine on it; `rows()` counts the tag records in the file. */
function open() {
  const engine = createSqliteEngine({ cacheDir, folderName: `f${files++}`, namespace: 'ns' } as never)
  const rows = (): number => {
    const db = new Database(engine.path, { readonly: true })
    try {
      return (db.prepare('SELECT count(*) AS n FROM twat_cache_tags').get() as { n: number }).n
    } finally {
      db.close()
    }
  }
  return { engine, tags: engine as typeof engine & SyncTagMethods, rows }
}

describe('sqlite tag records are bounded', () => {
  it('records outlive the longest tagged lifetime, then later marks compact them, however many tags each mark carries', () => {
    vi.useFakeTimers({ now: 1_000_000, toFake: ['Date'] })
    const { engine, tags, rows } = open()
    tags.keepTags(1000)
    // Marks of 100 new tags each: compaction must keep up with them, not lag at a fixed rate.
    for (let m = 0; m < 30; m++) {
      tags.markTags(Array.from({ length: 100 }, (_, i) => `m${m}:t${i}`), 'invalidate', Date.now())
      vi.setSystemTime(Date.now() + 400)
    }
    // Records of the last ~1.4 s (1,000 ms horizon + one step) may remain; never all 3,000.
    expect(rows()).toBeLessThanOrEqual(400)
    expect(tags.readTags(['m29:t5']).invalidatedAt).toBeGreaterThan(0)
    engine.close()
  })

  it('a record is kept for the horizon (a later, shorter keepTags never lowers it); Infinity keeps records for good', () => {
    vi.useFakeTimers({ now: 2_000_000, toFake: ['Date'] })
    const { engine, tags, rows } = open()
    tags.keepTags(10_000)
    tags.keepTags(10) // shorter: ignored
    tags.markTags(['old'], 'invalidate', Date.now())
    vi.setSystemTime(Date.now() + 9_000)
    tags.markTags(['other'], 'expire', Date.now())
    expect(rows()).toBe(2)
    expect(tags.readTags(['old']).invalidatedAt).toBe(2_000_000)
    vi.setSystemTime(Date.now() + 2_000)
    tags.markTags(['other'], 'expire', Date.now())
    expect(rows()).toBe(1) // 'old' outlived its 10 s and was compacted
    tags.keepTags(Number.POSITIVE_INFINITY)
    tags.markTags(['forever'], 'invalidate', Date.now())
    vi.setSystemTime(Date.now() + 10 ** 9)
    tags.markTags(['later'], 'invalidate', Date.now())
    expect(tags.readTags(['forever']).invalidatedAt).toBeGreaterThan(0)
    engine.close()
  })
})
