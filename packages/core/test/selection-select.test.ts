import fc from 'fast-check'
import { afterEach, describe, expect, it } from 'vitest'
import { ConfigurationError, EngineNotAvailableError, createCacheConfig, getEngine, mcache, selectEngine } from '../src/index.js'
import {
  configureForBinary,
  configureForImages,
  configureForJson,
  configureForType,
  hybridCacheConfig,
  smartCacheConfig,
} from '../src/selection/configure.js'
import { RESULT_TYPES } from '../src/selection/detect-type.js'
import { type AccessPattern, type Concurrency, getTypeBasedEngine, selectEngineForData } from '../src/selection/select.js'
import { ALL_ENGINES, captureWarnings, installOnly, restoreEngines, uninstall } from './selection-registry.js'

const KIB = 1024
const MIB = 1024 * KIB
const PNG = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]
const png = (bytes: number) => {
  const image = new Uint8Array(bytes)
  image.set(PNG)
  return image
}
const REDIS = { redis: { url: 'redis://127.0.0.1:6399' } }

afterEach(restoreEngines)

describe('getTypeBasedEngine: the type → engine table', () => {
  const samples: Record<string, unknown> = {
    primitive: 42,
    json: { a: [1, 2] },
    collection: new Map([[1, 2]]),
    object: new (class Point {})(),
    binary: new Uint8Array(16),
    image: png(64),
  }

  it('with every engine installed', () => {
    const chosen = Object.fromEntries(RESULT_TYPES.map((t) => [t, getTypeBasedEngine(samples[t])]))
    expect(chosen).toEqual({ primitive: 'lru', json: 'lru', collection: 'lru', object: 'lru', binary: 'sqlite', image: 'sqlite' })
  })

  it('walks the disk chain when sqlite is missing, and warns when no disk engine is left', () => {
    const warnings = captureWarnings()
    uninstall('sqlite')
    expect(getTypeBasedEngine(samples.binary)).toBe('flat-cache')
    expect(warnings).toEqual([])
    uninstall('flat-cache')
    expect(getTypeBasedEngine(samples.image)).toBe('lru')
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toMatch(/store images on disk.*pnpm add @twat-cache\/sqlite.*using 'lru' instead/)
    getTypeBasedEngine(samples.image)
    expect(warnings).toHaveLength(1) // once per process
  })

  it('walks the memory chain; names async engines only for async functions', () => {
    uninstall('lru')
    expect(getTypeBasedEngine('x')).toBe('node-cache')
    uninstall('node-cache')
    expect(getTypeBasedEngine('x')).toBe('memory')
    expect(getTypeBasedEngine('x', { async: true })).toBe('cacheable')
    installOnly([])
    for (const type of RESULT_TYPES) expect(getTypeBasedEngine(samples[type], { async: true })).toBe('memory')
  })

  it('keeps the configured policy: an engine that cannot honour it is skipped', () => {
    expect(getTypeBasedEngine('x', { config: { policy: 'fifo' } })).toBe('node-cache')
    expect(getTypeBasedEngine('x', { config: { policy: 'lfu' } })).toBe('memory')
    expect(getTypeBasedEngine(samples.binary, { config: { policy: 'rr' } })).toBe('sqlite')
  })
})

