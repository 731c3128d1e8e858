import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { ConfigurationError, EngineClosedError, MISS, ResourceError, type Logger, resetWarnings, setLogger } from '@twat-cache/core'
import { FlatCache } from 'flat-cache'
import { bundleChild } from './fixtures/bundle.js'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { type FlatCacheEngine, type FlatCacheEngineInput, cacheFileName, createFlatCacheEngine } from '../src/engine.js'
import { openStoreCount } from '../src/stores.js'

const run = promisify(execFile)
const base = mkdtempSync(join(tmpdir(), 'twat-flat-'))
afterAll(() => rmSync(base, { recursive: true, force: true }))

let dir = ''
let counter = 0
const open: FlatCacheEngine[] = []
let warnings: string[] = []

const captureLogger: Logger = {
  debug: () => {},
  info: () => {},
  warn: (message: string) => void warnings.push(message),
  error: (message: string) => void warnings.push(message),
}

beforeEach(() => {
  dir = join(base, `case-${++counter}`)
  warnings = []
  resetWarnings()
  setLogger(captureLogger, 'warn')
})

afterEach(() => {
  vi.useRealTimers()
  for (const engine of open.splice(0)) {
    try {
      engine.close()
    } catch {
      // A test that broke the file on purpose may leave a close() that cannot write.
    }
  }
  setLogger(console, 'warn')
})

function make(options: FlatCacheEngineInput = {}): FlatCacheEngine {
  const engine = createFlatCacheEngine({ cacheDir: dir, namespace: 'ns', ...options })
  open.push(engine)
  return engine
}

function readEntries(path: string): { key: string; value: string; expires?: number }[] {
  return JSON.parse(readFileSync(path, 'utf8')) as { key: string; value: string; expires?: number }[]
}

describe('file layout', () => {
  it('writes one file per namespace, named safely, 0600 in a 0700 directory', () => {
    const a = make({ namespace: '../../etc/passwd' })
    const b = make({ namespace: 'a/b' })
    const c = make({ namespace: 'a_b' })
    for (const engine of [a, b, c]) {
      engine.set('k', 1)
      engine.flush()
    }
    expect(new Set([a.path, b.path, c.path]).size).toBe(3)
    for (const engine of [a, b, c]) expect(dirname(engine.path)).toBe(resolve(dir))
    expect(readdirSync(dir).sort()).toEqual([a.path, b.path, c.path].map((p) => p.slice(dir.length + 1)).sort())
    expect(cacheFileName('x'.repeat(10_000)).length).toBeLessThan(100)
    expect(statSync(a.path).mode & 0o777).toBe(0o600)
    expect(statSync(dir).mode & 0o777).toBe(0o700)
  })

  it('keeps flat-cache’s own file format, so flat-cache can read the file', () => {
    const engine = make()
    engine.set('k', 'v')
    engine.flush()
    const raw = new FlatCache({ useClone: false, deserialize: JSON.parse })
    raw.loadFile(engine.path)
    expect(raw.keys()).toEqual(['k'])
    expect(typeof raw.get('k')).toBe('string')
  })
})

