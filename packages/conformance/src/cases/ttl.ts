import type { TestContext } from 'vitest'
import { expect, it } from 'vitest'
import { type Clock, type Harness, MISS, collectKeys } from '../harness.js'

/** Skips (visibly) when the engine has no TTL; else installs the clock before any engine exists. */
async function ttlClock(h: Harness, ctx: TestContext): Promise<Clock> {
  const caps = await h.capabilities()
  ctx.skip(!caps.ttl, 'engine declares no ttl support')
  return h.clock()
}

export function ttlCases(h: Harness): void {
  it('an entry expires after the configured ttl, and is gone from has() and keys()', async (ctx) => {
    const clock = await ttlClock(h, ctx)
    const engine = await h.make({ ttl: clock.unit })
    const k = h.key('cfg')
    await engine.set(k, 'v')
    await clock.advance(clock.unit * 0.4)
    expect(await engine.get(k)).toBe('v')
    await clock.advance(clock.unit)
    expect(await engine.get(k)).toBe(MISS)
    if (engine.has) expect(await engine.has(k)).toBe(false)
    if (engine.keys) expect(await collectKeys(engine)).toEqual([])
  })

  it('an entry set with a per-call ttl expires', async (ctx) => {
    const clock = await ttlClock(h, ctx)
    const engine = await h.make()
    const k = h.key('call')
    await engine.set(k, 0, { ttl: clock.unit })
    await clock.advance(clock.unit * 0.4)
    expect(await engine.get(k)).toBe(0)
    await clock.advance(clock.unit)
    expect(await engine.get(k)).toBe(MISS)
    if (engine.has) expect(await engine.has(k)).toBe(false)
  })

  it('a shorter per-call ttl overrides the configured ttl', async (ctx) => {
    const clock = await ttlClock(h, ctx)
    const engine = await h.make({ ttl: clock.unit * 10 })
    await engine.set(h.key('short'), 1, { ttl: clock.unit })
    await engine.set(h.key('default'), 2)
    await clock.advance(clock.unit * 1.4)
    expect(await engine.get(h.key('short'))).toBe(MISS)
    expect(await engine.get(h.key('default'))).toBe(2)
  })

  it('a longer per-call ttl overrides the configured ttl', async (ctx) => {
    const clock = await ttlClock(h, ctx)
    const engine = await h.make({ ttl: clock.unit })
    await engine.set(h.key('long'), 1, { ttl: clock.unit * 10 })
    await engine.set(h.key('default'), 2)
    await clock.advance(clock.unit * 1.4)
    expect(await engine.get(h.key('long'))).toBe(1)
    expect(await engine.get(h.key('default'))).toBe(MISS)
  })

  it('overwriting an entry restarts its ttl', async (ctx) => {
    const clock = await ttlClock(h, ctx)
    const engine = await h.make({ ttl: clock.unit })
    const k = h.key('renew')
    await engine.set(k, 'old')
    await clock.advance(clock.unit * 0.7)
    await engine.set(k, 'new')
    await clock.advance(clock.unit * 0.7)
    expect(await engine.get(k)).toBe('new')
  })

  it('entries without a ttl do not expire', async (ctx) => {
    const clock = await ttlClock(h, ctx)
    const engine = await h.make()
    await engine.set(h.key('forever'), null)
    await engine.set(h.key('brief'), 1, { ttl: clock.unit })
    await clock.advance(clock.long)
    expect(await engine.get(h.key('forever'))).toBe(null)
    expect(await engine.get(h.key('brief'))).toBe(MISS)
  })
}