describe('selectEngineForData: data', () => {
  it('chooses by size: small and medium in memory, large and very_large on disk', () => {
    expect(selectEngineForData()).toBe('lru')
    expect(selectEngineForData({ data: 42 })).toBe('lru')
    expect(selectEngineForData({ data: undefined })).toBe('lru')
    expect(selectEngineForData({ data: Array.from({ length: 10_000 }, (_, i) => i) })).toBe('lru') // ~160 KB
    expect(selectEngineForData({ data: 'x'.repeat(MIB - 1) })).toBe('lru')
    expect(selectEngineForData({ data: 'x'.repeat(MIB) })).toBe('sqlite')
    expect(selectEngineForData({ data: Array.from({ length: 100_000 }, (_, i) => i) })).toBe('sqlite') // ~1.6 MB
    expect(selectEngineForData({ data: new ArrayBuffer(200 * MIB) })).toBe('sqlite')
  })

  it('sends binary data and images to disk from 10 KiB; a digest stays in memory', () => {
    expect(selectEngineForData({ data: new Uint8Array(32) })).toBe('lru')
    expect(selectEngineForData({ data: new Uint8Array(10 * KIB - 1) })).toBe('lru')
    expect(selectEngineForData({ data: new Uint8Array(10 * KIB) })).toBe('sqlite')
    expect(selectEngineForData({ data: png(20 * KIB) })).toBe('sqlite')
    uninstall('sqlite')
    expect(selectEngineForData({ data: png(20 * KIB) })).toBe('flat-cache')
  })

  it('keeps class instances in a structured memory engine, even when large', () => {
    class Frame {
      pixels = 'x'.repeat(2 * MIB)
    }
    expect(selectEngineForData({ data: new Frame() })).toBe('lru')
    expect(selectEngineForData({ data: { pixels: 'x'.repeat(2 * MIB) } })).toBe('sqlite')
  })

  it('honours config.engine, falling back like the chains do', () => {
    const warnings = captureWarnings()
    expect(selectEngineForData({ data: 1, config: { engine: 'flat-cache' } })).toBe('flat-cache')
    uninstall('flat-cache')
    expect(selectEngineForData({ data: 1, config: { engine: 'flat-cache' } })).toBe('lru')
    expect(warnings.join()).toMatch(/flat-cache.*not installed/)
    expect(() => selectEngineForData({ config: { engine: 'no-such-engine' } })).toThrow(EngineNotAvailableError)
  })
})

