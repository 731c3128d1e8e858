import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir, userInfo } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { type Logger, resetWarnings, setLogger } from '@twat-cache/core'
import { bundleChild } from './fixtures/bundle.js'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { cacheFileName, createFlatCacheEngine } from '../src/engine.js'

const run = promisify(execFile)
const base = mkdtempSync(join(tmpdir(), 'twat-flat-mp-'))
let child = ''
let counter = 0
let dir = ''
let warnings: string[] = []

beforeAll(async () => {
  // Readable by every user: one test runs the child as `nobody`.
  chmodSync(base, 0o755)
  child = join(base, 'child.mjs')
  await bundleChild(child)
})
afterAll(() => rmSync(base, { recursive: true, force: true }))

beforeEach(() => {
  dir = join(base, `case-${++counter}`)
  warnings = []
  resetWarnings()
  const logger: Logger = { debug() {}, info() {}, warn: (m: string) => void warnings.push(m), error: (m: string) => void warnings.push(m) }
  setLogger(logger, 'warn')
  return () => setLogger(console, 'warn')
})

function start(command: Record<string, unknown>): ChildProcess {
  return spawn(process.execPath, [child, JSON.stringify({ cacheDir: dir, namespace: 'shared', ...command })], { stdio: ['ignore', 'pipe', 'pipe'] })
}

function finished(proc: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  let stderr = ''
  proc.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
  return new Promise((done) => proc.once('close', (code, signal) => done({ code, signal, stderr })))
}

function ready(proc: ChildProcess): Promise<void> {
  return new Promise((done, fail) => {
    proc.stdout!.once('data', () => done())
    proc.once('exit', (code) => fail(new Error(`child exited before it was ready (${code})`)))
  })
}

/** Every entry of the namespace as a fresh engine (another process, later) reads it. */
function readAll(): Map<string, unknown> {
  const engine = createFlatCacheEngine({ cacheDir: dir, namespace: 'shared', maxsize: 100_000 })
  try {
    return new Map([...engine.keys()].map((key) => [key, engine.get(key)]))
  } finally {
    engine.close()
  }
}

function expectAll(entries: Map<string, unknown>, prefix: string, count: number): void {
  for (let n = 0; n < count; n++) expect(entries.get(`${prefix}${n}`), `${prefix}${n}`).toEqual({ by: prefix, n })
}

