import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, describe, expect, expectTypeOf, it, onTestFinished } from 'vitest'
import type { Cached } from '../src/index.js'
import { hybridCache } from '../src/selection/hybrid-cache.js'
import { smartCache } from '../src/selection/smart-cache.js'
import { captureWarnings, restoreEngines, uninstall } from './selection-registry.js'

const KIB = 1024
const cacheDir = mkdtempSync(join(tmpdir(), 'twat-selection-'))
const opened: { engine: { close(): unknown } }[] = []
/** Close every engine the test opened (sqlite files stay for the next wrapper to read). */
function track<T extends { engine: { close(): unknown } }>(cached: T): T {
  opened.push(cached)
  return cached
}

afterEach(async () => {
  for (const cached of opened.splice(0)) await cached.engine.close()
  restoreEngines()
})
afterAll(() => rmSync(cacheDir, { recursive: true, force: true }))

let namespaceCount = 0
const freshNamespace = () => `selection-${process.pid}-${++namespaceCount}`

describe('hybridCache', () => {
  it('keeps sync functions sync and typed; small results in memory, large ones on disk', () => {
    const namespace = freshNamespace()
    let runs = 0
    const load = (size: number) => {
      runs++
      return 'x'.repeat(size)
    }
    const first = track(hybridCache({ namespace, cacheDir, sizeThreshold: 10 * KIB })(load))
    expectTypeOf(first).parameters.toEqualTypeOf<[number]>()
    expectTypeOf(first).returns.toEqualTypeOf<string>()
    expectTypeOf(first).toMatchTypeOf<Cached<(size: number) => string>>()
    expect(first.engine.name).toBe('hybrid(lru+sqlite)')
    expect(first.engine.capabilities.mode).toBe('sync')

    expect(first(10)).toBe('x'.repeat(10))
    expect(first(20 * KIB)).toHaveLength(20 * KIB)
    expect(first(10)).toBe('x'.repeat(10)) // not a Promise: the hit is returned as is
    expect(first(20 * KIB)).toHaveLength(20 * KIB)
    expect(runs).toBe(2)
    expect(first.cacheInfo()).toMatchObject({ hits: 2, misses: 2, size: 2, engine: 'hybrid(lru+sqlite)' })

    // A second wrapper stands for the next run of the program: the disk tier kept the large
    // result, the memory tier started empty.
    const second = track(hybridCache({ namespace, cacheDir, sizeThreshold: 10 * KIB })(load))
    expect(second(20 * KIB)).toHaveLength(20 * KIB)
    expect(runs).toBe(2)
    expect(second(10)).toBe('x'.repeat(10))
    expect(runs).toBe(3)
  })

  it('splits exactly at sizeThreshold: below goes to memory, at the threshold to disk', () => {
    const namespace = freshNamespace()
    const make = () => track(hybridCache({ namespace, cacheDir, sizeThreshold: 1000 })((n: number) => 'y'.repeat(n)))
    const first = make()
    first(999)
    first(1000)
    const second = make()
    second(999)
    second(1000)
    // The 1000-byte result was read back from disk; the 999-byte one was recomputed.
    expect(second.cacheInfo()).toMatchObject({ hits: 1, misses: 1 })
  })

  it('defaults to a 1 MiB threshold and caches falsy results', () => {
    const namespace = freshNamespace()
    let runs = 0
    const f = track(
      hybridCache({ namespace, cacheDir })((kind: string) => {
        runs++
        return kind === 'big' ? new Uint8Array(1024 * KIB) : kind === 'none' ? undefined : 0
      }),
    )
    for (const kind of ['none', 'zero', 'none', 'zero']) f(kind)
    expect(runs).toBe(2)
    expect(f('big')).toHaveLength(1024 * KIB)
    const again = track(hybridCache({ namespace, cacheDir })((_: string) => new Uint8Array(0)))
    const big = again('big') // from disk, not this function
    expect(big).toBeInstanceOf(Uint8Array)
    // Buffer.equals: vitest's deep equality walks a 1 MiB array element by element (~10 s).
    expect(Buffer.from(big.buffer, big.byteOffset, big.byteLength).equals(Buffer.alloc(1024 * KIB))).toBe(true)
    expect(again('zero')).toEqual(new Uint8Array(0)) // memory tier of the first wrapper is not shared
  })

  it('cacheDelete and cacheClear reach both tiers', async () => {
    let runs = 0
    const f = track(
      hybridCache({ namespace: freshNamespace(), cacheDir, sizeThreshold: 100 })((n: number) => {
        runs++
        return 'z'.repeat(n)
      }),
    )
    f(10)
    f(500)
    expect(await f.cacheDelete(500)).toBe(true)
    expect(await f.cacheDelete(500)).toBe(false)
    f(500)
    expect(runs).toBe(3)
    await f.cacheClear()
    f(10)
    f(500)
    expect(runs).toBe(5)
  })

  it('a key whose result changes tier (cacheRefresh) is never answered from the tier it left', async () => {
    let size = 10
    let runs = 0
    const make = () =>
      hybridCache({ namespace: freshNamespace(), cacheDir, sizeThreshold: 100, small: { maxsize: 1 } })((_id: string) => {
        runs++
        return 'y'.repeat(size)
      })
    const f = track(make())
    expect(f('a')).toHaveLength(10)
    size = 500
    expect(f.cacheRefresh('a')).toHaveLength(500)
    expect(f('a')).toHaveLength(500) // not the 10 the memory tier held
    size = 20
    expect(f.cacheRefresh('a')).toHaveLength(20)
    expect(f('a')).toHaveLength(20)
    // 'b' evicts 'a' from the one-entry memory tier: 'a' is a miss, not the 500 left on disk
    f('b')
    runs = 0
    expect(f('a')).toHaveLength(20)
    expect(runs).toBe(1)

    const g = track(hybridCache({ namespace: freshNamespace(), cacheDir, sizeThreshold: 100 })(async (_id: string) => 'y'.repeat(size)))
    size = 10
    expect(await g('a')).toHaveLength(10)
    size = 500
    expect(await g.cacheRefresh('a')).toHaveLength(500)
    expect(await g('a')).toHaveLength(500)
  })

  it('shares one in-flight call between concurrent async callers and never caches a rejection', async () => {
    let runs = 0
    let fail = true
    const fetchBlob = track(
      hybridCache({ namespace: freshNamespace(), cacheDir, sizeThreshold: 100 })(async (n: number) => {
        runs++
        await new Promise((resolve) => setTimeout(resolve, 10))
        if (fail) throw new Error('upstream down')
        return new Uint8Array(n)
      }),
    )
    expectTypeOf(fetchBlob).returns.toEqualTypeOf<Promise<Uint8Array<ArrayBuffer>>>()
    await expect(Promise.all([fetchBlob(500), fetchBlob(500)])).rejects.toThrow('upstream down')
    expect(runs).toBe(1)
    fail = false
    const results = await Promise.all([fetchBlob(500), fetchBlob(500), fetchBlob(5)])
    expect(results.map((r) => r.length)).toEqual([500, 500, 5])
    expect(runs).toBe(3)
    expect(await fetchBlob(500)).toHaveLength(500)
    expect(runs).toBe(3)
  })

  it('works as a method decorator, per instance', () => {
    let runs = 0
    class Tiles {
      constructor(readonly scale: number) {}
      @hybridCache({ namespace: freshNamespace(), cacheDir, sizeThreshold: 1000 })
      render(n: number) {
        runs++
        return 't'.repeat(n * this.scale)
      }
    }
    const a = new Tiles(1)
    const b = new Tiles(2)
    expect(a.render(600)).toHaveLength(600)
    expect(b.render(600)).toHaveLength(1200)
    expect(a.render(600)).toHaveLength(600)
    expect(b.render(600)).toHaveLength(1200)
    expect(runs).toBe(2)
    track(a.render as unknown as { engine: { close(): unknown } })
  })

  it('without a disk engine: one memory engine and one warning naming the package', () => {
    const warnings = captureWarnings()
    uninstall('sqlite', 'flat-cache')
    const f = hybridCache({ namespace: freshNamespace() })((n: number) => 'm'.repeat(n))
    expect(f.engine.name).toBe('lru')
    expect(f(2 * 1024 * KIB)).toHaveLength(2 * 1024 * KIB)
    expect(f.cacheInfo()).toMatchObject({ misses: 1, size: 1, engine: 'lru' })
    expect(warnings).toEqual([expect.stringMatching(/keep large results out of memory.*pnpm add @twat-cache\/sqlite/)])
  })

  it('rejects bad options where they are written', () => {
    expect(() => hybridCache({ sizeThreshold: Number.NaN })).toThrow(/sizeThreshold/)
    expect(() => hybridCache({ small: { maxsize: -1 } })).toThrow(/maxsize/)
    expect(() => hybridCache({ engine: 'lru' })).toThrow(/one engine per tier/)
  })
})