describe('selectEngineForData: hints', () => {
  it('persistence → sqlite → flat-cache → memory with a warning', () => {
    const warnings = captureWarnings()
    expect(selectEngineForData({ persistence: true })).toBe('sqlite')
    uninstall('sqlite')
    expect(selectEngineForData({ persistence: true, data: 1 })).toBe('flat-cache')
    uninstall('flat-cache')
    expect(selectEngineForData({ persistence: true })).toBe('lru')
    expect(warnings).toEqual([expect.stringMatching(/keep entries across restarts.*@twat-cache\/sqlite/)])
  })

  it('disk settings in the config mean persistence, as ucache reads them', () => {
    expect(selectEngineForData({ config: { useSql: true } })).toBe('sqlite')
    expect(selectEngineForData({ config: { folderName: 'x' } })).toBe('flat-cache')
    expect(selectEngineForData({ config: { cacheDir: '/tmp/x', useSql: true } })).toBe('sqlite')
    expect(selectEngineForData({ data: 1, config: { cacheDir: '/tmp/x' } })).toBe('flat-cache')
  })

  it.each(['process', 'thread'] as const)('concurrency %s needs an engine shared by processes', (concurrency) => {
    const warnings = captureWarnings()
    expect(selectEngineForData({ concurrency })).toBe('sqlite')
    uninstall('sqlite')
    // flat-cache keeps a copy per process: not shared.
    expect(selectEngineForData({ concurrency })).toBe('lru')
    expect(warnings).toEqual([expect.stringMatching(/share entries between processes/)])
  })

  it('concurrency distributed without Redis: sqlite, and a warning saying what is missing', () => {
    const warnings = captureWarnings()
    expect(selectEngineForData({ concurrency: 'distributed' })).toBe('sqlite')
    expect(selectEngineForData({ concurrency: 'distributed', async: true })).toBe('sqlite') // no redis settings
    expect(warnings).toEqual([expect.stringMatching(/needs Redis: configure `redis`/)])
  })

  it('concurrency distributed with Redis configured and an async function → redis', () => {
    expect(selectEngineForData({ concurrency: 'distributed', async: true, config: REDIS })).toBe('redis')
    expect(selectEngineForData({ concurrency: 'distributed', async: true, config: REDIS, persistence: true })).toBe('redis')
    captureWarnings()
    // Redis is async: a sync function gets the best local sharing.
    expect(selectEngineForData({ concurrency: 'distributed', async: false, config: REDIS })).toBe('sqlite')
    uninstall('redis')
    expect(selectEngineForData({ concurrency: 'distributed', async: true, config: REDIS })).toBe('sqlite')
  })

  it('an async function with Redis configured may get redis for process sharing and persistence', () => {
    uninstall('sqlite', 'flat-cache')
    captureWarnings()
    expect(selectEngineForData({ concurrency: 'process', async: true, config: REDIS })).toBe('redis')
    expect(selectEngineForData({ persistence: true, async: true, config: REDIS })).toBe('redis')
    expect(selectEngineForData({ persistence: true, async: false, config: REDIS })).toBe('lru')
  })

  it('access patterns prefer an engine honouring their policy', () => {
    const expected: Record<AccessPattern, string> = {
      read_heavy: 'lru',
      write_heavy: 'lru',
      balanced: 'lru',
      temporal: 'lru',
      frequency: 'memory', // the only LFU engine of the memory chain
      random: 'memory',
    }
    for (const [accessPattern, engine] of Object.entries(expected)) {
      expect([accessPattern, selectEngineForData({ accessPattern: accessPattern as AccessPattern })]).toEqual([accessPattern, engine])
    }
    expect(selectEngineForData({ accessPattern: 'frequency', persistence: true })).toBe('sqlite')
    // An explicit policy wins over the pattern's.
    expect(selectEngineForData({ accessPattern: 'frequency', config: { policy: 'lru' } })).toBe('lru')
    expect(selectEngineForData({ accessPattern: 'random', config: { policy: 'fifo' } })).toBe('node-cache')
  })

  it('never names an engine that is not registered, or that the wrappers would refuse', () => {
    const names = ALL_ENGINES.filter((n) => n !== 'memory')
    const data = fc.oneof(
      fc.constant(1),
      fc.constant({ a: 1 }),
      fc.constant(new Uint8Array(20 * KIB)),
      fc.constant(png(20 * KIB)),
      fc.constant('x'.repeat(2 * MIB)),
      fc.constant(new (class A {})()),
    )
    fc.assert(
      fc.property(
        fc.subarray(names),
        fc.record(
          {
            data,
            persistence: fc.boolean(),
            accessPattern: fc.constantFrom<AccessPattern>('read_heavy', 'write_heavy', 'balanced', 'temporal', 'frequency', 'random'),
            concurrency: fc.constantFrom<Concurrency>('none', 'thread', 'process', 'distributed'),
            async: fc.boolean(),
            config: fc.constantFrom({}, REDIS, { useSql: true }, { folderName: 'f' }, { policy: 'fifo' as const }),
          },
          { requiredKeys: [] },
        ),
        (installedNames, hints) => {
          installOnly(installedNames)
          captureWarnings()
          const name = selectEngineForData(hints)
          expect(getEngine(name)).toBeDefined()
          expect(['memory', ...installedNames]).toContain(name)
          // The wrappers accept it for the same options and kind of function.
          const config = createCacheConfig({ ...hints.config, engine: name })
          expect(selectEngine(config, { mode: hints.async ? 'any' : 'sync' }).name).toBe(name)
          if (!hints.async) expect(getEngine(name)!.capabilities.mode).toBe('sync')
        },
      ),
      { numRuns: 300 },
    )
  })
})

