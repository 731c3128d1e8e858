import type { Engine, StoredEntry } from '@twat-cache/core'
import { expect, it } from 'vitest'
import { type Harness, MISS } from '../harness.js'

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * The optional methods behind `l1` and `lock` (ARCHITECTURE.md §14): an engine that declares
 * `coherence` or `lease` must keep what the tier and the lock step rely on.
 */
export function sharedMethodCases(h: Harness): void {
  it('coherence: declared methods exist, and readEntry returns the value with its expiry', async (ctx) => {
    const caps = await h.capabilities()
    ctx.skip(caps.coherence === undefined, 'engine does not declare capabilities.coherence')
    const engine = await h.make({ ttl: 60_000 })
    expect(typeof engine.readEntry).toBe('function')
    expect(typeof (caps.coherence === 'push' ? engine.watch : engine.version)).toBe('function')
    expect(await engine.readEntry!(h.key('absent'))).toBe(MISS)
    const before = Date.now()
    await engine.set(h.key('k'), { n: 0 })
    const entry = (await engine.readEntry!(h.key('k'))) as StoredEntry
    expect(entry.value).toEqual({ n: 0 })
    // A tier keeps a promoted entry until expiresAt: it must not be later than the store's expiry.
    expect(entry.expiresAt).toBeGreaterThan(before)
    expect(entry.expiresAt).toBeLessThanOrEqual(Date.now() + 60_000)
    const forever = await h.make()
    await forever.set(h.key('forever'), 1)
    expect(((await forever.readEntry!(h.key('forever'))) as StoredEntry).expiresAt).toBeUndefined()
  })

  it("coherence 'push': a write by another engine instance is reported with its key", async (ctx) => {
    const caps = await h.capabilities()
    ctx.skip(caps.coherence !== 'push', "engine does not declare capabilities.coherence 'push'")
    const watcher = await h.make()
    const writer = await h.make()
    const heard: (string | undefined)[] = []
    const watch = watcher.watch!((key) => heard.push(key))
    try {
      for (let i = 0; i < 200 && !watch.live; i++) await sleep(10)
      expect(watch.live).toBe(true)
      await writer.set(h.key('changed'), 1)
      for (let i = 0; i < 100 && !heard.includes(h.key('changed')); i++) await sleep(10)
      expect(heard).toContain(h.key('changed'))
    } finally {
      watch.stop()
    }
    expect(watch.live).toBe(false)
  })

  it("coherence 'version': version() is a number that stays put while nothing changes", async (ctx) => {
    const caps = await h.capabilities()
    ctx.skip(caps.coherence !== 'version', "engine does not declare capabilities.coherence 'version'")
    const engine = await h.make()
    const first = engine.version!()
    expect(Number.isFinite(first)).toBe(true)
    expect(engine.version!()).toBe(first)
  })

  it('lease: one holder at a time; released only with its token; taken again once expired', async (ctx) => {
    const caps = await h.capabilities()
    ctx.skip(!caps.lease, 'engine does not declare capabilities.lease')
    const a: Engine = await h.make()
    const b: Engine = await h.make()
    const key = h.key('leased')
    const token = await a.acquire!(key, 60_000)
    expect(typeof token).toBe('string')
    expect(await b.acquire!(key, 60_000)).toBeUndefined()
    await b.release!(key, 'not-the-token')
    expect(await b.acquire!(key, 60_000)).toBeUndefined()
    await a.release!(key, token!)
    const again = await b.acquire!(key, 50)
    expect(typeof again).toBe('string')
    expect(again).not.toBe(token)
    // A holder that never releases: its lease ends by itself.
    await sleep(120)
    expect(typeof (await a.acquire!(key, 60_000))).toBe('string')
    // The lease is not an entry.
    expect(await a.get(key)).toBe(MISS)
  })
}
