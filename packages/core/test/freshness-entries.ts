/**
 * Entries written under other options, read back on a persistent or shared engine (the cases a
 * deploy meets: a release adds or removes a stale window on a function whose entries are on disk
 * or in Redis). A bare value is a miss for a function that needs the envelope; an envelope is
 * its value (while fresh) or a miss for a function that does not; never the envelope object.
 * Each engine's `freshness-entries.test.ts` is one call to `describeEntryMixing`.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { type CacheOptions, acache } from '../src/index.js'

let count = 0

export function describeEntryMixing(engine: string, options: () => CacheOptions): void {
  describe(`entries written under other options, on ${engine}`, () => {
    const opened: { close(): unknown }[] = []
    afterEach(async () => {
      await Promise.allSettled(opened.splice(0).map(async (e) => e.close()))
    })
    /** A cached `(id) => label:id` over a fresh namespace per test; `runs` counts its runs. */
    const make = (namespace: string, label: string, extra: CacheOptions = {}) => {
      const state = { runs: 0 }
      const f = acache({ ...options(), namespace, ...extra })(async (id: number) => {
        state.runs++
        return { label, id }
      })
      opened.push(f.engine)
      expect(f.engine.name).toBe(engine)
      return Object.assign(f, { state })
    }
    const namespace = () => `mix-${process.pid}-${Date.now()}-${count++}`

    it('a bare value (written without a stale window, as by an older release) is a miss for a function that needs the envelope', async () => {
      const ns = namespace()
      const plain = make(ns, 'plain', { ttl: 60_000 })
      expect(await plain(1)).toEqual({ label: 'plain', id: 1 })
      const fresh = make(ns, 'fresh', { ttl: 60_000, staleWhileRevalidate: 60_000 })
      expect(await fresh.cachePeek(1)).toBeUndefined()
      expect(await fresh(1)).toEqual({ label: 'fresh', id: 1 })
      expect(await fresh(1)).toEqual({ label: 'fresh', id: 1 })
      expect(fresh.state.runs).toBe(1)
      expect(fresh.cacheInfo()).toMatchObject({ hits: 1, misses: 1, stale: 0 })
    })

    it('an envelope is read by a function without the envelope options as its value, never as the envelope', async () => {
      const ns = namespace()
      const fresh = make(ns, 'fresh', { ttl: 60_000, staleWhileRevalidate: 60_000 })
      expect(await fresh(1)).toEqual({ label: 'fresh', id: 1 })
      const plain = make(ns, 'plain', { ttl: 60_000 })
      expect(await plain.cachePeek(1)).toEqual({ label: 'fresh', id: 1 })
      expect(await plain(1)).toEqual({ label: 'fresh', id: 1 })
      expect(plain.state.runs).toBe(0)
      expect(plain.cacheInfo()).toMatchObject({ hits: 1, misses: 0 })
    })

    it('a stale envelope is a miss for a function without a stale window', async () => {
      const ns = namespace()
      // Fresh for 1 ms, then kept for a minute as stale.
      const fresh = make(ns, 'fresh', { ttl: 1, staleIfError: 60_000 })
      await fresh(1)
      await new Promise((resolve) => setTimeout(resolve, 20))
      const plain = make(ns, 'plain', { ttl: 60_000 })
      expect(await plain.cachePeek(1)).toBeUndefined()
      expect(await plain(1)).toEqual({ label: 'plain', id: 1 })
      expect(plain.state.runs).toBe(1)
    })

    it('an envelope of another format (a later release, after a rollback) is a miss for every function', async () => {
      const ns = namespace()
      const plain = make(ns, 'plain', { ttl: 60_000 })
      await plain(1)
      const engine = plain.engine as unknown as { keys(): Iterable<string> | AsyncIterable<string>; set(key: string, value: unknown, options?: object): unknown }
      const keys: string[] = []
      for await (const key of engine.keys()) keys.push(key)
      expect(keys).toHaveLength(1)
      const now = Date.now()
      await engine.set(keys[0]!, { $twatCache: 2, value: { label: 'future', id: 1 }, createdAt: now, expiresAt: now + 60_000, staleUntil: now + 120_000 }, { ttl: 60_000 })
      expect(await plain.cachePeek(1)).toBeUndefined()
      expect(await plain(1)).toEqual({ label: 'plain', id: 1 })
      const fresh = make(ns, 'fresh', { ttl: 60_000, staleWhileRevalidate: 60_000 })
      await engine.set(keys[0]!, { $twatCache: 2, value: { label: 'future', id: 1 }, createdAt: now, expiresAt: now + 60_000, staleUntil: now + 120_000 }, { ttl: 60_000 })
      expect(await fresh(1)).toEqual({ label: 'fresh', id: 1 })
      expect(plain.state.runs + fresh.state.runs).toBe(3)
    })

    it('an envelope written by this release is read back after a restart (a new engine on the same store)', async () => {
      const ns = namespace()
      const first = make(ns, 'first', { ttl: 60_000, staleWhileRevalidate: 60_000 })
      await first(1)
      await first.engine.close()
      const second = make(ns, 'second', { ttl: 60_000, staleWhileRevalidate: 60_000 })
      expect(await second(1)).toEqual({ label: 'first', id: 1 })
      expect(second.state.runs).toBe(0)
    })
  })
}
