import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Buffer } from 'node:buffer'
import Database from 'better-sqlite3'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { ConfigurationError, EngineError, ResourceError } from '../../core/src/errors.js'
import { type Logger, resetWarnings, setLogger } from '../../core/src/logger.js'
import { MISS } from '../../core/src/types.js'
import { inspectEntry } from '../../core/src/node/index.js'
import { SCHEMA_VERSION, type SqliteEngine, type SqliteEngineInput, createSqliteEngine } from '../src/engine.js'

const POSIX = process.platform !== 'win32'
let cacheDir: string
const open: SqliteEngine[] = []

function make(options: SqliteEngineInput = {}): SqliteEngine {
  const engine = createSqliteEngine({ cacheDir, folderName: 'f', namespace: 'ns', ...options })
  open.push(engine)
  return engine
}

/** A second, plain connection to look at the file the way another process would. */
function raw(engine: SqliteEngine): Database.Database {
  return new Database(engine.path)
}

function captureLogs(): { warnings: string[]; restore: () => void } {
  const warnings: string[] = []
  const logger: Logger = { debug() {}, info() {}, warn: (m: string) => warnings.push(m), error: (m: string) => warnings.push(m) }
  setLogger(logger, 'warn')
  return { warnings, restore: () => setLogger(console, 'warn') }
}

beforeEach(() => {
  cacheDir = mkdtempSync(join(tmpdir(), 'twat-sqlite-'))
  resetWarnings()
})

afterEach(() => {
  vi.useRealTimers()
  for (const engine of open.splice(0)) engine.close()
  rmSync(cacheDir, { recursive: true, force: true })
})

describe('files and pragmas', () => {
  it('opens <cacheDir>/<folderName>/cache.db in WAL mode with a busy timeout', () => {
    const engine = make()
    expect(engine.path).toBe(join(cacheDir, 'f', 'cache.db'))
    engine.set('k', 1)
    const db = raw(engine)
    try {
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal')
      expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION)
    } finally {
      db.close()
    }
  })

  it('opens nothing at import time and nothing until created', async () => {
    await import('../src/index.js')
    expect(readdirSync(cacheDir)).toEqual([])
  })

  it.skipIf(!POSIX)('secure: folder 0700, database, -wal and -shm files 0600', () => {
    const engine = make()
    engine.set('k', 'v')
    expect(statSync(join(cacheDir, 'f')).mode & 0o777).toBe(0o700)
    for (const name of ['cache.db', 'cache.db-wal', 'cache.db-shm']) {
      expect(statSync(join(cacheDir, 'f', name)).mode & 0o777, name).toBe(0o600)
    }
  })

  it.skipIf(!POSIX)('secure: false leaves modes to the umask', () => {
    const engine = make({ secure: false })
    engine.set('k', 'v')
    expect(statSync(engine.path).mode & 0o077).not.toBe(0)
  })

  it('honours engineOptions.fileName and rejects bad engineOptions, listing each field', () => {
    expect(make({ engineOptions: { fileName: 'other.sqlite' } }).path).toBe(join(cacheDir, 'f', 'other.sqlite'))
    let error: unknown
    try {
      make({ engineOptions: { fileName: '../x.db', busyTimeout: -1, bogus: 1 } })
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(ConfigurationError)
    const issues = (error as ConfigurationError).issues.join('\n')
    expect(issues).toMatch(/fileName: expected a plain file name/)
    expect(issues).toMatch(/busyTimeout: expected a whole number/)
    expect(issues).toMatch(/unknown option 'engineOptions.bogus' for the sqlite engine/)
  })

  it('engines on one file share it and keep working when another closes', () => {
    const a = make()
    const b = make({ namespace: 'other' })
    a.set('k', 'a')
    b.set('k', 'b')
    a.close()
    expect(b.get('k')).toBe('b')
    const c = make()
    expect(c.get('k')).toBe('a')
  })

})

