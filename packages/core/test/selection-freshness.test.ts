/**
 * hybridCache and smartCache with §12's options (envelopes through composed engines) and the
 * engine capabilities the wrappers read once, when the function is wrapped: the stale window,
 * expiry of envelopes on disk, per-process keys of decorated methods on a disk tier.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createSqliteEngine } from '@twat-cache/sqlite'
import { afterAll, afterEach, describe, expect, it, onTestFinished, vi } from 'vitest'
import { MISS, createCacheConfig, invalidateTags } from '../src/index.js'
import { hybridCache } from '../src/selection/hybrid-cache.js'
import { smartCache } from '../src/selection/smart-cache.js'
import { restoreEngines } from './selection-registry.js'

const cacheDir = mkdtempSync(join(tmpdir(), 'twat-selection-fresh-'))
const opened: { engine: { close(): unknown } }[] = []
function track<T extends { engine: { close(): unknown } }>(cached: T): T {
  opened.push(cached)
  return cached
}
afterEach(async () => {
  vi.useRealTimers()
  for (const cached of opened.splice(0)) await cached.engine.close()
  restoreEngines()
})
afterAll(() => rmSync(cacheDir, { recursive: true, force: true }))

let count = 0
const freshNamespace = () => `selection-fresh-${process.pid}-${++count}`
const T0 = 1_000_000

/** The sqlite entries of a namespace, read by an engine of its own. */
function diskEntries(namespace: string): { keys: string[]; get(key: string): unknown } {
  const engine = createSqliteEngine(createCacheConfig({ namespace, cacheDir }) as never)
  onTestFinished(() => engine.close())
  return { keys: engine.keys(), get: (key) => engine.get(key) }
}

/** smartCache's disk engine from the environment: a `cacheDir` option would itself ask for disk. */
function diskFromEnvironment(): void {
  process.env.TWAT_CACHE_DIR = cacheDir
  onTestFinished(() => {
    delete process.env.TWAT_CACHE_DIR
  })
}

describe('hybridCache with ttl and staleWhileRevalidate', () => {
  it('serves stale results from both tiers within the window, then misses', async () => {
    vi.useFakeTimers({ toFake: ['Date'], now: T0 })
    const runs: number[] = []
    const f = track(
      hybridCache({ namespace: freshNamespace(), cacheDir, sizeThreshold: 100, ttl: 1_000, staleWhileRevalidate: 10_000 })((n: number) => {
        runs.push(n)
        return 'y'.repeat(n)
      }),
    )
    f(10)
    f(500)
    vi.setSystemTime(T0 + 2_000) // past ttl, within the stale window
    expect(f(10)).toHaveLength(10)
    expect(f(500)).toHaveLength(500)
    expect(f.cacheInfo()).toMatchObject({ misses: 2, stale: 2 })
    await vi.waitFor(() => expect(runs).toEqual([10, 500, 10, 500])) // one background refresh each
    vi.setSystemTime(T0 + 20_000) // past the refreshed entries' window too
    f(10)
    f(500)
    expect(f.cacheInfo()).toMatchObject({ misses: 4 })
  })

  it('envelopes on the disk tier expire on disk at the end of their stale window', () => {
    vi.useFakeTimers({ toFake: ['Date'], now: T0 })
    const namespace = freshNamespace()
    const f = track(hybridCache({ namespace, cacheDir, sizeThreshold: 100, ttl: 1_000, staleWhileRevalidate: 10_000 })((n: number) => 'y'.repeat(n)))
    f(500)
    const [key] = diskEntries(namespace).keys
    expect(key).toBeDefined()
    vi.setSystemTime(T0 + 5_000)
    expect(diskEntries(namespace).get(key!)).not.toBe(MISS)
    vi.setSystemTime(T0 + 11_001)
    expect(diskEntries(namespace).get(key!)).toBe(MISS)
  })

  it('decorated methods key their disk entries per process', () => {
    const namespace = freshNamespace()
    class Tiles {
      @hybridCache({ namespace, cacheDir, sizeThreshold: 10 })
      render(n: number) {
        return 't'.repeat(n)
      }
    }
    new Tiles().render(100)
    const { keys } = diskEntries(namespace)
    expect(keys).toHaveLength(1)
    // Instance 1 of the next process must not read this one's entry.
    expect(keys[0]).toMatch(/^[0-9a-z]{6,}\.\d+:/)
  })
})

