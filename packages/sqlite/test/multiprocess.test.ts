import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MISS } from '../../core/src/types.js'
import { createSqliteEngine } from '../src/engine.js'
import { bundleChild, runChild, startChild } from './fixtures/children.js'
import { stored } from './fixtures/stored.js'
import { createV1Database } from './fixtures/v1.js'

let bundle: string
let root: string

beforeAll(async () => {
  bundle = await bundleChild()
  root = mkdtempSync(join(tmpdir(), 'twat-sqlite-mp-'))
})

afterAll(() => {
  rmSync(root, { recursive: true, force: true })
  rmSync(join(bundle, '..'), { recursive: true, force: true })
})

interface HammerResult {
  opened: boolean
  sets: number
  gets: number
  hits: number
  wrong: number
  size: number
  errors: string[]
  errorCount: number
  seeded: number
}

describe('several processes on one cache folder', () => {
  it('4 processes reading and writing the same keys: no SQLITE_BUSY, no wrong value', async () => {
    // A fresh folder: the four also race to create the database and its schema.
    const cacheDir = join(root, 'hammer')
    const durationMs = 3000
    const results = await Promise.all(
      Array.from({ length: 4 }, () => runChild<HammerResult>(bundle, ['hammer', cacheDir, String(durationMs)])),
    )
    for (const r of results) {
      expect(r.errors).toEqual([])
      expect(r.opened).toBe(true)
      expect(r.wrong).toBe(0)
      // Each did real work on shared keys, and saw other processes' writes.
      expect(r.sets).toBeGreaterThan(100)
      expect(r.hits).toBeGreaterThan(100)
      expect(r.size).toBeLessThanOrEqual(50)
    }
    // maxsize holds across processes, and the file is sound.
    const engine = createSqliteEngine({ cacheDir, folderName: 'shared', namespace: 'hammer', maxsize: 50 })
    try {
      expect(engine.size()).toBeLessThanOrEqual(50)
      expect(engine.size()).toBeGreaterThan(0)
      for (const key of engine.keys()) expect((engine.get(key) as { key: string }).key).toBe(key)
    } finally {
      engine.close()
    }
    const db = new Database(join(cacheDir, 'shared', 'cache.db'), { readonly: true })
    try {
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok')
      const counted = db.prepare(`SELECT entries FROM twat_cache_counts WHERE namespace = 'hammer'`).pluck().get()
      const actual = db.prepare(`SELECT COUNT(*) FROM twat_cache_entries WHERE namespace = 'hammer'`).pluck().get()
      expect(counted).toBe(actual)
      const orphans = `SELECT COUNT(*) FROM twat_cache_values WHERE id NOT IN (SELECT value_id FROM twat_cache_entries WHERE value_id IS NOT NULL)`
      expect(db.prepare(orphans).pluck().get()).toBe(0)
      expect(db.prepare('SELECT COUNT(*) FROM twat_cache_values').pluck().get()).toBeGreaterThan(0)
    } finally {
      db.close()
    }
    const total = results.reduce((sum, r) => sum + r.sets + r.gets, 0)
    console.info(`[sqlite multi-process] 4 processes, ${durationMs} ms: ${total} operations, ${results.map((r) => r.sets).join('/')} sets`)
  }, 30_000)

  it('4 processes opening a schema-1 file at once: one migrates it, all read its entries', async () => {
    const cacheDir = join(root, 'migrate')
    const path = join(cacheDir, 'shared', 'cache.db')
    const keys = Array.from({ length: 64 }, (_, i) => `k${i}`)
    createV1Database(
      path,
      keys.map((key, rank) => ({ namespace: 'hammer', key, value: stored(key, rank, 0), rank })),
    )
    const results = await Promise.all(
      Array.from({ length: 4 }, () => runChild<HammerResult>(bundle, ['hammer', cacheDir, '1000'])),
    )
    for (const r of results) {
      expect(r.errors).toEqual([])
      expect(r.opened).toBe(true)
      expect(r.wrong).toBe(0)
      expect(r.size).toBeLessThanOrEqual(50)
    }
    // Entries written by the v1 file's owner were read after the migration.
    expect(results.reduce((sum, r) => sum + r.seeded, 0)).toBeGreaterThan(0)
    const db = new Database(path, { readonly: true })
    try {
      expect(db.pragma('user_version', { simple: true })).toBe(3)
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok')
      const counted = db.prepare(`SELECT entries FROM twat_cache_counts WHERE namespace = 'hammer'`).pluck().get()
      expect(counted).toBe(db.prepare(`SELECT COUNT(*) FROM twat_cache_entries WHERE namespace = 'hammer'`).pluck().get())
      // No out-of-line value outlives its entry, whoever wrote or evicted it.
      const orphans = `SELECT COUNT(*) FROM twat_cache_values WHERE id NOT IN (SELECT value_id FROM twat_cache_entries WHERE value_id IS NOT NULL)`
      expect(db.prepare(orphans).pluck().get()).toBe(0)
    } finally {
      db.close()
    }
  }, 30_000)

  it('a process killed with SIGKILL mid-writes leaves a database the next process opens and uses', async () => {
    const cacheDir = join(root, 'crash')
    const { child, done } = startChild(bundle, ['writer', cacheDir])
    await new Promise<void>((resolve, reject) => {
      child.stdout!.on('data', (chunk: string) => {
        if (chunk.includes('ready')) resolve()
      })
      child.on('exit', () => reject(new Error('writer exited before it was ready')))
    })
    // Let it get deeper into a stream of writes, then pull the plug.
    await new Promise((r) => setTimeout(r, 150))
    child.kill('SIGKILL')
    const run = await done
    expect(run.signal).toBe('SIGKILL')

    const next = await runChild<{ entries: number; wrong: number; readBack: boolean }>(bundle, ['verify', cacheDir])
    expect(next.entries).toBeGreaterThan(200)
    expect(next.wrong).toBe(0)
    expect(next.readBack).toBe(true)
    const db = new Database(join(cacheDir, 'crash', 'cache.db'), { readonly: true })
    try {
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok')
    } finally {
      db.close()
    }
  }, 30_000)

  it('persistence: process A computes and exits, process B gets hits', async () => {
    const cacheDir = join(root, 'persist')
    type Result = { computed: number; hits: number; sample: { square: string; when: string; tags: string[]; pid: number } }
    const a = await runChild<Result>(bundle, ['compute', cacheDir])
    expect(a).toMatchObject({ computed: 10, hits: 0 })
    const b = await runChild<Result>(bundle, ['compute', cacheDir])
    expect(b).toMatchObject({ computed: 0, hits: 10 })
    // B's values are A's, types intact (BigInt, Date, Set), written by A's pid.
    expect(b.sample).toEqual({ square: '9', when: new Date(3).toISOString(), tags: ['t3'], pid: a.sample.pid })
    // And this process sees them too.
    const engine = createSqliteEngine({ cacheDir, folderName: 'persist', namespace: 'squares' })
    try {
      expect(engine.get('sq:2')).not.toBe(MISS)
    } finally {
      engine.close()
    }
  }, 30_000)
})
