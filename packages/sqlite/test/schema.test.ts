import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { MISS } from '../../core/src/types.js'
import { SCHEMA_VERSION, type SqliteEngine, type SqliteEngineInput, createSqliteEngine } from '../src/engine.js'
import { createV1Database } from './fixtures/v1.js'

let cacheDir: string
const open: SqliteEngine[] = []

function make(options: SqliteEngineInput = {}): SqliteEngine {
  const engine = createSqliteEngine({ cacheDir, folderName: 'f', namespace: 'ns', ...options })
  open.push(engine)
  return engine
}

/** Run `fn` on a second, plain connection to the file, as another process would see it. */
function inspect<T>(path: string, fn: (db: Database.Database) => T): T {
  const db = new Database(path, { readonly: true })
  try {
    return fn(db)
  } finally {
    db.close()
  }
}

const scalar = (db: Database.Database, sql: string): unknown => db.prepare(sql).pluck().get()

/** Out-of-line values in the file, and those whose entry is gone (must be none). */
function values(path: string): { stored: number; orphans: number } {
  return inspect(path, (db) => ({
    stored: scalar(db, 'SELECT COUNT(*) FROM twat_cache_values') as number,
    orphans: scalar(
      db,
      'SELECT COUNT(*) FROM twat_cache_values WHERE id NOT IN (SELECT value_id FROM twat_cache_entries WHERE value_id IS NOT NULL)',
    ) as number,
  }))
}

beforeEach(() => {
  cacheDir = mkdtempSync(join(tmpdir(), 'twat-sqlite-schema-'))
})

afterEach(() => {
  vi.useRealTimers()
  for (const engine of open.splice(0)) engine.close()
  rmSync(cacheDir, { recursive: true, force: true })
})

describe('schema 1 → 2 migration', () => {
  it('a v1 file is migrated when opened: entries, expiry, order and counts survive', () => {
    const path = join(cacheDir, 'f', 'cache.db')
    const now = Date.now()
    const big = { text: 'lorem ipsum '.repeat(200) }
    createV1Database(path, [
      { namespace: 'ns', key: 'a', value: 1, rank: 1 },
      { namespace: 'ns', key: 'big', value: big, rank: 2 },
      { namespace: 'ns', key: 'b', value: new Map([['n', 2n]]), rank: 3, expiresAt: now + 3_600_000 },
      { namespace: 'ns', key: 'gone', value: 'expired', rank: 4, expiresAt: now - 1000 },
      { namespace: 'ns', key: 'c', value: null, rank: 5 },
      { namespace: 'other', key: 'k', value: 'other', rank: 1 },
    ])
    expect(inspect(path, (db) => db.pragma('user_version', { simple: true }))).toBe(1)

    const engine = make({ policy: 'fifo', maxsize: 5 })
    expect(engine.get('a')).toBe(1)
    expect(engine.get('big')).toEqual(big)
    expect(engine.get('b')).toEqual(new Map([['n', 2n]]))
    expect(engine.get('c')).toBeNull()
    expect(engine.get('gone')).toBe(MISS)
    expect(make({ namespace: 'other' }).get('k')).toBe('other')
    // The v1 insertion order is kept.
    expect(engine.keys()).toEqual(['a', 'big', 'b', 'c'])

    inspect(path, (db) => {
      expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION)
      expect(SCHEMA_VERSION).toBe(3)
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok')
      expect(scalar(db, `SELECT sql FROM sqlite_schema WHERE name = 'twat_cache_entries'`)).toMatch(/WITHOUT ROWID\s*$/)
      expect(scalar(db, `SELECT COUNT(*) FROM sqlite_schema WHERE name LIKE '%_v2'`)).toBe(0)
      // The expired row is still there (purged later, like any other); counts are exact.
      const counts = db.prepare('SELECT namespace, entries FROM twat_cache_counts ORDER BY namespace').all()
      expect(counts).toEqual([
        { namespace: 'ns', entries: 5 },
        { namespace: 'other', entries: 1 },
      ])
      // Only the large value moved out of the entry row.
      expect(scalar(db, 'SELECT key FROM twat_cache_entries WHERE value_id IS NOT NULL')).toBe('big')
    })
    expect(values(path)).toEqual({ stored: 1, orphans: 0 })

    // The v1 ranks still order eviction, below every new write; the expired row goes first.
    engine.set('d', 4)
    expect(engine.keys()).toEqual(['a', 'big', 'b', 'c', 'd'])
    engine.set('e', 5)
    expect(engine.keys()).toEqual(['big', 'b', 'c', 'd', 'e'])
    engine.set('f', 6)
    expect(engine.keys()).toEqual(['b', 'c', 'd', 'e', 'f'])
    expect(values(path)).toEqual({ stored: 0, orphans: 0 })
  })

  it('a migrated file opens as is the next time', () => {
    const path = join(cacheDir, 'f', 'cache.db')
    createV1Database(path, [{ namespace: 'ns', key: 'k', value: 'v1', rank: 1 }])
    make().close()
    const engine = make()
    expect(engine.get('k')).toBe('v1')
    engine.set('k2', 'v2')
    inspect(path, (db) => {
      expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION)
      expect(scalar(db, 'SELECT entries FROM twat_cache_counts')).toBe(2)
    })
  })
})