describe('debounced writes', () => {
  it('writes debounceMs after the first change, batching later changes into the same write', async () => {
    vi.useFakeTimers({ toFake: ['Date', 'setTimeout', 'clearTimeout'] })
    const engine = make({ engineOptions: { debounceMs: 500 } })
    engine.set('a', 1)
    await vi.advanceTimersByTimeAsync(300)
    engine.set('b', 2)
    expect(existsSync(engine.path)).toBe(false)
    await vi.advanceTimersByTimeAsync(199)
    expect(existsSync(engine.path)).toBe(false)
    await vi.advanceTimersByTimeAsync(1)
    expect(readEntries(engine.path).map((e) => e.key)).toEqual(['a', 'b'])
    expect(vi.getTimerCount()).toBe(0)
  })

  it('debounceMs: 0 writes on every change', () => {
    const engine = make({ engineOptions: { debounceMs: 0 } })
    engine.set('a', 1)
    expect(readEntries(engine.path).map((e) => e.key)).toEqual(['a'])
    engine.delete('a')
    expect(readEntries(engine.path)).toEqual([])
  })

  it('close() writes pending changes and leaves no timer', () => {
    vi.useFakeTimers({ toFake: ['Date', 'setTimeout', 'clearTimeout'] })
    const engine = createFlatCacheEngine({ cacheDir: dir, namespace: 'ns', engineOptions: { debounceMs: 3_600_000 } })
    engine.set('a', new Date(5))
    expect(vi.getTimerCount()).toBe(1)
    engine.close()
    expect(vi.getTimerCount()).toBe(0)
    expect(readEntries(engine.path).map((e) => e.key)).toEqual(['a'])
    const again = make()
    expect(again.get('a')).toEqual(new Date(5))
  })

  it('installs the exit hook with the first open engine and removes it with the last', () => {
    expect(openStoreCount()).toBe(0)
    const before = process.listenerCount('exit')
    const a = createFlatCacheEngine({ cacheDir: dir, namespace: 'one' })
    const b = createFlatCacheEngine({ cacheDir: dir, namespace: 'two' })
    expect(process.listenerCount('exit')).toBe(before + 1)
    a.close()
    expect(process.listenerCount('exit')).toBe(before + 1)
    b.close()
    expect(process.listenerCount('exit')).toBe(before)
  })

  it('a failing background write is logged once, never thrown, and retried', async () => {
    vi.useFakeTimers({ toFake: ['Date', 'setTimeout', 'clearTimeout'] })
    const engine = make({ engineOptions: { debounceMs: 100 } })
    // A directory where the file should be: the rename fails (EISDIR) whoever runs the test.
    mkdirSync(engine.path)
    engine.set('a', 1)
    await vi.advanceTimersByTimeAsync(100)
    engine.set('b', 2)
    await vi.advanceTimersByTimeAsync(100)
    expect(warnings.filter((w) => w.includes(engine.path))).toHaveLength(1)
    expect(() => engine.flush()).toThrow(ResourceError)
    rmSync(engine.path, { recursive: true })
    engine.flush()
    expect(readEntries(engine.path).map((e) => e.key)).toEqual(['a', 'b'])
  })

  it('recreates the cache directory if it was removed', () => {
    const engine = make()
    rmSync(dir, { recursive: true })
    engine.set('a', 1)
    engine.flush()
    expect(readEntries(engine.path)).toHaveLength(1)
  })
})

describe('corrupt files and entries', () => {
  it('a corrupt file is one warning and a miss, then overwritten by the next write', () => {
    const path = join(dir, cacheFileName('ns'))
    mkdirSync(dir, { recursive: true })
    writeFileSync(path, '[{"key":"a","value":"AQID"')
    const engine = make()
    expect(engine.get('a')).toBe(MISS)
    make().get('a')
    expect(warnings.filter((w) => w.includes(path))).toHaveLength(1)
    expect(warnings[0]).toMatch(/overwritten/)
    engine.set('b', 'fresh')
    engine.flush()
    expect(readEntries(path).map((e) => e.key)).toEqual(['b'])
  })

  it('a file that is JSON but not a list of entries is treated the same way', () => {
    const path = join(dir, cacheFileName('ns'))
    mkdirSync(dir, { recursive: true })
    writeFileSync(path, 'null')
    expect(make().get('a')).toBe(MISS)
    expect(warnings).toHaveLength(1)
  })

  it('an undecodable entry is a miss, logged once, and dropped; good entries still load', () => {
    const good = make({ namespace: 'donor' })
    good.set('ok', { fine: true })
    good.flush()
    const okEntry = readEntries(good.path)[0]!
    const path = join(dir, cacheFileName('ns'))
    const bad = [
      { key: 'garbage', value: 'bm90IGFuIGVudHJ5' },
      { key: 'truncated', value: okEntry.value.slice(0, 6) },
      { key: 'ok', value: okEntry.value },
      { key: 'wrong-type', value: 42 },
    ]
    writeFileSync(path, JSON.stringify(bad))
    const engine = make()
    expect(engine.get('garbage')).toBe(MISS)
    expect(engine.get('truncated')).toBe(MISS)
    expect(engine.get('wrong-type')).toBe(MISS)
    expect(engine.get('ok')).toEqual({ fine: true })
    // One warning for undecodable entries, one for the malformed item, each once.
    expect(warnings.filter((w) => w.includes('cannot be decoded'))).toHaveLength(1)
    expect(warnings.filter((w) => w.includes('malformed'))).toHaveLength(1)
    engine.set('garbage', 'replaced')
    engine.flush()
    expect(readEntries(path).map((e) => e.key).sort()).toEqual(['garbage', 'ok'])
    expect(make({ namespace: 'ns' }).get('garbage')).toBe('replaced')
  })
})