describe('configure helpers return options naming installed engines', () => {
  it('configureForJson: memory, or flat-cache with JSON values when given a folder', () => {
    expect(configureForJson()).toEqual({ engine: 'lru' })
    expect(configureForJson({ folderName: 'api', ttl: '5m' })).toEqual({ folderName: 'api', ttl: '5m', engine: 'flat-cache', serializer: 'json' })
    expect(configureForJson({ folderName: 'api', serializer: 'default' }).serializer).toBe('default')
    expect(configureForJson({ useSql: true })).toEqual({ useSql: true, engine: 'sqlite', serializer: 'json' })
    expect(configureForJson({ preferredEngine: 'node-cache' })).toEqual({ engine: 'node-cache' })
  })

  it('configureForBinary: disk with compression, falling back with a warning', () => {
    const warnings = captureWarnings()
    expect(configureForBinary()).toEqual({ compress: true, engine: 'sqlite' })
    expect(configureForBinary({ compress: false, maxsize: 10 })).toEqual({ compress: false, maxsize: 10, engine: 'sqlite' })
    uninstall('sqlite')
    expect(configureForBinary()).toEqual({ compress: true, engine: 'flat-cache' })
    uninstall('flat-cache', 'lru')
    expect(configureForBinary()).toEqual({ compress: true, engine: 'node-cache' })
    expect(warnings).toEqual([expect.stringMatching(/store binary data on disk.*using 'node-cache'/)])
  })

  it('configureForImages: disk without compression', () => {
    expect(configureForImages()).toEqual({ compress: false, engine: 'sqlite' })
    expect(configureForImages({ engine: 'flat-cache' })).toEqual({ compress: false, engine: 'flat-cache' })
  })

  it('configureForType covers every type, and the options work with the wrappers', () => {
    const engines = Object.fromEntries(RESULT_TYPES.map((t) => [t, configureForType(t).engine]))
    expect(engines).toEqual({ primitive: 'lru', json: 'lru', collection: 'lru', object: 'lru', binary: 'sqlite', image: 'sqlite' })
    expect(configureForType('collection', { folderName: 'sets' }).engine).toBe('flat-cache')
    const square = mcache(configureForType('primitive', { maxsize: 5 }))((x: number) => x * x)
    expect(square(3)).toBe(9)
    expect(square.cacheInfo()).toMatchObject({ engine: 'lru', maxsize: 5 })
    expect(() => configureForType('video' as never)).toThrow(ConfigurationError)
    expect(() => configureForJson({ maxsize: 0 })).toThrow(ConfigurationError)
  })
})

describe('hybridCacheConfig and smartCacheConfig', () => {
  it('hybridCacheConfig resolves both tiers', () => {
    expect(hybridCacheConfig()).toEqual({ sizeThreshold: MIB, small: { engine: 'lru' }, large: { compress: true, engine: 'sqlite' } })
    const custom = hybridCacheConfig({
      ttl: '1h',
      sizeThreshold: 64 * KIB,
      small: { engine: 'node-cache', maxsize: 128 },
      large: { engine: 'flat-cache', compress: false },
    })
    expect(custom).toEqual({
      ttl: '1h',
      sizeThreshold: 64 * KIB,
      small: { engine: 'node-cache', maxsize: 128 },
      large: { compress: false, engine: 'flat-cache' },
    })
    expect(hybridCacheConfig({ compress: false })).toEqual({ compress: false, sizeThreshold: MIB, small: { engine: 'lru' }, large: { engine: 'sqlite' } })
    // Its answer is a valid input: resolving it again changes nothing.
    expect(hybridCacheConfig(custom)).toEqual(custom)
  })

  it('hybridCacheConfig falls back and rejects what it cannot use', () => {
    const warnings = captureWarnings()
    uninstall('sqlite', 'flat-cache')
    expect(hybridCacheConfig()).toMatchObject({ small: { engine: 'lru' }, large: { engine: 'lru' } })
    expect(warnings).toEqual([expect.stringMatching(/keep large results out of memory.*@twat-cache\/sqlite/)])
    expect(() => hybridCacheConfig({ engine: 'lru' })).toThrow(/small: \{ engine \}/)
    expect(() => hybridCacheConfig({ sizeThreshold: -1 })).toThrow(ConfigurationError)
    expect(() => hybridCacheConfig({ large: { policy: 'mru' as never } })).toThrow(ConfigurationError)
  })

  it('smartCacheConfig chooses from a sample and hints', () => {
    expect(smartCacheConfig()).toEqual({ engine: 'lru' })
    expect(smartCacheConfig({ sample: png(50 * KIB), ttl: 1000 })).toEqual({ ttl: 1000, engine: 'sqlite' })
    expect(smartCacheConfig({ sample: 'small' })).toEqual({ engine: 'lru' })
    expect(smartCacheConfig({ accessPattern: 'frequency' })).toEqual({ engine: 'memory', policy: 'lfu' })
    expect(smartCacheConfig({ accessPattern: 'random', persistence: true })).toEqual({ engine: 'sqlite', policy: 'rr' })
    expect(smartCacheConfig({ accessPattern: 'frequency', policy: 'lru' })).toEqual({ engine: 'lru', policy: 'lru' })
    expect(smartCacheConfig({ sample: 1 }, { async: true })).toEqual({ engine: 'lru' })
    uninstall('lru', 'node-cache')
    expect(smartCacheConfig({ sample: 1 }, { async: true })).toEqual({ engine: 'cacheable' })
  })
})