describe('large values', () => {
  it('values over 400 encoded bytes live out of line and leave with their entry', () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    const engine = make({ maxsize: 3, policy: 'fifo', engineOptions: { purgeEvery: 1000 } })
    const big = (tag: string) => ({ tag, text: tag.repeat(500) })
    engine.set('x', big('x'))
    engine.set('small', 'tiny')
    expect(values(engine.path)).toEqual({ stored: 1, orphans: 0 })
    engine.set('x', big('y')) // big → big
    expect(engine.get('x')).toEqual(big('y'))
    expect(values(engine.path)).toEqual({ stored: 1, orphans: 0 })
    engine.set('x', 'now small') // big → small
    expect(engine.get('x')).toBe('now small')
    expect(values(engine.path)).toEqual({ stored: 0, orphans: 0 })
    engine.set('small', big('s')) // small → big
    expect(engine.get('small')).toEqual(big('s'))
    engine.set('t', big('t'), { ttl: 10 })
    expect(values(engine.path)).toEqual({ stored: 2, orphans: 0 })
    expect(engine.delete('small')).toBe(true)
    expect(values(engine.path)).toEqual({ stored: 1, orphans: 0 })
    vi.advanceTimersByTime(20)
    expect(engine.get('t')).toBe(MISS)
    engine.set('a', big('a'))
    engine.set('b', big('b')) // full: the expired 't' is purged, nothing live is evicted
    expect(engine.keys()).toEqual(['x', 'a', 'b'])
    expect(values(engine.path)).toEqual({ stored: 2, orphans: 0 })
    engine.set('c', 'c') // full: evicts 'x' (inline), then 'a' on the next write
    engine.set('d', 'd')
    expect(engine.keys()).toEqual(['b', 'c', 'd'])
    expect(values(engine.path)).toEqual({ stored: 1, orphans: 0 })
    engine.clear()
    expect(values(engine.path)).toEqual({ stored: 0, orphans: 0 })
  })
})

describe('expired rows when a namespace is full', () => {
  it('evicts by policy while nothing has expired, and drops expired rows before live ones once something has', () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    // purgeEvery out of reach: only the full-namespace path can purge here.
    const engine = make({ maxsize: 3, policy: 'fifo', engineOptions: { purgeEvery: 1000 } })
    const other = make({ namespace: 'other', engineOptions: { purgeEvery: 1000 } })
    other.set('o', 'o', { ttl: 50 })
    engine.set('a', 1)
    engine.set('brief', 2, { ttl: 100 })
    engine.set('b', 3)
    engine.set('c', 4) // nothing expired: fifo evicts 'a', the ttl entry stays
    expect(engine.keys()).toEqual(['brief', 'b', 'c'])
    vi.advanceTimersByTime(60) // 'o' (another namespace) has expired; 'brief' has not
    engine.set('d', 5)
    expect(engine.keys()).toEqual(['b', 'c', 'd'])
    vi.advanceTimersByTime(60) // 'brief' was evicted already; nothing of ours has expired
    engine.set('e', 6)
    expect(engine.keys()).toEqual(['c', 'd', 'e'])
    engine.set('short', 7, { ttl: 10 })
    expect(engine.keys()).toEqual(['d', 'e', 'short'])
    vi.advanceTimersByTime(20)
    engine.set('f', 8) // 'short' expired: it goes, and the oldest live entry 'd' stays
    expect(engine.keys()).toEqual(['d', 'e', 'f'])
    inspect(engine.path, (db) => {
      // Purged from the file (every namespace's expired rows), not just hidden; counts exact.
      expect(scalar(db, `SELECT COUNT(*) FROM twat_cache_entries WHERE expires_at IS NOT NULL`)).toBe(0)
      expect(db.prepare('SELECT namespace, entries FROM twat_cache_counts ORDER BY namespace').all()).toEqual([
        { namespace: 'ns', entries: 3 },
        { namespace: 'other', entries: 0 },
      ])
    })
  })
})