describe('ttl and eviction across reopen', () => {
  it('stores the expiry in the file: an entry expired while closed is a miss on reopen', () => {
    vi.useFakeTimers({ toFake: ['Date', 'setTimeout', 'clearTimeout'] })
    const a = createFlatCacheEngine({ cacheDir: dir, namespace: 'ns', ttl: 1000 })
    a.set('short', 1)
    a.set('long', 2, { ttl: 10_000 })
    a.close()
    expect(readEntries(a.path).every((e) => typeof e.expires === 'number')).toBe(true)
    vi.advanceTimersByTime(999)
    const b = createFlatCacheEngine({ cacheDir: dir, namespace: 'ns' })
    expect(b.get('short')).toBe(1)
    b.close()
    vi.advanceTimersByTime(2)
    const c = make()
    expect(c.get('short')).toBe(MISS)
    expect(c.get('long')).toBe(2)
  })

  it('an entry is gone at exactly its ttl; a ttl of 0 stores nothing, Infinity never expires', () => {
    vi.useFakeTimers({ toFake: ['Date', 'setTimeout', 'clearTimeout'] })
    const engine = make()
    engine.set('t', 1, { ttl: 1000 })
    engine.set('zero', 1)
    engine.set('zero', 2, { ttl: 0 })
    engine.set('inf', 3, { ttl: Number.POSITIVE_INFINITY })
    expect(engine.get('zero')).toBe(MISS)
    vi.advanceTimersByTime(999)
    expect(engine.get('t')).toBe(1)
    vi.advanceTimersByTime(1)
    expect(engine.get('t')).toBe(MISS)
    vi.advanceTimersByTime(10 * 365 * 86_400_000)
    expect(engine.get('inf')).toBe(3)
    expect(engine.keys()).toEqual(['inf'])
  })

  it('FIFO order survives reopen', () => {
    const a = createFlatCacheEngine({ cacheDir: dir, namespace: 'ns', maxsize: 3, policy: 'fifo' })
    for (const k of ['a', 'b', 'c']) a.set(k, k)
    a.close()
    const b = make({ maxsize: 3, policy: 'fifo' })
    b.get('a')
    b.set('d', 'd')
    expect(['a', 'b', 'c', 'd'].map((k) => b.get(k) !== MISS)).toEqual([false, true, true, true])
  })

  it('a smaller maxsize on reopen trims the loaded entries', () => {
    const a = createFlatCacheEngine({ cacheDir: dir, namespace: 'ns', maxsize: 10 })
    for (let i = 0; i < 10; i++) a.set(`k${i}`, i)
    a.close()
    for (const policy of ['lru', 'fifo'] as const) {
      const b = createFlatCacheEngine({ cacheDir: dir, namespace: 'ns', maxsize: 4, policy })
      expect(b.size()).toBe(4)
      expect(b.get('k9')).toBe(9)
      b.close()
    }
  })
})

describe('options', () => {
  it('rejects unknown or invalid engineOptions and unsupported policies with a ConfigurationError', () => {
    expect(() => make({ engineOptions: { debounce: 5 } })).toThrow(/unknown option 'engineOptions.debounce' for the flat-cache engine/)
    expect(() => make({ engineOptions: { debounceMs: -1 } })).toThrow(ConfigurationError)
    expect(() => make({ policy: 'lfu' })).toThrow(/supports policy 'lru' or 'fifo'/)
    expect(() => make({ maxsize: 2 ** 30 })).toThrow(/at most 16777216 entries/)
    expect(openStoreCount()).toBe(0)
  })

  // The suite's closed-engine cases cover the protocol's operations; flush() is flat-cache's own.
  it('a closed engine refuses flush() with EngineClosedError', () => {
    const engine = make()
    engine.close()
    expect(() => engine.flush()).toThrow(EngineClosedError)
  })

  it('compresses large values when asked, and still reads them back', () => {
    const engine = make({ compress: { algorithm: 'gzip', threshold: 100 } })
    const value = 'compressible '.repeat(2000)
    engine.set('big', value)
    engine.flush()
    expect(readFileSync(engine.path, 'utf8').length).toBeLessThan(value.length / 5)
    engine.close()
    expect(make().get('big')).toBe(value)
  })
})

