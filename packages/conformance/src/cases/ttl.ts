import { ConfigurationError } from '@twat-cache/core'
import type { TestContext } from 'vitest'
import { expect, it } from 'vitest'
import { type Clock, type Harness, MISS, collectKeys, failure } from '../harness.js'

/** Per-call ttls that are no number of milliseconds: a caller that skipped the config (`'5m'`) or did bad arithmetic. */
const BAD_TTLS: Record<string, unknown> = { NaN: Number.NaN, "'5m'": '5m', "'5000' (a numeric string)": '5000' }

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

  it.for(Object.keys(BAD_TTLS))('a per-call ttl of %s fails with ConfigurationError naming it, and stores nothing', async (label) => {
    const engine = await h.make()
    const kept = h.key('kept')
    const fresh = h.key('fresh')
    await engine.set(kept, 'old')
    for (const key of [kept, fresh]) {
      const error = await failure(engine, () => engine.set(key, 'new', { ttl: BAD_TTLS[label] as never }))
      expect(error, `set(key, value, { ttl: ${label} })`).toBeInstanceOf(ConfigurationError)
      // One message for every engine (core's checkSetTtl): it names the engine, the option and the value.
      expect((error as ConfigurationError).message).toBe(
        `${engine.name} engine: set's ttl must be a number of milliseconds (0 or less: not stored), got ${String(BAD_TTLS[label])}`,
      )
    }
    expect(await engine.get(kept)).toBe('old')
    expect(await engine.get(fresh)).toBe(MISS)
    if (engine.has) expect(await engine.has(fresh)).toBe(false)
  })

  it.for([0, -1])('a per-call ttl of %s stores nothing and drops the older entry, without error', async (ttl, ctx) => {
    await ttlClock(h, ctx)
    const engine = await h.make()
    const old = h.key('old')
    await engine.set(old, 'old')
    await engine.set(old, 'new', { ttl })
    await engine.set(h.key('fresh'), 'new', { ttl })
    expect(await engine.get(old)).toBe(MISS)
    expect(await engine.get(h.key('fresh'))).toBe(MISS)
    if (engine.has) expect(await engine.has(old)).toBe(false)
  })

  it('a per-call ttl of Infinity never expires, over a configured ttl', async (ctx) => {
    const clock = await ttlClock(h, ctx)
    const engine = await h.make({ ttl: clock.unit })
    await engine.set(h.key('forever'), 1, { ttl: Number.POSITIVE_INFINITY })
    await engine.set(h.key('default'), 2)
    await clock.advance(clock.long)
    expect(await engine.get(h.key('forever'))).toBe(1)
    expect(await engine.get(h.key('default'))).toBe(MISS)
  })
}
