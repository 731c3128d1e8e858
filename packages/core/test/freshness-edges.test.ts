/**
 * Freshness edge cases a user hits: odd `ttl` function answers, `jitter` at its bounds,
 * concurrent stale hits of sync functions, failing refreshes on every wrapper (never an
 * unhandled rejection), and the per-call controls on plain functions, custom keys and methods.
 */
import '@twat-cache/flat-cache'
import '@twat-cache/sqlite'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { type Cached, type CacheOptions, type Cacher, ConfigurationError, acache, bcache, createCacheConfig, fcache, getStats, mcache, ucache } from '../src/index.js'
import { isEnvelope } from '../src/wrap/envelope.js'
import { captureLogs, resetLogsAfterEach } from './wrappers-support.js'

resetLogsAfterEach()
const cacheDir = mkdtempSync(join(tmpdir(), 'twat-core-fresh-edges-'))
afterAll(() => rmSync(cacheDir, { recursive: true, force: true }))
const tick = () => new Promise<void>((resolve) => setImmediate(resolve))
let n = 0
const ns = () => `edges-${process.pid}-${n++}`

describe('ttl as a function: answers that are not durations', () => {
  for (const envelope of [false, true]) {
    it(`0 skips storing silently; negative, NaN, Infinity, '5x' and undefined return the value uncached with a warning${envelope ? ' (envelopes)' : ''}`, () => {
      const { warnings } = captureLogs()
      let runs = 0
      const extra = envelope ? { staleWhileRevalidate: 1000 } : {}
      const f = mcache({ engine: 'memory', ttl: (value: { ttl: unknown }) => value.ttl as number, ...extra })((ttl: unknown) => {
        runs++
        return { ttl }
      })
      const answers = [0, -5, Number.NaN, Number.POSITIVE_INFINITY, '5x', undefined]
      for (const ttl of answers) expect(f(ttl)).toEqual({ ttl })
      for (const ttl of answers) f(ttl)
      expect(runs).toBe(answers.length * 2)
      expect(f.cacheInfo()).toMatchObject({ hits: 0, errors: (answers.length - 1) * 2 })
      expect(f.cachePeek(-5)).toBeUndefined()
      for (const shown of ['-5', 'NaN', 'Infinity', '5x', 'undefined']) expect(warnings.join('\n')).toContain(`ttl function returned ${shown};`)
      expect(warnings.join('\n')).not.toContain('returned 0')
    })
  }
})

describe('jitter at its bounds', () => {
  const expiries = (jitter: number) => {
    vi.useFakeTimers({ toFake: ['Date'], now: 1_000_000 })
    const f = mcache({ engine: 'memory', maxsize: 2_000, ttl: 10_000, jitter, revalidate: (p: { value: number }) => p.value })((k: number) => k)
    for (let k = 0; k < 1_000; k++) f(k)
    const engine = f.engine as unknown as { keys(): Iterable<string>; get(key: string): unknown }
    return [...engine.keys()].map((key) => {
      const stored = engine.get(key)
      expect(isEnvelope(stored)).toBe(true)
      return (stored as { expiresAt: number }).expiresAt - 1_000_000
    })
  }

  it('jitter 0: every entry gets exactly the ttl', () => {
    expect(new Set(expiries(0))).toEqual(new Set([10_000]))
  })

  it('jitter 1: spread over the whole (0, ttl], never 0 (which would mean "do not store")', () => {
    const spread = expiries(1)
    expect(spread).toHaveLength(1_000)
    expect(Math.min(...spread)).toBeGreaterThanOrEqual(1)
    expect(Math.max(...spread)).toBeLessThanOrEqual(10_000)
    expect(Math.min(...spread)).toBeLessThan(2_000)
    expect(Math.max(...spread)).toBeGreaterThan(8_000)
  })

  it('plain entries (no envelope): the TTL the engine is given is scaled, so they expire spread out', () => {
    vi.useFakeTimers({ toFake: ['Date'], now: 1_000_000 })
    const f = mcache({ engine: 'memory', maxsize: 2_000, ttl: 10_000, jitter: 0.5 })((k: number) => k)
    for (let k = 0; k < 1_000; k++) f(k)
    const engine = f.engine as unknown as { keys(): Iterable<string>; get(key: string): unknown }
    const keys = [...engine.keys()]
    const alive = () => keys.filter((key) => typeof engine.get(key) === 'number').length
    expect(isEnvelope(engine.get(keys[0]!))).toBe(false)
    vi.setSystemTime(1_000_000 + 4_999)
    expect(alive()).toBe(1_000)
    vi.setSystemTime(1_000_000 + 7_500)
    expect(alive()).toBeGreaterThan(200)
    expect(alive()).toBeLessThan(800)
    vi.setSystemTime(1_000_000 + 10_000)
    expect(alive()).toBe(0)
  })

  it('jitter without a ttl is a ConfigurationError (it would have nothing to scale)', () => {
    expect(() => createCacheConfig({ jitter: 0.2 })).toThrow(ConfigurationError)
    expect(() => createCacheConfig({ jitter: 0.2 })).toThrow(/jitter: needs a ttl/)
    expect(() => createCacheConfig({ jitter: 0.2, ttl: (v: number) => v })).not.toThrow()
    expect(() => createCacheConfig({ jitter: 0 })).not.toThrow()
  })
})

