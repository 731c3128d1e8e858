/** Bad options of the selection helpers: one ConfigurationError naming every bad field. */
import { describe, expect, it } from 'vitest'
import { ConfigurationError } from '../src/index.js'
import { hybridCacheConfig, smartCacheConfig } from '../src/selection/configure.js'
import { hybridCache } from '../src/selection/hybrid-cache.js'
import { getTypeBasedEngine, selectEngineForData } from '../src/selection/select.js'
import { smartCache } from '../src/selection/smart-cache.js'

function issuesOf(run: () => unknown): readonly string[] {
  try {
    run()
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigurationError)
    return (error as ConfigurationError).issues
  }
  throw new Error('expected a ConfigurationError')
}

describe('selection hints are checked', () => {
  const bad = { persistence: 'yes', accessPattern: 'often', concurrency: 'cluster', maxsize: -1 } as never
  const fields = [/^persistence: .*true or false.*"yes"/, /^accessPattern: expected one of read_heavy, .*random, got "often"/, /^concurrency: expected one of none, thread, process, distributed, got "cluster"/, /^maxsize/]

  it('smartCache, smartCacheConfig: one error naming each bad field', () => {
    for (const run of [() => smartCache(bad), () => smartCacheConfig(bad)]) {
      const issues = issuesOf(run)
      expect(issues).toHaveLength(4)
      fields.forEach((field, i) => expect(issues[i]).toMatch(field))
    }
  })

  it('selectEngineForData: the hints and its config together', () => {
    const issues = issuesOf(() => selectEngineForData({ persistence: 'yes', accessPattern: 'often', concurrency: 'cluster', async: 1, config: { maxsize: -1 } } as never))
    expect(issues).toHaveLength(5)
    expect(issues.join('\n')).toMatch(/async: expected true or false, got 1/)
    // A key of Object.prototype is no access pattern.
    expect(issuesOf(() => selectEngineForData({ accessPattern: 'toString' } as never))).toHaveLength(1)
  })

  it('non-objects are a ConfigurationError, never a TypeError', () => {
    for (const input of [null, 5, 'x', []]) {
      expect(() => selectEngineForData(input as never)).toThrow(ConfigurationError)
      expect(() => smartCacheConfig(input as never)).toThrow(ConfigurationError)
      expect(() => getTypeBasedEngine(1, input as never)).toThrow(ConfigurationError)
    }
  })
})

describe('hybridCache options', () => {
  it('sizeThreshold: 0 sends everything to disk; negative, NaN, Infinity and strings are refused', () => {
    expect(hybridCacheConfig({ sizeThreshold: 0 }).sizeThreshold).toBe(0)
    for (const value of [-1, Number.NaN, Number.POSITIVE_INFINITY, '1000', null]) {
      expect(issuesOf(() => hybridCache({ sizeThreshold: value as never }))).toEqual([expect.stringMatching(/^sizeThreshold: expected a finite number of bytes ≥ 0/)])
    }
    expect(issuesOf(() => hybridCache({ sizeThreshold: '1000' as never }))[0]).toMatch(/got "1000"/)
  })

  it('one error naming every bad field, the tiers included', () => {
    const issues = issuesOf(() => hybridCache({ sizeThreshold: Number.NaN, engine: 'lru', ttl: 'soon' as never, small: { maxsize: -1 }, large: { compress: 'yes' as never } }))
    expect(issues.join('\n')).toMatch(/sizeThreshold/)
    expect(issues.join('\n')).toMatch(/one engine per tier/)
    expect(issues.join('\n')).toMatch(/ttl/)
    expect(issues.join('\n')).toMatch(/maxsize/)
    expect(issues.join('\n')).toMatch(/compress/)
    expect(issues.filter((i) => /ttl/.test(i))).toHaveLength(1) // shared options reported once
  })
})

describe('estimateBytes never throws', () => {
  it('on options that are not an object, or a limit that is no number', async () => {
    const { estimateBytes } = await import('../src/selection/estimate-size.js')
    for (const options of [null, 5, 'x']) expect(estimateBytes('abc', options as never)).toBe(3)
    for (const limit of [Number.NaN, '10']) expect(estimateBytes([1, 2, 3], { limit: limit as never })).toBe(64)
    // At or past the limit at once: an answer of at least the limit, as documented.
    for (const limit of [-1, 0]) expect(estimateBytes([1, 2, 3], { limit })).toBeGreaterThanOrEqual(limit)
  })
})