describe('smartCache', () => {
  const PNG = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])
  const image = (bytes: number) => {
    const out = new Uint8Array(bytes)
    out.set(PNG)
    return out
  }

  it('chooses the engine from the first result, then keeps it', () => {
    let runs = 0
    const f = track(
      smartCache({ namespace: freshNamespace() })((kind: string): number | Uint8Array => {
        runs++
        return kind === 'image' ? image(50 * KIB) : 7
      }),
    )
    expectTypeOf(f).returns.toEqualTypeOf<number | Uint8Array>()
    expect(f.cacheInfo().engine).toBe('smart (undecided)')
    expect(f('n')).toBe(7)
    expect(f.cacheInfo().engine).toBe('lru')
    expect(f('image')).toHaveLength(50 * KIB)
    expect(f.cacheInfo().engine).toBe('lru') // fixed after the first result
    expect(f('image')).toHaveLength(50 * KIB)
    expect(f('n')).toBe(7)
    expect(runs).toBe(2)
  })

  it('sends an image-returning function to disk and stays sync', () => {
    // The base directory from the environment: a `cacheDir` option would itself ask for disk.
    process.env.TWAT_CACHE_DIR = cacheDir
    onTestFinished(() => {
      delete process.env.TWAT_CACHE_DIR
    })
    const namespace = freshNamespace()
    let runs = 0
    const thumbnail = (id: number) => {
      runs++
      return image(20 * KIB + id)
    }
    const f = track(smartCache({ namespace })(thumbnail))
    expect(f(1)).toHaveLength(20 * KIB + 1)
    expect(f.engine.name).toBe('sqlite')
    expect(f.engine.capabilities.mode).toBe('sync')
    expect(f(1)).toHaveLength(20 * KIB + 1)
    expect(runs).toBe(1)
    // The next run: the first call decides again (and runs), later calls read from disk.
    const next = track(smartCache({ namespace })(thumbnail))
    next(2)
    expect(next(1)).toHaveLength(20 * KIB + 1)
    expect(runs).toBe(2)
  })

  it('follows hints and caches a null first result as a hit', () => {
    let runs = 0
    const f = track(
      smartCache({ namespace: freshNamespace(), accessPattern: 'frequency', maxsize: 2 })((_: string) => {
        runs++
        return null
      }),
    )
    expect(f('a')).toBeNull()
    expect(f('a')).toBeNull()
    expect(runs).toBe(1)
    expect(f.engine.name).toBe('memory') // the LFU engine of the memory chain
    expect(f.cacheInfo()).toMatchObject({ hits: 1, misses: 1, maxsize: 2 })
  })

  it('async functions: in-flight sharing, async engines allowed', async () => {
    uninstall('lru', 'node-cache')
    let runs = 0
    const f = track(
      smartCache({ namespace: freshNamespace() })(async (x: number) => {
        runs++
        await new Promise((resolve) => setTimeout(resolve, 5))
        return { x }
      }),
    )
    expectTypeOf(f).returns.toEqualTypeOf<Promise<{ x: number }>>()
    const [a, b] = await Promise.all([f(1), f(1)])
    expect(a).toEqual({ x: 1 })
    expect(b).toBe(a)
    expect(runs).toBe(1)
    expect(f.engine.name).toBe('cacheable')
    expect(await f(1)).toEqual({ x: 1 })
    expect(runs).toBe(1)
  })

  it('a sync function never gets an async engine', () => {
    uninstall('lru', 'node-cache')
    const f = track(smartCache({ namespace: freshNamespace() })((x: number) => x + 1))
    expect(f(1)).toBe(2)
    expect(f(1)).toBe(2)
    expect(f.engine.name).toBe('memory')
  })
})