describe('several processes writing one namespace', () => {
  it('4 processes × 100 distinct keys: all 400 entries are in the file afterwards', async () => {
    // debounceMs: 0 flushes (merges) on every set: the most contention there can be.
    const procs = ['a', 'b', 'c', 'd'].map((prefix) => start({ action: 'keys', prefix, count: 100, debounceMs: 0 }))
    const results = await Promise.all(procs.map(finished))
    for (const r of results) expect(r).toMatchObject({ code: 0, stderr: '' })
    const entries = readAll()
    expect(entries.size).toBe(400)
    for (const prefix of ['a', 'b', 'c', 'd']) expectAll(entries, prefix, 100)
    expect(warnings).toEqual([])
  })

  it('with one writer SIGKILLed mid-run, the others’ entries are all there and the file is valid', async () => {
    const victim = start({ action: 'keys', prefix: 'v', debounceMs: 0 })
    const victimDone = finished(victim)
    await ready(victim)
    const procs = ['a', 'b', 'c'].map((prefix) => start({ action: 'keys', prefix, count: 100, debounceMs: 5 }))
    const results = Promise.all(procs.map(finished))
    await new Promise((r) => setTimeout(r, 50))
    victim.kill('SIGKILL')
    expect((await victimDone).signal).toBe('SIGKILL')
    for (const r of await results) expect(r).toMatchObject({ code: 0, stderr: '' })
    const text = readFileSync(join(dir, cacheFileName('shared')), 'utf8')
    expect(() => JSON.parse(text)).not.toThrow()
    const entries = readAll()
    for (const prefix of ['a', 'b', 'c']) expectAll(entries, prefix, 100)
    // What the victim flushed before it died is intact too.
    const victims = [...entries.keys()].filter((k) => k.startsWith('v'))
    expect(victims.length).toBeGreaterThanOrEqual(10)
    for (const key of victims) expect(entries.get(key)).toEqual({ by: 'v', n: Number(key.slice(1)) })
  })

  it("a process's delete and clear win for their keys over entries another process merged in", () => {
    const a = createFlatCacheEngine({ cacheDir: dir, namespace: 'shared', engineOptions: { debounceMs: 60_000 } })
    a.set('x', 1)
    a.set('y', 2)
    a.flush()
    // b stands for another process: its own store on the same file, opened after a's flush.
    // (Within one process engines share a store, so the file is copied under another name.)
    const other = join(dir, 'other')
    mkdirSync(other)
    const file = cacheFileName('shared')
    writeFileSync(join(other, file), readFileSync(join(dir, file)))
    const b = createFlatCacheEngine({ cacheDir: other, namespace: 'shared', engineOptions: { debounceMs: 60_000 } })
    expect(b.get('x')).toBe(1)
    b.close()
    // The same race, in one file: a deletes x while the file (written "elsewhere") gains z.
    a.delete('x')
    const onDisk = JSON.parse(readFileSync(join(dir, file), 'utf8')) as { key: string }[]
    const z = JSON.parse(readFileSync(join(other, file), 'utf8')).find((i: { key: string }) => i.key === 'y')
    writeFileSync(join(dir, file), JSON.stringify([...onDisk, { ...z, key: 'z' }]))
    a.flush()
    a.close()
    let entries = readAll()
    expect([...entries.keys()].sort()).toEqual(['y', 'z'])

    const c = createFlatCacheEngine({ cacheDir: dir, namespace: 'shared', engineOptions: { debounceMs: 60_000 } })
    c.clear()
    c.set('after', 3)
    writeFileSync(join(dir, file), JSON.stringify([...onDisk, { ...z, key: 'late' }]))
    c.close()
    entries = readAll()
    expect([...entries.keys()]).toEqual(['after'])
  })

  it('a lock left by a crashed writer is broken: its pid is dead, or (another host) it is too old', async () => {
    mkdirSync(dir, { recursive: true })
    const lock = join(dir, `.${cacheFileName('shared')}.lock`)
    // A pid that is certainly dead: a child that has exited.
    const { stdout } = await run(process.execPath, ['-e', 'console.log(process.pid)'])
    writeFileSync(lock, `${stdout.trim()} ${(await import('node:os')).hostname()}`)
    const engine = createFlatCacheEngine({ cacheDir: dir, namespace: 'shared', engineOptions: { debounceMs: 0 } })
    engine.set('a', 1)
    expect(readAll().get('a')).toBe(1)

    // Held by a live process on another host: only age breaks it.
    writeFileSync(lock, `${process.pid} elsewhere`)
    const old = (Date.now() - 60_000) / 1000
    utimesSync(lock, old, old)
    engine.set('b', 2)
    expect(readAll().get('b')).toBe(2)
    engine.close()
  })

  it('an empty lock (a writer killed between creating it and writing its pid) is broken within seconds, not after the stale age', async () => {
    mkdirSync(dir, { recursive: true })
    const lock = join(dir, `.${cacheFileName('shared')}.lock`)
    writeFileSync(lock, '')
    const old = (Date.now() - 3_000) / 1000
    utimesSync(lock, old, old)
    const engine = createFlatCacheEngine({ cacheDir: dir, namespace: 'shared', engineOptions: { debounceMs: 0 } })
    // Not a timing assertion: before, the write gave up (a ConcurrencyError, logged) after
    // waiting 10 s for an empty lock younger than the 15 s stale age.
    engine.set('a', 1)
    expect(readAll().get('a')).toBe(1)
    expect(warnings.filter((w) => w.includes('cannot lock'))).toEqual([])
    engine.close()
  }, 30_000)
})

describe('a folder this process cannot write', () => {
  const nobody = { uid: 65534, gid: 65534 }
  const why =
    process.platform === 'win32'
      ? 'no POSIX users on Windows'
      : userInfo().uid !== 0
        ? 'running a child as another user needs root'
        : undefined

  it.skipIf(why !== undefined)(`fcache warns once at the first write, not only at close() (${why ?? 'run as nobody'})`, async () => {
    // Owned by root, 0755: readable by nobody, not writable.
    mkdirSync(dir, { recursive: true, mode: 0o755 })
    chmodSync(dir, 0o755)
    const proc = spawn(process.execPath, [child, JSON.stringify({ action: 'fcache', cacheDir: dir, namespace: 'ro' })], {
      ...nobody,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    proc.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
    const result = await finished(proc)
    expect(result).toMatchObject({ code: 0 })
    const report = JSON.parse(stdout.trim().split('\n').at(-1)!) as { uid: number; results: number[]; beforeClose: string[]; closeError?: string; engine: string }
    expect(report.uid).toBe(65534)
    expect(report.engine).toBe('flat-cache')
    expect(report.results).toEqual([9, 9, 16])
    expect(report.beforeClose).toHaveLength(1)
    expect(report.beforeClose[0]).toMatch(/cannot write to .*EACCES.*not saved/)
    expect(report.closeError).toMatch(/cannot write/)
  })
})