describe('timeout ≥ hardTimeout and other bad fields: one ConfigurationError', () => {
  it('lists each bad field once, in one error', () => {
    let caught: unknown
    try {
      createCacheConfig({ timeout: '2s', hardTimeout: 1000, jitter: 2, staleIfError: 5, revalidate: 3 as never })
    } catch (error) {
      caught = error
    }
    expect(caught).toBeInstanceOf(ConfigurationError)
    const issues = (caught as ConfigurationError).issues
    expect(issues.map((issue) => issue.split(':')[0]).sort()).toEqual(['jitter', 'revalidate', 'staleIfError', 'timeout'])
    expect((caught as Error).message).toContain('timeout: must be below hardTimeout (2000 ms ≥ 1000 ms)')
  })
})

describe('concurrent stale hits of a sync function on a sync engine', () => {
  for (const [wrapper, options] of [
    ['mcache', () => ({ engine: 'memory' })],
    ['bcache', () => ({ engine: 'sqlite', cacheDir, folderName: 'edges' })],
  ] as const) {
    it(`${wrapper}: ten stale hits in one tick answer synchronously and start exactly one refresh`, async () => {
      vi.useFakeTimers({ toFake: ['Date'], now: Date.now() })
      let runs = 0
      const cacher = (wrapper === 'mcache' ? mcache : bcache)({ ...options(), namespace: ns(), ttl: 1000, staleWhileRevalidate: 10_000 })
      const f = cacher((id: number) => `v${++runs}:${id}`)
      expect(f(1)).toBe('v1:1')
      vi.advanceTimersByTime(2000)
      const answers = Array.from({ length: 10 }, () => f(1))
      expect(answers).toEqual(Array(10).fill('v1:1'))
      await tick()
      expect(runs).toBe(2)
      expect(f(1)).toBe('v2:1')
      expect(f.cacheInfo()).toMatchObject({ stale: 10, refreshes: 1, errors: 0 })
      await f.engine.close()
    })
  }
})