describe('`redis` given to hybridCache or smartCache but not chosen', () => {
  const redis = { url: 'redis://127.0.0.1:6399' }

  it('hybridCache says once that Redis is not used, and how to use it', async () => {
    const warnings = captureWarnings()
    for (let i = 0; i < 3; i++) {
      const cached = track(hybridCache({ namespace: freshNamespace(), cacheDir, redis })(async (x: number) => x * 2))
      expect(await cached(4)).toBe(8)
    }
    expect(warnings.filter((w) => w.includes('Redis is not used'))).toEqual([
      expect.stringMatching(/`redis` is set, but hybridCache chose 'lru' and 'sqlite'.*large: \{ engine: 'redis' \}/),
    ])
  })

  it('smartCache says so once its first result chose another engine', async () => {
    const warnings = captureWarnings()
    const cached = track(smartCache({ namespace: freshNamespace(), redis })(async (x: number) => x * 2))
    expect(warnings.join('\n')).not.toContain('Redis is not used') // nothing chosen yet
    expect(await cached(4)).toBe(8)
    expect(await cached(5)).toBe(10)
    expect(warnings.filter((w) => w.includes('Redis is not used'))).toEqual([
      expect.stringMatching(/`redis` is set, but smartCache chose 'lru'.*concurrency: 'distributed'/),
    ])
  })

  it('without `redis`, neither says anything about it', async () => {
    const warnings = captureWarnings()
    const hybrid = track(hybridCache({ namespace: freshNamespace(), cacheDir })(async (x: number) => x * 2))
    const smart = track(smartCache({ namespace: freshNamespace() })(async (x: number) => x * 2))
    expect([await hybrid(1), await smart(1)]).toEqual([2, 2])
    expect(warnings.join('\n')).not.toContain('Redis')
  })
})
