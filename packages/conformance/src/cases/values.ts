import { expect, it } from 'vitest'
import { type Harness, MISS } from '../harness.js'

/** A cached falsy value is a hit, not a miss. */
const FALSY: [string, unknown][] = [
  ['undefined', undefined],
  ['null', null],
  ['0', 0],
  ['-0', -0],
  ["''", ''],
  ['false', false],
  ['NaN', Number.NaN],
]

/**
 * ARCHITECTURE.md §7: what the default serializer must round-trip. Structured engines keep the
 * live value, so they pass trivially; engines that serialize must prove it.
 */
const TYPES: [string, () => unknown][] = [
  ['string', () => 'héllo\u0000wörld'],
  ['integer', () => 42],
  ['float', () => -1.5e-300],
  ['Infinity', () => Number.POSITIVE_INFINITY],
  ['-Infinity', () => Number.NEGATIVE_INFINITY],
  ['true', () => true],
  ['plain object', () => ({ b: 1, a: [1, 'two', null, { c: true }] })],
  ['array', () => [1, 'a', null, [2, [3]], { x: 1 }]],
  ['empty object and array', () => ({ o: {}, a: [] })],
  ['BigInt', () => 12345678901234567890123n],
  ['negative BigInt', () => -7n],
  ['Date', () => new Date(1_700_000_000_123)],
  ['Map', () => new Map<unknown, unknown>([['a', 1], [2, { b: [3] }]])],
  ['Set', () => new Set([1, 'a', 3n])],
  ['RegExp', () => /a+b?/gi],
  ['nested', () => ({ when: new Date(0), tags: new Set(['x']), index: new Map([['k', [1n, undefined]]]) })],
]

export function valueCases(h: Harness): void {
  it.each(FALSY)('a cached %s is a hit', async (_label, value) => {
    const engine = await h.make()
    const k = h.key('falsy')
    await engine.set(k, value)
    const got = await engine.get(k)
    expect(got).not.toBe(MISS)
    expect(Object.is(got, value)).toBe(true)
  })

  it.each(TYPES)('%s round-trips', async (_label, make) => {
    const engine = await h.make()
    const k = h.key('type')
    await engine.set(k, make())
    expect(await engine.get(k)).toStrictEqual(make())
  })

  it('typed arrays round-trip with their type and bytes', async () => {
    const engine = await h.make()
    const bytes = Uint8Array.from([0, 1, 127, 128, 255])
    const floats = Float64Array.from([0.5, -0, Number.NaN])
    await engine.set(h.key('u8'), bytes)
    await engine.set(h.key('f64'), floats)
    const gotBytes = await engine.get(h.key('u8'))
    const gotFloats = await engine.get(h.key('f64'))
    expect(gotBytes).toBeInstanceOf(Uint8Array)
    expect(Array.from(gotBytes as Uint8Array)).toEqual([0, 1, 127, 128, 255])
    expect(gotFloats).toBeInstanceOf(Float64Array)
    expect(Array.from(gotFloats as Float64Array)).toEqual([0.5, -0, Number.NaN])
  })

  it('an entry envelope (freshness, tags) round-trips with a per-call ttl', async () => {
    // What core's wrappers store with stale windows or tags (core/src/wrap/envelope.ts): a plain
    // object with a `$twatCache` marker, epoch-ms times up to Number.MAX_SAFE_INTEGER ("never").
    const engine = await h.make()
    const caps = await h.capabilities()
    const k = h.key('envelope')
    const now = Date.now()
    const entry = { $twatCache: 1, value: { n: 1, list: ['a', null] }, createdAt: now, expiresAt: now + 1_000, staleUntil: Number.MAX_SAFE_INTEGER, tags: ['user:1'] }
    await engine.set(k, entry, caps.ttl ? { ttl: 60_000 } : undefined)
    expect(await engine.get(k)).toStrictEqual(entry)
  })

  it('a large value (256 KiB) round-trips', async () => {
    const engine = await h.make()
    const big = 'abcdefgh'.repeat(32 * 1024) + 'é'
    await engine.set(h.key('big'), big)
    expect(await engine.get(h.key('big'))).toBe(big)
  })

  it('structured engines return the stored object itself; others return a copy', async (ctx) => {
    const caps = await h.capabilities()
    ctx.skip(caps.l1 === true, 'capabilities.l1: a value served from the memory tier is the object that was set or first read, a value read from the store is a copy')
    const engine = await h.make()
    const k = h.key('obj')
    const value = { list: [1, 2] }
    await engine.set(k, value)
    const got = (await engine.get(k)) as { list: number[] }
    if (engine.capabilities.structured) {
      expect(got).toBe(value)
    } else {
      // The caller may mutate what it got: an engine that serializes must not hand out its entry.
      got.list.push(3)
      value.list.push(4)
      expect(await engine.get(k)).toEqual({ list: [1, 2] })
    }
  })
}
