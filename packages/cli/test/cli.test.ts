import { spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { createFlatCacheEngine } from '@twat-cache/flat-cache/engine'
import { TAGS_FILE } from '@twat-cache/flat-cache/inspect'
import { createSqliteEngine } from '@twat-cache/sqlite/engine'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { NamespaceRow } from '../src/index.js'
import { BUILD_TIMEOUT_MS, buildCli, cli, cliJson } from './run-cli.js'

const root = mkdtempSync(join(tmpdir(), 'twat-cli-'))
let dir = ''
let run = 0

beforeAll(() => buildCli(), BUILD_TIMEOUT_MS)
afterAll(() => rmSync(root, { recursive: true, force: true }))

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const sqlite = (namespace: string) => createSqliteEngine({ cacheDir: dir, folderName: 'app', namespace, maxsize: 10_000 })
const flat = (namespace: string) => createFlatCacheEngine({ cacheDir: dir, folderName: 'files', namespace, engineOptions: { debounceMs: 0 } })

/**
 * A cache directory as applications leave it: `app/cache.db` with three SQLite namespaces (one
 * with an expired entry) and `files/` with two flat-cache namespaces (one with an expired entry).
 */
async function makeCaches(): Promise<void> {
  dir = join(root, `caches-${++run}`)
  for (const [namespace, n] of [['fib', 3], ['users', 5], ['empty-soon', 1]] as const) {
    const engine = sqlite(namespace)
    for (let i = 0; i < n; i++) engine.set(`[${i}]`, { i, when: new Date(0), big: BigInt(i) })
    if (namespace === 'fib') engine.set('[old]', 'stale', { ttl: 40 })
    engine.close()
  }
  const pages = flat('render:page')
  pages.set('["/"]', '<h1>home</h1>')
  pages.set('["/gone"]', 'old', { ttl: 40 })
  pages.close()
  const other = flat('other')
  other.set('[1]', new Map([['a', 1]]))
  other.close()
  // The flush at close() leaves out entries already expired, so the ttl outlasts the writes.
  await sleep(50) // the ttl: 40 entries are now expired
}

const row = (rows: NamespaceRow[], engine: string, namespace: string) => rows.find((r) => r.engine === engine && r.namespace === namespace)

describe('twat-cache ls / stats / inspect on real sqlite and flat-cache stores', () => {
  beforeAll(makeCaches)

  it('ls --json lists every namespace with entries, bytes, times and expired counts', async () => {
    const rows = await cliJson<NamespaceRow[]>(['ls', '--dir', dir])
    expect(rows.map((r) => `${r.engine}:${r.namespace}`).sort()).toEqual(['flat-cache:other', 'flat-cache:render_page', 'sqlite:empty-soon', 'sqlite:fib', 'sqlite:users'])
    expect(row(rows, 'sqlite', 'fib')).toMatchObject({ entries: 4, expired: 1, location: join(dir, 'app', 'cache.db') })
    expect(row(rows, 'sqlite', 'users')).toMatchObject({ entries: 5, expired: 0 })
    expect(row(rows, 'flat-cache', 'render_page')).toMatchObject({ entries: 2, expired: 1 })
    for (const r of rows) {
      expect(Object.keys(r).sort()).toEqual(['bytes', 'engine', 'entries', 'expired', 'location', 'namespace', 'newest', 'oldest'])
      expect(r.bytes).toBeGreaterThan(0)
    }
    const fib = row(rows, 'sqlite', 'fib')!
    expect(Date.parse(fib.oldest!)).toBeLessThanOrEqual(Date.parse(fib.newest!))
    expect(Math.abs(Date.parse(fib.newest!) - Date.now())).toBeLessThan(60_000)
  })

  it('honours TWAT_CACHE_DIR when --dir is absent', async () => {
    const rows = await cliJson<NamespaceRow[]>(['ls'], { TWAT_CACHE_DIR: dir })
    expect(rows).toHaveLength(5)
  })

  it('prints a table without colour when stdout is not a terminal, even without NO_COLOR', async () => {
    const { code, stdout } = await cli(['ls', '--dir', dir])
    expect(code).toBe(0)
    expect(stdout).toMatch(/namespace[\s\S]*users/)
    expect(stdout).not.toContain('\x1b[')
  })

  it('stats --json totals per engine', async () => {
    const stats = await cliJson<{ namespaces: number; entries: number; expired: number; engines: Record<string, { stores: number; entries: number }> }>(['stats', '--dir', dir])
    expect(stats).toMatchObject({ namespaces: 5, entries: 4 + 5 + 1 + 2 + 1, expired: 2 })
    expect(stats.engines.sqlite).toMatchObject({ stores: 1, entries: 10 })
    expect(stats.engines['flat-cache']).toMatchObject({ stores: 2, entries: 3 })
  })

  it('inspect decodes values, by namespace (flat-cache by its real name too) and by key', async () => {
    type Inspected = { matches: { engine: string; entries: { key: string; value?: unknown; preview: string; expired: boolean }[] }[] }
    const users = await cliJson<Inspected>(['inspect', 'users', '--dir', dir])
    expect(users.matches[0]!.entries.map((e) => e.key)).toEqual(['[0]', '[1]', '[2]', '[3]', '[4]'])
    expect(users.matches[0]!.entries[2]!.preview).toContain('big: 2n')
    const one = await cliJson<Inspected>(['inspect', 'users', '[3]', '--dir', dir])
    expect(one.matches[0]!.entries).toHaveLength(1)
    expect(one.matches[0]!.entries[0]!.value).toEqual({ i: 3, when: '1970-01-01T00:00:00.000Z', big: '3' })
    const pages = await cliJson<Inspected>(['inspect', 'render:page', '--dir', dir])
    expect(pages.matches[0]!.engine).toBe('flat-cache')
    expect(pages.matches[0]!.entries.find((e) => e.key === '["/"]')?.value).toBe('<h1>home</h1>')
    const limited = await cliJson<Inspected>(['inspect', 'users', '--limit', '2', '--dir', dir])
    expect(limited.matches[0]!.entries).toHaveLength(2)
  })

  it('finds a default namespace by the function name (`<name>-<source hash>`)', async () => {
    const own = join(root, `named-${++run}`)
    for (const namespace of ['square-5afac828c2ba', 'square-00ff00ff00ff', 'squares']) {
      const engine = createSqliteEngine({ cacheDir: own, namespace })
      engine.set('4', 16)
      engine.close()
    }
    const found = await cliJson<{ matches: { namespace: string }[] }>(['inspect', 'square', '--dir', own])
    expect(found.matches.map((m) => m.namespace).sort()).toEqual(['square-00ff00ff00ff', 'square-5afac828c2ba'])
    const cleared = await cliJson<{ cleared: { namespace: string }[] }>(['clear', 'square', '--yes', '--dir', own])
    expect(cleared.cleared).toHaveLength(2)
    const left = await cliJson<NamespaceRow[]>(['ls', '--dir', own])
    expect(left.filter((r) => r.entries > 0).map((r) => r.namespace)).toEqual(['squares'])
  })

  it('inspect of an unknown namespace or key fails with exit 1 and says what to run', async () => {
    const missing = await cli(['inspect', 'nope', '--dir', dir])
    expect(missing.code).toBe(1)
    expect(missing.stderr).toContain("no namespace 'nope'")
    const key = await cli(['inspect', 'users', '[42]', '--dir', dir])
    expect(key.code).toBe(1)
    expect(key.stderr).toContain('no entry with key')
  })
})

describe('twat-cache clear and prune, checked through the engines', () => {
  beforeEach(makeCaches)

  it('clear <namespace…> --yes removes those namespaces only', async () => {
    const result = await cliJson<{ cleared: { namespace: string; entries: number }[]; entries: number }>(['clear', 'users', 'render:page', '--yes', '--dir', dir])
    expect(result.cleared.map((c) => c.namespace).sort()).toEqual(['render_page', 'users'])
    expect(result.entries).toBe(5 + 2)
    const users = sqlite('users')
    const fib = sqlite('fib')
    const pages = flat('render:page')
    const other = flat('other')
    try {
      expect(users.keys()).toEqual([])
      expect(fib.keys()).toEqual(['[0]', '[1]', '[2]'])
      expect([...pages.keys()]).toEqual([])
      expect([...other.keys()]).toEqual(['[1]'])
    } finally {
      for (const e of [users, fib, pages, other]) e.close()
    }
  })

  it('clear --all empties every namespace; a typo clears nothing', async () => {
    const typo = await cli(['clear', 'users', 'usres', '--yes', '--dir', dir])
    expect(typo.code).toBe(1)
    expect(typo.stderr).toContain("'usres'")
    const users = sqlite('users')
    expect(users.size()).toBe(5)
    users.close()
    const all = await cliJson<{ entries: number }>(['clear', '--all', '--yes', '--dir', dir])
    expect(all.entries).toBe(4 + 5 + 1 + 2 + 1)
    const rows = await cliJson<NamespaceRow[]>(['ls', '--dir', dir])
    expect(rows.filter((r) => r.entries > 0)).toEqual([])
  })

  it('clear without --yes off a terminal refuses (exit 2) and clears nothing', async () => {
    // The test runner's stdin is not a terminal: a script or a pipe, where nobody can answer.
    for (const args of [['clear', 'users'], ['clear', '--all'], ['clear', '--all', '--json']]) {
      const result = await cli([...args, '--dir', dir])
      expect(result.code, args.join(' ')).toBe(2)
      expect(result.stderr).toMatch(/not a terminal.*--yes/)
      expect(result.stdout).toBe('')
    }
    const users = sqlite('users')
    const pages = flat('render:page')
    try {
      expect(users.size()).toBe(5)
      expect([...pages.keys()]).toEqual(['["/"]'])
    } finally {
      users.close()
      pages.close()
    }
  })

  it('prune removes expired entries only and reports them', async () => {
    const result = await cliJson<{ pruned: { engine: string; namespace: string; entries: number; bytes: number }[]; entries: number }>(['prune', '--dir', dir])
    expect(result.entries).toBe(2)
    expect(result.pruned.map((p) => `${p.engine}:${p.namespace}:${p.entries}`).sort()).toEqual(['flat-cache:render_page:1', 'sqlite:fib:1'])
    expect(result.pruned.every((p) => p.bytes > 0)).toBe(true)
    const rows = await cliJson<NamespaceRow[]>(['ls', '--dir', dir])
    expect(rows.reduce((n, r) => n + r.expired, 0)).toBe(0)
    expect(row(rows, 'sqlite', 'fib')).toMatchObject({ entries: 3 })
    expect(row(rows, 'flat-cache', 'render_page')).toMatchObject({ entries: 1 })
    const again = await cliJson<{ entries: number }>(['prune', '--dir', dir])
    expect(again.entries).toBe(0)
  })

  it('clear while another process writes loses none of the writes made after it', async () => {
    const count = 400
    const writer = spawn(process.execPath, [join(import.meta.dirname, 'fixtures/writer.mjs'), dir, String(count)], { stdio: ['ignore', 'pipe', 'pipe'] })
    let written = -1
    let errors = ''
    writer.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      const lines = chunk.trim().split('\n')
      written = Number(lines[lines.length - 1])
    })
    writer.stderr.setEncoding('utf8').on('data', (chunk: string) => (errors += chunk))
    const exited = new Promise<number | null>((resolve) => writer.once('exit', resolve))
    while (written < 50) await sleep(5)
    const result = await cli(['clear', 'busy', '--yes', '--dir', dir])
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    // Everything the writer reports after the CLI exited was written after the clear committed.
    const clearedBy = written
    expect(await exited, errors).toBe(0)
    expect(clearedBy).toBeLessThan(count - 1)
    const busy = sqlite('busy')
    try {
      const keys = new Set(busy.keys())
      const later = Array.from({ length: count - clearedBy - 1 }, (_, i) => `k${clearedBy + 1 + i}`)
      expect(later.filter((k) => !keys.has(k))).toEqual([])
      // And the clear did happen: the first writes are gone.
      expect(keys.has('k0')).toBe(false)
    } finally {
      busy.close()
    }
  })
})