describe('real processes', () => {
  let child = ''

  beforeAll(async () => {
    child = join(base, 'child.mjs')
    await bundleChild(child)
  })

  async function runChild(command: Record<string, unknown>): Promise<Record<string, unknown>> {
    const { stdout } = await run(process.execPath, [child, JSON.stringify({ cacheDir: dir, namespace: 'proc', ...command })])
    return JSON.parse(stdout.trim().split('\n').at(-1)!) as Record<string, unknown>
  }

  it('process A writes and exits, process B gets type-faithful hits', async () => {
    await runChild({ action: 'write', close: true })
    const result = await runChild({ action: 'read' })
    expect(Object.values(result).every((v) => v === 'hit')).toBe(true)
    expect(Object.keys(result).length).toBeGreaterThanOrEqual(7)
  })

  it('the exit hook writes what a process that never closed left pending', async () => {
    await runChild({ action: 'write', close: false, debounceMs: 3_600_000 })
    const result = await runChild({ action: 'read' })
    expect(Object.values(result).every((v) => v === 'hit')).toBe(true)
  })

  it('without the exit hook (flushOnExit: false) those pending writes are lost', async () => {
    await runChild({ action: 'write', close: false, debounceMs: 3_600_000, flushOnExit: false })
    const result = await runChild({ action: 'read' })
    expect(Object.values(result).every((v) => v === 'miss')).toBe(true)
  })

  it('kill -9 during constant rewrites never leaves a torn file, and readers never see one', async () => {
    const path = join(dir, cacheFileName('proc'))
    // Besides the cache file: temp files of killed writes, and a lock file a killed writer held
    // (the next writer breaks it). Only temp files prove a kill landed mid-write.
    const lock = `.${cacheFileName('proc')}.lock`
    const temps = () => readdirSync(dir).filter((f) => f !== cacheFileName('proc') && f !== lock)
    // At least three kills, and more (up to ten) until one has landed in the middle of a write:
    // where a kill lands is up to the scheduler, and the test must see that case to mean anything.
    for (let attempt = 0; attempt < 3 || (attempt < 10 && temps().length === 0); attempt++) {
      const proc: ChildProcess = spawn(
        process.execPath,
        [child, JSON.stringify({ action: 'loop', cacheDir: dir, namespace: 'proc', debounceMs: 0 })],
        { stdio: ['ignore', 'pipe', 'inherit'] },
      )
      await new Promise<void>((ready, fail) => {
        proc.stdout!.once('data', () => ready())
        proc.once('exit', (code) => fail(new Error(`loop child exited early (${code})`)))
      })
      // Read concurrently with the writer: a non-atomic write would show a short file here.
      const until = Date.now() + 300 + (attempt % 3) * 150
      let reads = 0
      while (reads < 10 || Date.now() < until) {
        expect(() => JSON.parse(readFileSync(path, 'utf8'))).not.toThrow()
        reads++
        await new Promise((r) => setTimeout(r, 2))
      }
      const exited = new Promise((r) => proc.once('exit', r))
      proc.kill('SIGKILL')
      await exited
      const entries = readEntries(path)
      expect(entries.length).toBeGreaterThan(0)
      const engine = createFlatCacheEngine({ cacheDir: dir, namespace: 'proc' })
      for (const { key } of entries) {
        const value = engine.get(key) as { i: number; pad: string }
        expect(`k${value.i}`).toBe(key)
        expect(value.pad).toHaveLength(10_000)
      }
      engine.close()
    }
    expect(warnings).toEqual([])
    // At least one temp file proves a kill landed in the middle of a write (typically all do).
    const left = temps()
    expect(left.every((f) => f.startsWith(`.${cacheFileName('proc')}.`) && f.endsWith('.tmp'))).toBe(true)
    expect(left.length).toBeGreaterThan(0)
  })
})