describe('a refresh that throws is never an unhandled rejection, on every wrapper', () => {
  const escaped: unknown[] = []
  const onEscape = (error: unknown) => escaped.push(error)
  beforeEach(() => {
    escaped.length = 0
    process.on('unhandledRejection', onEscape)
  })
  afterEach(() => {
    process.off('unhandledRejection', onEscape)
  })

  const wrappers: [string, (o: CacheOptions) => Cacher, CacheOptions][] = [
    ['mcache', mcache, { engine: 'memory' }],
    ['bcache', bcache, { cacheDir, folderName: 'edges' }],
    ['fcache', fcache, { cacheDir, folderName: 'edges-files' }],
    ['acache', acache, {}],
    ['ucache', ucache, {}],
  ]
  for (const [name, wrapper, options] of wrappers) {
    for (const async of [false, true]) {
      for (const window of ['staleWhileRevalidate', 'staleIfError'] as const) {
        it(`${name}, ${async ? 'async' : 'sync'} function, ${window}: the stale value; the failure is counted, not thrown at anyone`, async () => {
          captureLogs()
          vi.useFakeTimers({ toFake: ['Date'], now: Date.now() })
          let fail = false
          const produce = (id: number) => {
            if (fail) throw new Error(`source down for ${id}`)
            return `ok ${id}`
          }
          const fn = async ? async (id: number) => produce(id) : (id: number) => produce(id)
          const f = wrapper({ ...options, namespace: ns(), ttl: 1000, [window]: 60_000 })(fn) as unknown as Cached<(id: number) => unknown>
          expect(await f(1)).toBe('ok 1')
          fail = true
          vi.advanceTimersByTime(2000)
          expect(await f(1)).toBe('ok 1')
          expect(await f(1)).toBe('ok 1')
          // Also through the per-call control: its failure is the caller's, as a rejection or throw.
          await expect(async () => f.cacheRefresh(1)).rejects.toThrow(/source down/)
          for (let i = 0; i < 5; i++) await tick()
          // cacheRefresh may join the background refresh still in flight: one failure or two.
          expect(f.cacheInfo().errors).toBeGreaterThanOrEqual(1)
          expect(escaped).toEqual([])
          await f.engine.close()
        })
      }
    }
  }
})

describe('cacheRefresh and cachePeek', () => {
  it('without freshness options, on a sync function: inline, stored, counted only as refreshes', () => {
    let runs = 0
    const f = mcache({ engine: 'memory', ttl: 1000 })((id: number) => `v${++runs}:${id}`)
    expect(f.cachePeek(1)).toBeUndefined()
    expect(f.cacheRefresh(1)).toBe('v1:1')
    expect(f.cachePeek(1)).toBe('v1:1')
    expect(f(1)).toBe('v1:1')
    expect(f.cacheRefresh(1)).toBe('v2:1')
    expect(f(1)).toBe('v2:1')
    expect(f.cacheInfo()).toMatchObject({ hits: 2, misses: 0, refreshes: 2 })
  })

  it('with a custom key: the same entry the calls use', async () => {
    let runs = 0
    const f = bcache({ cacheDir, folderName: 'edges', namespace: ns(), key: (user: { id: number }) => `user:${user.id}` })((user: { id: number; name?: string }) => `v${++runs}:${user.id}`)
    expect(f({ id: 7, name: 'a' })).toBe('v1:7')
    expect(f.cachePeek({ id: 7 })).toBe('v1:7')
    expect(f.cacheRefresh({ id: 7, name: 'b' })).toBe('v2:7')
    expect(f({ id: 7, name: 'c' })).toBe('v2:7')
    expect(runs).toBe(2)
    await f.engine.close()
  })

  it('on a decorated method with a custom key: cachePeek reads the entry; cacheRefresh says it cannot reach an instance', async () => {
    class Repo {
      prefix = 'repo'
      @acache({ engine: 'memory', key: (id: string) => `item:${id}`, ttl: 1000, staleWhileRevalidate: 1000 })
      async find(id: string) {
        return `${this.prefix}:${id}`
      }
    }
    const find = Repo.prototype.find as unknown as Cached<(id: string) => Promise<string>>
    expect(await new Repo().find('1')).toBe('repo:1')
    expect(await find.cachePeek('1')).toBe('repo:1')
    expect(() => find.cacheRefresh('1')).toThrow(/cacheRefresh on a decorated method/)
    expect(await new Repo().find('1')).toBe('repo:1')
  })

  it('on a decorated method without a custom key: both say they need the instance', () => {
    class Repo {
      @mcache({ engine: 'memory' })
      find(id: string) {
        return id
      }
    }
    const find = Repo.prototype.find as unknown as Cached<(id: string) => string>
    expect(() => find.cachePeek('1')).toThrow(/needs the instance/)
    expect(() => find.cacheRefresh('1')).toThrow(/cacheRefresh on a decorated method/)
  })
})