describe('values', () => {
  const MATRIX: [string, unknown][] = [
    ['undefined', undefined],
    ['-0', -0],
    ['NaN', Number.NaN],
    ['sparse array', [1, , 3]], // eslint-disable-line no-sparse-arrays
    ['Uint8Array', new Uint8Array([1, 2, 3])],
    ['Buffer', Buffer.from('buf')],
    ['Float64Array', new Float64Array([Math.PI, -0])],
    ['BigInt64Array', new BigInt64Array([-1n])],
    ['ArrayBuffer', new Uint16Array([7]).buffer],
    ['invalid Date', new Date(Number.NaN)],
    ['RegExp', /x/muy],
    ['nested', { m: new Map([[1n, new Set([new Date(0)])]]), u: undefined, t: new Int8Array([-1]) }],
  ]

  it.each(MATRIX)('%s round-trips through the file', (_name, value) => {
    make().set('v', value)
    // A second engine reads from the file, not from anything the first kept in memory.
    expect(make().get('v')).toStrictEqual(value)
  })

  it('compresses large values when configured, recorded in the row', () => {
    const engine = make({ compress: { algorithm: 'brotli', threshold: 100 } })
    const big = { text: 'lorem ipsum '.repeat(1000) }
    engine.set('big', big)
    engine.set('small', 'tiny')
    const db = raw(engine)
    try {
      const row = (key: string) => db.prepare('SELECT value FROM twat_cache_entries WHERE key = ?').pluck().get(key) as Buffer
      expect(inspectEntry(row('big')).compression).toBe('brotli')
      expect(row('big').byteLength).toBeLessThan(1000)
      expect(inspectEntry(row('small')).compression).toBe('none')
    } finally {
      db.close()
    }
    expect(engine.get('big')).toEqual(big)
  })

  it('an undecodable entry is a miss, logged once, and overwritten', () => {
    const logs = captureLogs()
    try {
      const engine = make()
      engine.set('a', 1)
      engine.set('b', 2)
      const db = raw(engine)
      db.prepare(`UPDATE twat_cache_entries SET value = x'00ff00' WHERE key IN ('a', 'b')`).run()
      db.close()
      expect(engine.get('a')).toBe(MISS)
      expect(engine.get('b')).toBe(MISS)
      expect(logs.warnings).toHaveLength(1)
      expect(logs.warnings[0]).toMatch(/could not be decoded/)
      expect(logs.warnings[0]).toContain(engine.path)
      expect(engine.has('a')).toBe(false)
      engine.set('a', 'fresh')
      expect(engine.get('a')).toBe('fresh')
    } finally {
      logs.restore()
    }
  })

  it('an entry written by a custom serializer is a miss for a reader without it', () => {
    const custom = { serialize: (v: unknown) => JSON.stringify(v), deserialize: (s: string | Uint8Array) => JSON.parse(String(s)) as unknown }
    make({ serializer: custom }).set('k', { a: 1 })
    expect(make({ serializer: custom }).get('k')).toEqual({ a: 1 })
    const logs = captureLogs()
    try {
      expect(make().get('k')).toBe(MISS)
      expect(logs.warnings.join()).toMatch(/custom serializer/)
    } finally {
      logs.restore()
    }
  })
})

