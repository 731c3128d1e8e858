import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { bcache } from '@twat-cache/core'
import '@twat-cache/sqlite'
import { afterAll, describe, expect, it, vi } from 'vitest'

const cacheDir = mkdtempSync(join(tmpdir(), 'twat-sqlite-wrap-'))
afterAll(() => rmSync(cacheDir, { recursive: true, force: true }))

describe('through the wrappers', () => {
  it('bcache picks sqlite, keeps a sync function sync, and a second cacher on the folder hits', async () => {
    let runs = 0
    const square = (n: number) => {
      runs++
      return { n, square: BigInt(n) ** 2n }
    }
    const first = bcache({ cacheDir, folderName: 'wrap', namespace: 'square' })(square)
    expect(first(4)).toEqual({ n: 4, square: 16n })
    expect(first(4)).toEqual({ n: 4, square: 16n })
    expect(runs).toBe(1)
    expect(first.engine.name).toBe('sqlite')
    const second = bcache({ cacheDir, folderName: 'wrap', namespace: 'square' })(square)
    expect(second(4)).toEqual({ n: 4, square: 16n })
    expect(runs).toBe(1)
    await first.cacheClear()
  })
})

describe('a cache file that is not a database', () => {
  it("with onCorrupt: 'throw', bcache reports it with a clear error; ucache runs the function, warns once, and caches once the file is usable", async () => {
    const { mkdirSync, writeFileSync } = await import('node:fs')
    const { resetWarnings, setLogger, ucache } = await import('@twat-cache/core')
    const folder = join(cacheDir, 'corrupt')
    const strict = { onCorrupt: 'throw' }
    mkdirSync(folder, { recursive: true })
    const file = join(folder, 'cache.db')
    writeFileSync(file, 'this is not an SQLite database, just text that fills a page. '.repeat(100))

    expect(() => bcache({ cacheDir, folderName: 'corrupt', engine: 'sqlite', engineOptions: strict })((n: number) => n)).toThrow(/not a database|cache\.db/)

    const warnings: string[] = []
    setLogger({ debug() {}, info() {}, warn: (m: string) => warnings.push(m), error: (m: string) => warnings.push(m) })
    resetWarnings()
    try {
      let runs = 0
      const double = ucache({ cacheDir, folderName: 'corrupt', engine: 'sqlite', engineOptions: strict })((n: number) => {
        runs++
        return n * 2
      })
      expect(double(21)).toBe(42)
      expect(double(21)).toBe(42)
      expect(runs).toBe(2) // uncached while the engine cannot open
      expect(warnings).toHaveLength(1)
      expect(warnings[0]).toMatch(/engine 'sqlite' failed/)

      // The file is replaced by a usable one: after the retry pause the engine opens and caches.
      rmSync(file)
      vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + 2_000 })
      expect(double(21)).toBe(42)
      expect(double(21)).toBe(42)
      expect(runs).toBe(3)
      expect(double.engine.name).toBe('sqlite')
      expect(warnings).toHaveLength(1)
    } finally {
      vi.useRealTimers()
      setLogger(console, 'warn')
      resetWarnings()
    }
  })
})

describe('decorated methods on a persistent engine', () => {
  it('scope instance keys to this process, so another process cannot read them as its own instances', () => {
    let runs = 0
    class Repo {
      constructor(readonly prefix: string) {}
      @bcache({ cacheDir, folderName: 'methods', namespace: 'repo-find' })
      find(id: string) {
        runs++
        return `${this.prefix}${id}`
      }
    }
    const a = new Repo('a')
    const b = new Repo('b')
    expect(a.find('1')).toBe('a1')
    expect(b.find('1')).toBe('b1')
    expect(a.find('1')).toBe('a1')
    expect(runs).toBe(2)
    const engine = (Repo.prototype.find as unknown as { engine: { keys(): Iterable<string> } }).engine
    const keys = [...engine.keys()]
    expect(keys).toHaveLength(2)
    // Instance counters restart in every process: a bare "1:" prefix would be read by the first
    // instance of the next process. Each key carries a per-process token before the counter.
    for (const key of keys) expect(key).toMatch(/^[0-9a-z]{6,}\.\d+:/)
    expect(new Set(keys.map((k) => k.split('.')[0])).size).toBe(1)
  })
})
