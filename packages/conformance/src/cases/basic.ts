import { expect, it } from 'vitest'
import { type Harness, MISS, collectKeys, isThenable } from '../harness.js'

const POLICIES = ['lru', 'lfu', 'fifo', 'rr']

export function basicCases(h: Harness): void {
  it('declares well-formed capabilities, equal to the expected ones', async () => {
    const engine = await h.make()
    const caps = engine.capabilities
    expect(engine.name).toBe(h.options.name)
    expect(['sync', 'async']).toContain(caps.mode)
    expect(typeof caps.persistent).toBe('boolean')
    expect(['process', 'host', 'network']).toContain(caps.shared)
    expect(['native', 'emulated', false]).toContain(caps.ttl)
    expect(typeof caps.structured).toBe('boolean')
    for (const policy of caps.policies) expect(POLICIES).toContain(policy)
    if (h.options.capabilities) expect(caps).toEqual(h.options.capabilities)
  })

  it('returns values directly if sync, promises if async', async () => {
    const engine = await h.make()
    const k = h.key('mode')
    const results = [engine.set(k, 1), engine.get(k), engine.get(h.key('absent')), engine.delete(k), engine.clear()]
    if (engine.has) results.push(engine.has(k))
    if (engine.size) results.push(engine.size())
    const expected = engine.capabilities.mode === 'async'
    for (const result of results) expect(isThenable(result)).toBe(expected)
    await Promise.all(results)
    if (!expected) expect(typeof (engine as { [Symbol.dispose]?: unknown })[Symbol.dispose]).toBe('function')
    expect(typeof engine[Symbol.asyncDispose]).toBe('function')
  })

  it('get of a missing key is MISS', async () => {
    const engine = await h.make()
    expect(await engine.get(h.key('missing'))).toBe(MISS)
  })

  it('set then get round-trips, and set overwrites', async () => {
    const engine = await h.make()
    const k = h.key('a')
    await engine.set(k, 'one')
    expect(await engine.get(k)).toBe('one')
    await engine.set(k, 'two')
    expect(await engine.get(k)).toBe('two')
    expect(await engine.get(h.key('b'))).toBe(MISS)
  })

  it('delete returns true for a present key, then false', async () => {
    const engine = await h.make()
    const k = h.key('d')
    await engine.set(k, 42)
    expect(await engine.delete(k)).toBe(true)
    expect(await engine.get(k)).toBe(MISS)
    expect(await engine.delete(k)).toBe(false)
    expect(await engine.delete(h.key('never'))).toBe(false)
  })

  it('clear() removes every entry', async () => {
    const engine = await h.make()
    for (let i = 0; i < 5; i++) await engine.set(h.key(i), i)
    await engine.clear()
    for (let i = 0; i < 5; i++) expect(await engine.get(h.key(i))).toBe(MISS)
    await engine.set(h.key('after'), 1)
    expect(await engine.get(h.key('after'))).toBe(1)
  })

  it('keys that look like paths, separators, unicode or object internals are ordinary keys', async () => {
    const engine = await h.make()
    const names = ['a/b', '../x', 'a:b', 'a b', 'ü∑😀', '__proto__', 'constructor', 'hasOwnProperty', 'x'.repeat(1000)]
    for (const [i, name] of names.entries()) await engine.set(h.key(name), i)
    for (const [i, name] of names.entries()) expect(await engine.get(h.key(name))).toBe(i)
    expect(await engine.get(h.key('toString'))).toBe(MISS)
  })

  it('has() agrees with get()', async (ctx) => {
    const engine = await h.make()
    ctx.skip(!engine.has, 'engine has no has()')
    const k = h.key('h')
    expect(await engine.has!(k)).toBe(false)
    await engine.set(k, undefined)
    expect(await engine.has!(k)).toBe(true)
    await engine.delete(k)
    expect(await engine.has!(k)).toBe(false)
  })

  it('size() counts entries', async (ctx) => {
    const engine = await h.make()
    ctx.skip(!engine.size, 'engine has no size()')
    expect(await engine.size!()).toBe(0)
    for (let i = 0; i < 3; i++) await engine.set(h.key(i), i)
    await engine.set(h.key(0), 'again')
    expect(await engine.size!()).toBe(3)
    await engine.delete(h.key(1))
    expect(await engine.size!()).toBe(2)
    await engine.clear()
    expect(await engine.size!()).toBe(0)
  })

  it('keys() lists the keys as they were set', async (ctx) => {
    const engine = await h.make()
    ctx.skip(!engine.keys, 'engine has no keys()')
    const keys = [h.key('x'), h.key('y'), h.key('z')]
    for (const k of keys) await engine.set(k, k)
    await engine.delete(keys[1]!)
    expect(await collectKeys(engine)).toEqual([keys[0], keys[2]].sort())
  })

  it('stats() counts hits and misses', async (ctx) => {
    const engine = await h.make({ maxsize: 50 })
    ctx.skip(!engine.stats, 'engine has no stats()')
    const before = await engine.stats!()
    await engine.set(h.key('s'), 1)
    await engine.get(h.key('s'))
    await engine.get(h.key('s'))
    await engine.get(h.key('none'))
    const after = await engine.stats!()
    expect(after.hits - before.hits).toBe(2)
    expect(after.misses - before.misses).toBe(1)
    expect(after.size).toBe(1)
    if (after.maxsize !== undefined) expect(after.maxsize).toBe(50)
  })
}