describe('expiry and eviction', () => {
  it('purges expired rows from the file on writes', () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    const engine = make({ engineOptions: { purgeEvery: 5 } })
    for (let i = 0; i < 20; i++) engine.set(`t${i}`, i, { ttl: 1000 })
    vi.advanceTimersByTime(2000)
    for (let i = 0; i < 5; i++) engine.set(`keep${i}`, i)
    const db = raw(engine)
    try {
      expect(db.prepare('SELECT COUNT(*) FROM twat_cache_entries').pluck().get()).toBe(5)
      expect(db.prepare(`SELECT entries FROM twat_cache_counts WHERE namespace = 'ns'`).pluck().get()).toBe(5)
    } finally {
      db.close()
    }
  })

  it('reaching maxsize drops expired entries before evicting live ones', () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    const engine = make({ maxsize: 3, policy: 'fifo' })
    engine.set('old', 1)
    engine.set('brief', 2, { ttl: 10 })
    engine.set('mid', 3)
    vi.advanceTimersByTime(20)
    engine.set('new', 4)
    expect(engine.keys().sort()).toEqual(['mid', 'new', 'old'])
  })

  it('a ttl of 0 or less stores nothing and removes the old entry', () => {
    const engine = make()
    engine.set('k', 1)
    engine.set('k', 2, { ttl: 0 })
    expect(engine.get('k')).toBe(MISS)
  })

  it('maxsize is per namespace in a shared file', () => {
    const a = make({ maxsize: 2 })
    const b = make({ namespace: 'b', maxsize: 2 })
    for (const k of ['1', '2', '3']) a.set(k, k)
    for (const k of ['1', '2']) b.set(k, k)
    expect(a.size()).toBe(2)
    expect(b.size()).toBe(2)
  })

  it('lru: reads do not write to the file until the flush interval (or eviction, or close)', () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    const engine = make({ maxsize: 100 })
    for (let i = 0; i < 10; i++) engine.set(`k${i}`, i)
    const db = raw(engine)
    try {
      const version = () => db.pragma('data_version', { simple: true }) as number
      const before = version()
      for (let n = 0; n < 500; n++) expect(engine.get(`k${n % 10}`)).toBe(n % 10)
      engine.set('k0', 0) // a write below maxsize carries no recorded reads
      const afterWrite = version()
      expect(afterWrite).not.toBe(before)
      for (let n = 0; n < 500; n++) engine.get(`k${n % 10}`)
      expect(version()).toBe(afterWrite)
      vi.advanceTimersByTime(1500)
      engine.get('k0')
      expect(version()).not.toBe(afterWrite)
    } finally {
      db.close()
    }
  })

  it('lru: recency recorded by reads survives close and reopen', () => {
    const first = make({ maxsize: 3 })
    for (const k of ['a', 'b', 'c']) first.set(k, k)
    first.get('a')
    first.close()
    const second = make({ maxsize: 3 })
    second.set('d', 'd')
    expect(second.keys().sort()).toEqual(['a', 'c', 'd'])
  })

  it('lru: a read in one engine protects the entry from eviction by another engine on the file', () => {
    const reader = make({ maxsize: 3 })
    const writer = make({ maxsize: 3 })
    for (const k of ['a', 'b', 'c']) writer.set(k, k)
    reader.get('a') // recorded in memory only, yet the writer's eviction honours it
    writer.set('d', 'd')
    expect(writer.keys().sort()).toEqual(['a', 'c', 'd'])
  })

  it('lfu: overwriting keeps the read count', () => {
    const engine = make({ maxsize: 2, policy: 'lfu' })
    engine.set('hot', 1)
    engine.get('hot')
    engine.get('hot')
    engine.set('hot', 2)
    engine.set('cold', 1)
    engine.set('new', 1)
    expect(engine.keys().sort()).toEqual(['hot', 'new'])
  })

  it('stats count hits and misses', () => {
    const engine = make()
    engine.set('k', 0)
    engine.get('k')
    engine.get('nope')
    expect(engine.stats()).toMatchObject({ hits: 1, misses: 1, size: 1, maxsize: 1000, policy: 'lru' })
  })
})

describe('damaged files', () => {
  it("onCorrupt: 'throw': a file that is not a database is a ResourceError naming the path and what to do", () => {
    mkdirSync(join(cacheDir, 'f'), { recursive: true })
    const path = join(cacheDir, 'f', 'cache.db')
    writeFileSync(path, 'this is not a database, just some text that is long enough to look like a header '.repeat(100))
    let error: unknown
    try {
      make({ engineOptions: { onCorrupt: 'throw' } })
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(ResourceError)
    expect((error as Error).message).toContain(path)
    expect((error as Error).message).toMatch(/not a SQLite database.*delete it/)
    expect((error as { cause?: { code?: string } }).cause?.code).toBe('SQLITE_NOTADB')
  })

  it('by default a file that is not a database is moved aside and the cache starts empty', () => {
    const logs = captureLogs()
    try {
      mkdirSync(join(cacheDir, 'f'), { recursive: true })
      writeFileSync(join(cacheDir, 'f', 'cache.db'), 'garbage '.repeat(1000))
      const engine = make()
      engine.set('k', 1)
      expect(engine.get('k')).toBe(1)
      expect(readdirSync(join(cacheDir, 'f')).some((n) => n.startsWith('cache.db.corrupt-'))).toBe(true)
      expect(logs.warnings.join()).toMatch(/moved it to/)
    } finally {
      logs.restore()
    }
  })

  it('a database from a newer schema is refused with an EngineError', () => {
    mkdirSync(join(cacheDir, 'f'), { recursive: true })
    const db = new Database(join(cacheDir, 'f', 'cache.db'))
    db.pragma(`user_version = ${SCHEMA_VERSION + 1}`)
    db.close()
    expect(() => make()).toThrow(/newer @twat-cache\/sqlite/)
    expect(existsSync(join(cacheDir, 'f', 'cache.db'))).toBe(true)
  })
})