describe('getStats reports the freshness counters', () => {
  it('stale, refreshes and errors per function and in the totals', async () => {
    captureLogs()
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() })
    let fail = false
    const f = mcache({ engine: 'memory', namespace: 'stats-freshness', ttl: 1000, staleWhileRevalidate: 10_000 })(function statsFreshness(id: number) {
      if (fail) throw new Error('down')
      return id
    })
    f(1)
    vi.advanceTimersByTime(2000)
    fail = true
    f(1)
    f(1)
    await tick()
    const stats = getStats('stats-freshness')
    expect(stats.functions).toEqual([expect.objectContaining({ name: 'statsFreshness', stale: 2, refreshes: 1, errors: 1 })])
    expect(stats.totals).toMatchObject({ stale: 2, refreshes: 1, errors: 1 })
  })
})

describe('failure episodes', () => {
  it('one warning per episode of failed refreshes; a success ends it (logged), the next failure starts another', async () => {
    const { warnings, infos } = captureLogs()
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() })
    let fail = false
    const f = mcache({ engine: 'memory', ttl: 1000, staleIfError: 60_000 })(function episodes(id: number) {
      if (fail) throw new Error('down')
      return id
    })
    f(1)
    const staleCall = () => {
      vi.advanceTimersByTime(2000)
      return f(1)
    }
    fail = true
    for (let i = 0; i < 3; i++) expect(staleCall()).toBe(1)
    expect(warnings.filter((w) => w.includes("refreshing 'episodes' failed"))).toHaveLength(1)
    fail = false
    expect(staleCall()).toBe(1)
    expect(infos.filter((m) => m.includes("refreshing 'episodes' works again"))).toHaveLength(1)
    fail = true
    expect(staleCall()).toBe(1)
    expect(warnings.filter((w) => w.includes("refreshing 'episodes' failed"))).toHaveLength(2)
    expect(f.cacheInfo()).toMatchObject({ stale: 4, refreshes: 5, errors: 4 })
  })
})

describe('cacheRefresh while a background refresh is queued', () => {
  it('the queued refresh does not run again after cacheRefresh stored a value', async () => {
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() })
    let runs = 0
    const f = mcache({ engine: 'memory', ttl: 1000, staleWhileRevalidate: 10_000 })((id: number) => `v${++runs}:${id}`)
    f(1)
    vi.advanceTimersByTime(2000)
    expect(f(1)).toBe('v1:1')
    expect(f.cacheRefresh(1)).toBe('v2:1')
    await tick()
    expect(runs).toBe(2)
    expect(f(1)).toBe('v2:1')
    expect(f.cacheInfo()).toMatchObject({ stale: 1, refreshes: 1 })
  })
})

describe('decorated methods with freshness options', () => {
  it('a background refresh runs the method on the instance that found the stale entry', async () => {
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() })
    let runs = 0
    class Repo {
      constructor(readonly prefix: string) {}
      @mcache({ engine: 'memory', ttl: 1000, staleWhileRevalidate: 10_000, hardTimeout: 5_000 })
      find(id: string) {
        return `${this.prefix}:${id}:${++runs}`
      }
    }
    const a = new Repo('a')
    const b = new Repo('b')
    expect([a.find('1'), b.find('1')]).toEqual(['a:1:1', 'b:1:2'])
    vi.advanceTimersByTime(2000)
    expect(b.find('1')).toBe('b:1:2')
    await tick()
    expect(b.find('1')).toBe('b:1:3')
    expect(a.find('1')).toBe('a:1:1')
  })
})