describe('smartCache with ttl and staleWhileRevalidate', () => {
  it('serves a stale result from the chosen disk engine within the window', async () => {
    diskFromEnvironment()
    vi.useFakeTimers({ toFake: ['Date'], now: T0 })
    let runs = 0
    const f = track(
      smartCache({ namespace: freshNamespace(), persistence: true, ttl: 1_000, staleWhileRevalidate: 10_000 })((n: number) => {
        runs++
        return 'y'.repeat(n)
      }),
    )
    f(10)
    expect(f.engine.name).toBe('sqlite')
    vi.setSystemTime(T0 + 2_000)
    expect(f(10)).toHaveLength(10)
    expect(f.cacheInfo()).toMatchObject({ misses: 1, stale: 1 })
    await vi.waitFor(() => expect(runs).toBe(2))
  })

  it('envelopes on a chosen disk engine expire on disk', () => {
    diskFromEnvironment()
    vi.useFakeTimers({ toFake: ['Date'], now: T0 })
    const namespace = freshNamespace()
    const f = track(smartCache({ namespace, persistence: true, ttl: 1_000, staleWhileRevalidate: 10_000 })((n: number) => 'y'.repeat(n)))
    f(10)
    const [key] = diskEntries(namespace).keys
    vi.setSystemTime(T0 + 11_001)
    expect(diskEntries(namespace).get(key!)).toBe(MISS)
  })

  it('decorated methods key their entries per process when the chosen engine is on disk', () => {
    diskFromEnvironment()
    const namespace = freshNamespace()
    class Tiles {
      @smartCache({ namespace, persistence: true })
      render(n: number) {
        return 't'.repeat(n)
      }
    }
    const tiles = new Tiles()
    tiles.render(100)
    const { keys } = diskEntries(namespace)
    expect(keys).toHaveLength(1)
    expect(keys[0]).toMatch(/^[0-9a-z]{6,}\.\d+:/)
    let runs = 0
    class Counted {
      @smartCache({ namespace: freshNamespace() })
      twice(n: number) {
        runs++
        return n * 2
      }
    }
    const c = new Counted()
    c.twice(1)
    c.twice(1)
    expect(runs).toBe(1) // the first call's key is the key of every later call
  })
})

describe('hybridCache with tags and a disk tier', () => {
  it('keeps tag state in the disk tier, so an invalidation by another engine on the file reaches entries of both tiers', async () => {
    const namespace = freshNamespace()
    let runs = 0
    const f = track(
      hybridCache({ namespace, cacheDir, sizeThreshold: 100, tags: (_v: unknown, n: number) => [`n:${n % 2}`] })((n: number) => {
        runs++
        return 'z'.repeat(n)
      }),
    )
    expect(f.engine.capabilities.tags).toBe(true)
    for (const n of [10, 11, 500, 501]) f(n) // two small results in memory, two large ones on disk
    expect(runs).toBe(4)
    // Another process's view: an engine of its own on the same file marks the tag there.
    const other = createSqliteEngine(createCacheConfig({ namespace: 'someone-else', cacheDir }) as never)
    onTestFinished(() => other.close())
    await invalidateTags(['n:0'], { engine: other })
    for (const n of [10, 11, 500, 501]) f(n)
    // Exactly the entries tagged n:0 (10 in memory, 500 on disk) ran again.
    expect(runs).toBe(6)
  })
})

describe('hybrid engine of an async tier', () => {
  it('counts the entries of both tiers in size(), so cacheInfo() can report them', async () => {
    const { createCacheableEngine } = await import('@twat-cache/cacheable')
    const { createMemoryEngine } = await import('../src/index.js')
    const { createHybridEngine } = await import('../src/selection/hybrid-cache.js')
    const engine = createHybridEngine(createMemoryEngine(), createCacheableEngine({ namespace: freshNamespace() }), 100)
    await engine.set('small', 'x')
    await engine.set('large', 'y'.repeat(500))
    expect(await engine.size!()).toBe(2)
    await engine.close()
  })
})