describe('usage and refusal', () => {
  beforeAll(makeCaches)

  it.each([
    [['clear', '--dir', '.'], /name the namespaces to clear, or pass --all/],
    [['clear', 'a', '--all'], /not both/],
    [['inspect'], /missing required argument 'namespace'/],
    [['ls', '--frob'], /unknown option '--frob'/],
    [['frobnicate'], /unknown command 'frobnicate'/],
    [['inspect', 'x', '--limit', '0'], /whole number/],
    // An empty --dir (an unset shell variable) would otherwise mean the current directory.
    [['clear', '--all', '--yes', '--dir', ''], /--dir.*empty/],
    [['ls', '--dir', '  '], /--dir.*empty/],
    [[], /Usage: twat-cache/],
  ])('twat-cache %j exits 2 with a message', async (args, message) => {
    const result = await cli(args as string[], { TWAT_CACHE_DIR: dir })
    expect(result.code).toBe(2)
    expect(result.stderr).toMatch(message)
  })

  it('--help works on every command and exits 0', async () => {
    for (const command of ['ls', 'stats', 'inspect', 'clear', 'prune']) {
      const result = await cli([command, '--help'])
      expect(result.code, command).toBe(0)
      expect(result.stdout).toContain(`Usage: twat-cache ${command}`)
      expect(result.stdout).toContain('--json')
    }
  })

  it('refuses a folder that is not a twat-cache cache, and leaves it untouched', async () => {
    const foreign = join(root, `not-a-cache-${++run}`)
    mkdirSync(join(foreign, 'sub'), { recursive: true })
    writeFileSync(join(foreign, 'notes.json'), '[{"key":"a","value":"b"}]')
    const db = new Database(join(foreign, 'sub', 'app.db'))
    db.exec('CREATE TABLE t (x); INSERT INTO t VALUES (1)')
    db.close()
    const before = readFileSync(join(foreign, 'sub', 'app.db'))
    const mtime = statSync(join(foreign, 'sub', 'app.db')).mtimeMs
    for (const args of [['ls'], ['clear', '--all', '--yes'], ['prune']]) {
      const result = await cli([...args, '--dir', foreign])
      expect(result.code, args.join(' ')).toBe(1)
      expect(result.stderr).toContain('is not a twat-cache cache directory')
    }
    expect(readFileSync(join(foreign, 'sub', 'app.db')).equals(before)).toBe(true)
    expect(statSync(join(foreign, 'sub', 'app.db')).mtimeMs).toBe(mtime)
    expect(readFileSync(join(foreign, 'notes.json'), 'utf8')).toBe('[{"key":"a","value":"b"}]')
  })

  it("a folder holding only flat-cache's tag state is an empty cache, not a foreign folder", async () => {
    const invalidatedOnly = join(root, `tags-only-${++run}`)
    mkdirSync(join(invalidatedOnly, 'files'), { recursive: true })
    writeFileSync(join(invalidatedOnly, 'files', TAGS_FILE), '{}')
    const result = await cliJson<NamespaceRow[]>(['ls', '--dir', invalidatedOnly])
    expect(result).toEqual([])
  })

  it('a --dir that does not exist is a failure (exit 1)', async () => {
    const result = await cli(['ls', '--dir', join(root, 'missing')])
    expect(result.code).toBe(1)
    expect(result.stderr).toContain('does not exist')
  })
})
