import { type Engine, EngineClosedError, type TagState } from '@twat-cache/core'
import { expect, it } from 'vitest'
import { type Harness, isThenable } from '../harness.js'

/** Long enough that no record expires during a case. */
const KEEP = 3_600_000

/** The engine's tag methods, called as core calls them (sync engines answer inline). */
function tagsOf(engine: Engine) {
  const e = engine as Engine & { readTags(t: readonly string[]): TagState | Promise<TagState>; markTags(t: readonly string[], k: string, at: number): unknown; keepTags(l: number): unknown }
  return {
    read: async (tags: readonly string[]) => e.readTags(tags),
    mark: async (tags: readonly string[], kind: 'invalidate' | 'expire', at: number) => e.markTags(tags, kind, at),
    keep: async (lifetime: number) => e.keepTags(lifetime),
  }
}

/**
 * Tag state (ARCHITECTURE.md §13-§14): engines declaring `capabilities.tags` keep it
 * themselves, store-wide. Engines that do not are served by core's in-process registry, and
 * these cases are skipped for them with that reason.
 */
export function tagCases(h: Harness): void {
  const skipWithout = async (ctx: { skip: (condition: boolean, note: string) => void }) => {
    const caps = await h.capabilities()
    ctx.skip(caps.tags !== true, 'capabilities.tags is not set: core keeps tag state in its in-process registry, so invalidations reach this process only')
  }

  it('tag methods: present when declared, sync or async as the engine', async (ctx) => {
    await skipWithout(ctx)
    const engine = await h.make()
    for (const name of ['readTags', 'markTags', 'keepTags'] as const) expect(typeof engine[name], name).toBe('function')
    const result = engine.readTags!([h.key('t')])
    expect(isThenable(result)).toBe(engine.capabilities.mode === 'async')
    await result
  })

  it('readTags of tags never marked reads zeros', async (ctx) => {
    await skipWithout(ctx)
    const tags = tagsOf(await h.make())
    expect(await tags.read([h.key('never'), h.key('nor')])).toEqual({ invalidatedAt: 0, expiredAt: 0 })
  })

  it('readTags returns the latest invalidation and expiry among the tags; an older mark never lowers them', async (ctx) => {
    await skipWithout(ctx)
    const tags = tagsOf(await h.make())
    const [a, b, c] = [h.key('a'), h.key('b'), h.key('c')]
    const base = Date.now()
    await tags.keep(KEEP)
    await tags.mark([a], 'invalidate', base + 10)
    await tags.mark([b, c], 'invalidate', base + 20)
    await tags.mark([b], 'expire', base + 15)
    await tags.mark([a, b], 'invalidate', base + 5)
    expect(await tags.read([a, b, h.key('none')])).toEqual({ invalidatedAt: base + 20, expiredAt: base + 15 })
    expect(await tags.read([a])).toEqual({ invalidatedAt: base + 10, expiredAt: 0 })
    expect(await tags.read([c])).toEqual({ invalidatedAt: base + 20, expiredAt: 0 })
  })

  it('tag state is store-wide: other namespaces (and other instances on the store) see the marks', async (ctx) => {
    await skipWithout(ctx)
    const first = tagsOf(await h.make())
    const t = h.key('shared')
    const at = Date.now()
    await first.keep(KEEP)
    await first.mark([t], 'invalidate', at)
    const other = tagsOf(await h.make({ namespace: `${h.namespace}-other` }))
    expect((await other.read([t])).invalidatedAt).toBe(at)
  })

  it('a record is kept at least as long as keepTags asked', async (ctx) => {
    await skipWithout(ctx)
    // Installed before the engine reads the clock; real sleeps for engines with native expiry.
    const clock = await h.clock()
    const tags = tagsOf(await h.make())
    const t = h.key('kept')
    await tags.keep(clock.unit * 20)
    const at = Date.now()
    await tags.mark([t], 'invalidate', at)
    await clock.advance(clock.unit * 3)
    // Dropped early, the mark would be lost while entries carrying the tag still live.
    expect((await tags.read([t])).invalidatedAt).toBe(at)
  })

  it('tags are compared whole, whatever characters they hold', async (ctx) => {
    await skipWithout(ctx)
    const tags = tagsOf(await h.make())
    const long = 'x'.repeat(250)
    const names = [':', '{x}', '*', 'ü 👍', `${long}-1`, `${long}-2`, "'; --", '%3A'].map((n) => h.key(n))
    await tags.keep(KEEP)
    const base = Date.now()
    for (const [i, name] of names.entries()) await tags.mark([name], 'invalidate', base + i + 1)
    for (const [i, name] of names.entries()) expect((await tags.read([name])).invalidatedAt, name).toBe(base + i + 1)
  })

  it('after close(), tag methods fail with EngineClosedError', async (ctx) => {
    await skipWithout(ctx)
    const engine = await h.make()
    await h.close(engine)
    const calls = [() => engine.readTags!(['t']), () => engine.markTags!(['t'], 'invalidate', 1), () => engine.keepTags!(1)]
    for (const call of calls) {
      let error: unknown
      try {
        await call()
      } catch (caught) {
        error = caught
      }
      expect(error).toBeInstanceOf(EngineClosedError)
    }
  })
}
