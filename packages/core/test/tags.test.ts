import { describe, expect, it, vi } from 'vitest'
import {
  CacheValueError,
  ConfigurationError,
  EngineClosedError,
  MEMORY_CAPABILITIES,
  acache,
  createMemoryEngine,
  createTagRegistry,
  expireTags,
  invalidateTags,
  mcache,
  notModified,
  registerEngine,
  unregisterEngine,
} from '../src/index.js'
import { resolveTags } from '../src/wrap/tags-resolve.js'
import { captureLogs, registerAsyncMemory, resetLogsAfterEach } from './wrappers-support.js'

resetLogsAfterEach()

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
    expect(() => resolveTags(async () => ['a'], 1, [])).toThrow(/got a promise \(it must be synchronous\)/)
    expect(() => resolveTags(() => null, 1, [])).toThrow(/got null/)
    expect(() => resolveTags(() => [7], 1, [])).toThrow(/index 0 \(expected a non-empty string, got 7\)/)
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
    expect(f.cacheInfo()).toMatchObject({ errors: 2, size: 0 })
  })

  it('a tags function that throws, or returns a non-array: the value is returned (sync and async), not cached, counted', async () => {
    const logs = captureLogs()
    let runs = 0
    const throwing = mcache({ namespace: uid(), tags: () => {
      throw new Error('no tags today')
    } })((n: number) => n + 0 * ++runs)
    expect(throwing(3)).toBe(3)
    expect(throwing(3)).toBe(3)
    expect(runs).toBe(2)
    expect(throwing.cacheInfo()).toMatchObject({ errors: 2, size: 0 })
    const notArray = acache({ namespace: uid(), tags: (() => 'user:1') as never })(async (n: number) => n + 0 * ++runs)
    expect(await notArray(4)).toBe(4)
    expect(await notArray(4)).toBe(4)
    expect(runs).toBe(4)
    expect(notArray.cacheInfo().errors).toBe(2)
    expect(logs.warnings.some((w) => w.includes('the tags function threw (no tags today)'))).toBe(true)
    expect(logs.warnings.some((w) => w.includes('must return an array of tags, got string'))).toBe(true)
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

  it('expireTags with staleWhileRevalidate serves the stale value once, then the refreshed one', async () => {
    const t = uid()
    let runs = 0
    const f = acache({ namespace: uid(), tags: [t], ttl: '1h', staleWhileRevalidate: '1h' })(async () => ++runs)
    expect(await f()).toBe(1)
    await expireTags([t])
    expect(await f()).toBe(1)
    await vi.waitFor(() => expect(runs).toBe(2))
    expect(await f()).toBe(2)
    expect(f.cacheInfo()).toMatchObject({ stale: 1, refreshes: 1 })
  })

  it('expireTags without any stale window is a miss: a failing run is not answered with the old value', async () => {
    const t = uid()
    let runs = 0
    const f = mcache({ namespace: uid(), tags: [t], ttl: '1h' })(() => {
      if (++runs > 1) throw new Error('down')
      return runs
    })
    expect(f()).toBe(1)
    await expireTags([t])
    expect(() => f()).toThrow('down')
    expect(f.cacheInfo().stale).toBe(0)
  })

  it('expireTags on entries without a ttl (no stale window): a miss, so a failing run fails and no stale value is served', async () => {
    const t = uid()
    let runs = 0
    let checks = 0
    const sync = mcache({ namespace: uid(), tags: [t] })(() => {
      if (++runs > 1) throw new Error('down')
      return runs
    })
    const revalidated = acache({ namespace: uid(), tags: [t], revalidate: async () => (checks++, notModified) })(async () => 10 + ++runs)
    expect(sync()).toBe(1)
    const first = await revalidated()
    await expireTags([t])
    expect(() => sync()).toThrow('down')
    expect(sync.cacheInfo()).toMatchObject({ stale: 0, refreshes: 0, misses: 2 })
    // revalidate applies to entries still stored: an expired entry without a window is gone.
    expect(await revalidated()).toBeGreaterThan(first)
    expect(checks).toBe(0)
    expect(revalidated.cacheInfo()).toMatchObject({ misses: 2, refreshes: 0 })
  })

  it('expireTags: the stale window starts at the mark (staleWhileRevalidate past it is a miss)', async () => {
    vi.useFakeTimers({ now: 1_000_000, toFake: ['Date'] })
    try {
      const t = uid()
      let runs = 0
      const f = mcache({ namespace: uid(), tags: [t], ttl: '1h', staleWhileRevalidate: 1000 })(() => ++runs)
      expect(f()).toBe(1)
      vi.setSystemTime(1_000_010)
      await expireTags([t])
      vi.setSystemTime(1_002_000) // 2 s after the mark, the 1 s window is over, the ttl is not
      expect(f()).toBe(2)
      expect(f.cacheInfo().stale).toBe(0)
    } finally {
      vi.useRealTimers()
    }
  })

  it('same millisecond, frozen clock: an entry whose run started in the mark\'s millisecond is never served', async () => {
    const T = 2_000_000
    vi.useFakeTimers({ now: T, toFake: ['Date'] })
    try {
      const t = uid()
      let runs = 0
      const f = mcache({ namespace: uid(), tags: [t] })(() => ++runs)
      expect(f()).toBe(1)
      await invalidateTags([t]) // marked at T, the entry's own millisecond: dropped
      expect(f()).toBe(2)
      // Created at T too, and the clock cannot be waited for: conservatively a miss again.
      expect(f()).toBe(3)
      vi.setSystemTime(T + 1)
      expect(f()).toBe(4) // still created at T
      expect(f()).toBe(4) // created at T + 1: after the mark, kept
    } finally {
      vi.useRealTimers()
    }
  })

  it('same millisecond, moving clock: the miss after a mark waits for the next millisecond, so the run is kept', async () => {
    let now = 3_000_000
    let readsLeft = Number.POSITIVE_INFINITY
    // An injected clock: it stays put until `readsLeft` more reads, then moves on by 1 ms.
    const spy = vi.spyOn(Date, 'now').mockImplementation(() => {
      if (--readsLeft <= 0) {
        readsLeft = Number.POSITIVE_INFINITY
        now++
      }
      return now
    })
    try {
      const t = uid()
      let runs = 0
      const sync = mcache({ namespace: uid(), tags: [t] })(() => ++runs)
      const async = acache({ namespace: uid(), tags: [t] })(async () => ++runs)
      expect(sync()).toBe(1)
      expect(await async()).toBe(2)
      await invalidateTags([t]) // both entries were created in the mark's millisecond
      readsLeft = 50
      const mark = now
      expect(sync()).toBe(3) // dropped; the miss waited for the next millisecond, then ran
      expect(now).toBe(mark + 1)
      expect(sync()).toBe(3) // its entry is newer than the mark
      expect(await async()).toBe(4)
      expect(await async()).toBe(4)
      await invalidateTags([t]) // again in the entries' millisecond, on the async engine this time
      readsLeft = 50
      expect(await async()).toBe(5)
      expect(now).toBe(mark + 2)
      expect(await async()).toBe(5)
    } finally {
      spy.mockRestore()
    }
  })

  it('a run that started before invalidateTags and finished after it is not kept', async () => {
    const t = uid()
    let runs = 0
    let release!: () => void
    const f = acache({ namespace: uid(), tags: [t] })(async () => {
      const n = ++runs
      if (n === 1) await new Promise<void>((resolve) => (release = resolve))
      return n
    })
    const first = f()
    await vi.waitFor(() => expect(runs).toBe(1))
    await invalidateTags([t])
    release()
    expect(await first).toBe(1) // the caller still gets it
    expect(await f()).toBe(2) // but it was not served to the next call
    expect(await f()).toBe(2)
  })

  it('revalidate answering notModified after expireTags: kept, and fresh again (no refresh on every call)', async () => {
    const t = uid()
    let runs = 0
    let checks = 0
    const f = acache({ namespace: uid(), tags: [t], ttl: '1h', staleWhileRevalidate: '1h', revalidate: () => (checks++, notModified) })(async () => ++runs)
    expect(await f()).toBe(1)
    await expireTags([t])
    expect(await f()).toBe(1)
    await vi.waitFor(() => expect(checks).toBe(1))
    await vi.waitFor(async () => expect(await f.cachePeek()).toBe(1))
    const refreshes = f.cacheInfo().refreshes
    for (let i = 0; i < 3; i++) expect(await f()).toBe(1)
    expect(f.cacheInfo().refreshes).toBe(refreshes)
    expect(runs).toBe(1)
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
    for (const tags of [null, undefined, new Set(['a']), { 0: 'a' }, [1], ['x'.repeat(257)], [undefined]]) {
      await expect(invalidateTags(tags as never), String(tags)).rejects.toThrow(ConfigurationError)
    }
    await expect(expireTags(['x'.repeat(256)])).resolves.toBeUndefined()
  })

  it('a bare string is an error that says to wrap it in an array (it is never split into characters)', async () => {
    await expect(invalidateTags('user:7' as never)).rejects.toThrow(`wrap it in an array, invalidateTags(["user:7"])`)
    await expect(expireTags('user:7' as never)).rejects.toThrow(`expireTags(["user:7"])`)
  })

  it('bad options are a ConfigurationError, never a call that quietly marks every engine (or a default one)', async () => {
    for (const options of ['memory', null, 5, { engin: 'sqlite' }, { engine: 5 }, { engine: null }, { engine: { folderName: 'x' } }, { engine: ['memory'] }]) {
      const error = await invalidateTags(['a'], options as never).catch((e: unknown) => e)
      expect(error, JSON.stringify(options)).toBeInstanceOf(ConfigurationError)
      expect((error as Error).message).toMatch(/pass \{ engine \}/)
    }
    // Bad tags are reported before the options are looked at, and an empty list still checks them.
    await expect(invalidateTags([], { engin: 'x' } as never)).rejects.toThrow(/unknown option\(s\) 'engin'/)
  })

  it('options.engine as a bare name is short for { engine: name }', async () => {
    const t = uid()
    let runs = 0
    const f = mcache({ namespace: uid(), tags: [t] })(() => ++runs)
    f()
    await invalidateTags([t], { engine: 'memory' })
    expect(f()).toBe(2)
  })

  it('an explicit engine that was closed rejects with EngineClosedError (the mark would be lost); tracked closed engines are skipped', async () => {
    const registry = createTagRegistry()
    let open = true
    registerEngine(
      {
        name: 'tagged-memory',
        capabilities: { ...MEMORY_CAPABILITIES, tags: true },
        priority: -1,
        create: (config) => {
          const inner = createMemoryEngine(config)
          const guard = () => {
            if (!open) throw new EngineClosedError('tagged-memory')
          }
          return Object.assign(inner, {
            name: 'tagged-memory',
            capabilities: { ...MEMORY_CAPABILITIES, tags: true },
            readTags: (tags: readonly string[]) => (guard(), registry.readTags(tags)),
            markTags: (tags: readonly string[], kind: 'invalidate' | 'expire', at: number) => (guard(), registry.markTags(tags, kind, at)),
            keepTags: (lifetime: number) => (guard(), registry.keepTags(lifetime)),
          }) as never
        },
      },
      { replace: true },
    )
    try {
      const f = mcache({ engine: 'tagged-memory', namespace: uid(), tags: ['a'] })(() => 1)
      f()
      open = false
      f.engine.close()
      await expect(invalidateTags(['a'])).resolves.toBeUndefined()
      await expect(invalidateTags(['a'], { engine: f.engine })).rejects.toBeInstanceOf(EngineClosedError)
    } finally {
      unregisterEngine('tagged-memory')
    }
  })

  it('a note of how long tagged entries live that the engine refused is sent again by the next write', async () => {
    const registry = createTagRegistry()
    const notes: number[] = []
    let refuse = true
    registerEngine(
      {
        name: 'refusing-tags',
        capabilities: { ...MEMORY_CAPABILITIES, tags: true },
        priority: -1,
        create: (config) =>
          Object.assign(createMemoryEngine(config), {
            name: 'refusing-tags',
            capabilities: { ...MEMORY_CAPABILITIES, tags: true },
            readTags: (tags: readonly string[]) => registry.readTags(tags),
            markTags: (tags: readonly string[], kind: 'invalidate' | 'expire', at: number) => registry.markTags(tags, kind, at),
            keepTags(lifetime: number) {
              notes.push(lifetime)
              if (refuse) throw new Error('store busy')
              registry.keepTags(lifetime)
            },
          }) as never,
      },
      { replace: true },
    )
    try {
      captureLogs()
      let runs = 0
      const f = mcache({ engine: 'refusing-tags', namespace: uid(), tags: ['a'], ttl: '1h' })((n: number) => n + 0 * ++runs)
      expect(() => f(1)).toThrow('store busy') // the note failed, so did this write (an engine error is the caller's)
      refuse = false
      f(1)
      f(2)
      expect(notes).toHaveLength(2)
      expect(notes[1]).toBeGreaterThanOrEqual(3_600_000)
    } finally {
      unregisterEngine('refusing-tags')
    }
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

  it('moves its version on every mark (sync hits keep the last answer only while it holds)', () => {
    const r = createTagRegistry()
    const v0 = r.version
    r.markTags(['a'], 'invalidate', 10)
    expect(r.version).toBeGreaterThan(v0)
    const v1 = r.version
    r.readTags(['a'])
    r.keepTags(1000)
    expect(r.version).toBe(v1)
    r.markTags(['a'], 'expire', 10)
    expect(r.version).toBeGreaterThan(v1)
  })

  it('a sync hit with static tags sees a mark made after the last hit', async () => {
    const t = uid()
    let runs = 0
    const f = mcache({ namespace: uid(), tags: [t, `${t}:b`, `${t}:c`] })(() => ++runs)
    expect(f()).toBe(1)
    expect(f()).toBe(1) // the registry's answer is now kept
    await invalidateTags([`${t}:c`])
    expect(f()).toBe(2)
    expect(f()).toBe(2)
    await expireTags([`${t}:b`]) // no stale window: a miss
    expect(f()).toBe(3)
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
