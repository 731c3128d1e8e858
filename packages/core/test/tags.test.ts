import { describe, expect, it, vi } from 'vitest'
import { optionIssues } from '../src/config.js'
import {
  CacheValueError,
  ConfigurationError,
  acache,
  createMemoryEngine,
  createTagRegistry,
  expireTags,
  invalidateTags,
  mcache,
} from '../src/index.js'
import { resolveTags } from '../src/wrap/tags-resolve.js'
import { captureLogs, registerAsyncMemory, resetLogsAfterEach } from './wrappers-support.js'

resetLogsAfterEach()

// The freshness stage (stale serving) lives on another branch; its stale case runs once merged.
const freshnessAvailable = optionIssues({ staleWhileRevalidate: 1000 }).length === 0
const uid = () => Math.random().toString(36).slice(2, 10)

describe('the tags option', () => {
  it('rejects bad static tags with a ConfigurationError naming each', () => {
    for (const tags of [[''], ['x'.repeat(257)], [1], 'user:1', [null]]) {
      expect(() => mcache({ tags: tags as never })).toThrow(ConfigurationError)
    }
    expect(() => mcache({ tags: ['ok', ''] })).toThrow(/tags\.1: expected a non-empty string/)
    expect(() => mcache({ tags: ['x'.repeat(256)], namespace: uid() })).not.toThrow()
  })

  it('resolveTags: static, function, and bad function results', () => {
    expect(resolveTags(undefined, 1, [])).toBeUndefined()
    expect(resolveTags(['a'], 1, [])).toEqual(['a'])
    expect(resolveTags((v: number, a: string) => [`v:${v}`, a], 2, ['x'])).toEqual(['v:2', 'x'])
    expect(() => resolveTags(() => 'a', 1, [])).toThrow(CacheValueError)
    expect(() => resolveTags(() => [''], 1, [])).toThrow(/index 0/)
    expect(() => resolveTags(() => ['y'.repeat(300)], 1, [])).toThrow(CacheValueError)
    expect(() => resolveTags(() => {
      throw new Error('boom')
    }, 1, [])).toThrow(/threw \(boom\)/)
  })

  it('a tags function that fails: the value is returned, not cached, and the error is logged', () => {
    const logs = captureLogs()
    let runs = 0
    const f = mcache({ namespace: uid(), tags: () => [''] })((n: number) => {
      runs++
      return n * 2
    })
    expect(f(2)).toBe(4)
    expect(f(2)).toBe(4)
    expect(runs).toBe(2)
    expect(logs.warnings.some((w) => w.includes('tags function returned a bad tag'))).toBe(true)
  })
})

describe('invalidateTags and expireTags on process-local engines', () => {
  it('invalidate recomputes exactly the entries carrying a tag', async () => {
    const t = uid()
    const runs: number[] = []
    const user = mcache({ namespace: uid(), tags: (_v: unknown, id: number) => [`${t}:user:${id}`, `${t}:all`] })((id: number) => {
      runs.push(id)
      return { id }
    })
    for (const id of [1, 2, 3]) user(id)
    for (const id of [1, 2, 3]) user(id)
    expect(runs).toEqual([1, 2, 3])
    await invalidateTags([`${t}:user:2`])
    for (const id of [1, 2, 3]) expect(user(id)).toEqual({ id })
    expect(runs).toEqual([1, 2, 3, 2])
    await invalidateTags([`${t}:all`])
    for (const id of [1, 2, 3]) user(id)
    expect(runs).toEqual([1, 2, 3, 2, 1, 2, 3])
    // Entries written after the mark are kept.
    for (const id of [1, 2, 3]) user(id)
    expect(runs).toHaveLength(7)
  })

  it('static tags on an async engine; other tags and untagged functions are untouched', async () => {
    registerAsyncMemory()
    const t = uid()
    let tagged = 0
    let other = 0
    let plain = 0
    const a = acache({ engine: 'async-memory', namespace: uid(), tags: [`${t}:a`] })(async (n: number) => ++tagged + n * 0)
    const b = acache({ engine: 'async-memory', namespace: uid(), tags: [`${t}:b`] })(async (n: number) => ++other + n * 0)
    const c = acache({ engine: 'async-memory', namespace: uid() })(async (n: number) => ++plain + n * 0)
    await Promise.all([a(1), b(1), c(1)])
    await invalidateTags([`${t}:a`])
    expect(await a(1)).toBe(2)
    expect(await b(1)).toBe(1)
    expect(await c(1)).toBe(1)
  })

  it('expireTags without a stale window: the entries are recomputed', async () => {
    const t = uid()
    let runs = 0
    const f = mcache({ namespace: uid(), tags: [t], ttl: '1h' })(() => ++runs)
    expect(f()).toBe(1)
    expect(f()).toBe(1)
    await expireTags([t])
    expect(f()).toBe(2)
    expect(f()).toBe(2)
  })

  it.skipIf(!freshnessAvailable)('expireTags with staleWhileRevalidate serves the stale value once, then the refreshed one (needs the freshness stage)', async () => {
    const t = uid()
    let runs = 0
    const f = acache({ namespace: uid(), tags: [t], ttl: '1h', staleWhileRevalidate: '1h' } as never)(async () => ++runs)
    expect(await f()).toBe(1)
    await expireTags([t])
    expect(await f()).toBe(1)
    await vi.waitFor(() => expect(runs).toBe(2))
    expect(await f()).toBe(2)
  })

  it('an explicit engine: only that engine (here, the in-process registry) is marked', async () => {
    const t = uid()
    let runs = 0
    const f = mcache({ namespace: uid(), tags: [t] })(() => ++runs)
    f()
    await invalidateTags([t], { engine: createMemoryEngine() })
    expect(f()).toBe(2)
  })

  it('rejects bad tags in the call', async () => {
    await expect(invalidateTags('x' as never)).rejects.toThrow(ConfigurationError)
    await expect(expireTags(['ok', ''])).rejects.toThrow(/tags\.1/)
    await expect(invalidateTags([])).resolves.toBeUndefined()
  })
})

describe('the in-process tag registry', () => {
  it('reads the latest marks among the tags', () => {
    const r = createTagRegistry()
    expect(r.readTags(['a'])).toEqual({ invalidatedAt: 0, expiredAt: 0 })
    r.markTags(['a'], 'invalidate', 10)
    r.markTags(['b'], 'invalidate', 20)
    r.markTags(['b'], 'expire', 15)
    r.markTags(['a'], 'invalidate', 5)
    expect(r.readTags(['a', 'b', 'c'])).toEqual({ invalidatedAt: 20, expiredAt: 15 })
    expect(r.readTags(['a'])).toEqual({ invalidatedAt: 10, expiredAt: 0 })
  })

  it('is bounded: records outlive the longest entry lifetime, then are swept', () => {
    let now = 0
    const r = createTagRegistry(() => now)
    r.keepTags(1000)
    for (let i = 0; i < 1023; i++) r.markTags([`t${i}`], 'invalidate', now)
    expect(r.size).toBe(1023)
    now = 1001
    r.markTags(['fresh'], 'invalidate', now)
    expect(r.size).toBe(1)
    expect(r.readTags(['fresh']).invalidatedAt).toBe(1001)
  })

  it('keeps records forever once an entry without expiry was tagged', () => {
    let now = 0
    const r = createTagRegistry(() => now)
    r.keepTags(Number.POSITIVE_INFINITY)
    for (let i = 0; i < 1024; i++) r.markTags([`t${i}`], 'invalidate', now)
    now = 10 ** 12
    r.markTags(['x'], 'invalidate', now)
    expect(r.size).toBe(1025)
  })
})
