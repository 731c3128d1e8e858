import { describe, expect, it } from 'vitest'
import { RESULT_TYPES, detectResultType, hasImageSignature } from '../src/selection/detect-type.js'
import { SIZE_THRESHOLDS, estimateBytes, estimateDataSize, sizeClassOf, utf8Length } from '../src/selection/estimate-size.js'

const KIB = 1024
const MIB = 1024 * KIB

/**
 * Element reads of arrays wrapped by `counted`: the work bound is checked by counting what a
 * walk reads (deterministic), not by timing it on a shared machine.
 */
let reads = 0
function counted<T extends object>(array: T): T {
  return new Proxy(array, {
    get(target, key, receiver) {
      if (typeof key === 'string' && key !== 'length') reads++
      return Reflect.get(target, key, receiver) as unknown
    },
  })
}
function readsOf(f: () => unknown): number {
  reads = 0
  f()
  return reads
}
/**
 * Reads one walk may make: estimate-size.ts visits at most 8192 nodes (its BUDGET), reading a
 * sampled element up to twice; the values below hold 1M to 14M elements.
 */
const BOUNDED = 20_000

describe('estimateDataSize thresholds (small < 10 KiB ≤ medium < 1 MiB ≤ large < 100 MiB ≤ very_large)', () => {
  const cases: [number, string][] = [
    [0, 'small'],
    [10 * KIB - 1, 'small'],
    [10 * KIB, 'medium'],
    [MIB - 1, 'medium'],
    [MIB, 'large'],
    [100 * MIB - 1, 'large'],
    [100 * MIB, 'very_large'],
  ]

  it.each(cases)('an ArrayBuffer of %i bytes is %s', (bytes, expected) => {
    expect(estimateDataSize(new ArrayBuffer(bytes))).toBe(expected)
  })

  it.each(cases.filter(([b]) => b <= MIB))('a Uint8Array and an ASCII string of %i bytes are %s', (bytes, expected) => {
    expect(estimateDataSize(new Uint8Array(bytes))).toBe(expected)
    expect(estimateDataSize('x'.repeat(bytes))).toBe(expected)
  })

  it('counts strings as UTF-8: 2 bytes for é, 3 for €, 4 for an emoji', () => {
    expect(estimateBytes('é'.repeat(5 * KIB))).toBe(10 * KIB)
    expect(estimateDataSize('é'.repeat(5 * KIB))).toBe('medium')
    expect(estimateDataSize('é'.repeat(5 * KIB - 1))).toBe('small')
    expect(estimateBytes('€')).toBe(3)
    expect(estimateBytes('😀')).toBe(4)
    expect(utf8Length('a€😀')).toBe(8)
  })

  it('estimates long strings from samples, exactly for uniform text', () => {
    expect(estimateBytes('x'.repeat(MIB))).toBe(MIB)
    expect(estimateBytes('€'.repeat(400 * KIB))).toBe(1200 * KIB)
    // Half ASCII, half 3-byte characters, interleaved: within 2% of 2 bytes per character.
    const mixed = 'a€'.repeat(200 * KIB)
    expect(estimateBytes(mixed) / (800 * KIB)).toBeCloseTo(1, 1)
  })

  it('sizeClassOf applies the documented thresholds', () => {
    expect(SIZE_THRESHOLDS).toEqual({ medium: 10240, large: 1048576, very_large: 104857600 })
    expect(sizeClassOf(SIZE_THRESHOLDS.large - 1)).toBe('medium')
    expect(sizeClassOf(SIZE_THRESHOLDS.very_large)).toBe('very_large')
  })
})

describe('estimateBytes on each kind of value', () => {
  it('primitives', () => {
    expect(estimateBytes(42)).toBe(8)
    expect(estimateBytes(true)).toBe(8)
    expect(estimateBytes(null)).toBe(8)
    expect(estimateBytes(undefined)).toBe(8)
    expect(estimateBytes(1n)).toBe(8)
    expect(estimateBytes(2n ** 100n)).toBe(16)
    expect(estimateBytes(-(2n ** 200n))).toBe(32)
  })

  it('arrays, objects, Maps and Sets: header, slots and contents', () => {
    expect(estimateBytes([])).toBe(16)
    expect(estimateBytes([1, 2, 3])).toBe(16 + 3 * 8 + 3 * 8)
    expect(estimateBytes({ ab: 1 })).toBe(16 + 8 + 2 + 8)
    expect(estimateBytes(new Map([['ab', 'cd']]))).toBe(16 + 16 + 2 + 2)
    expect(estimateBytes(new Set(['abc']))).toBe(16 + 8 + 3)
    expect(estimateBytes([[1], { a: 'xyz' }])).toBe(16 + 16 + (16 + 8 + 8) + (16 + 8 + 1 + 3))
  })

  it('binary values count their bytes', () => {
    expect(estimateBytes(new Float64Array(100))).toBe(800)
    expect(estimateBytes(new DataView(new ArrayBuffer(64), 16, 32))).toBe(32)
    expect(estimateBytes(Buffer.alloc(5000))).toBe(5000)
    expect(estimateBytes(new SharedArrayBuffer(128))).toBe(128)
    expect(estimateDataSize({ blob: new Uint8Array(MIB) })).toBe('large')
  })

  it.skipIf(typeof Blob === 'undefined')('Blobs count their size', () => {
    expect(estimateBytes(new Blob([new Uint8Array(2 * MIB)]))).toBe(2 * MIB)
    expect(estimateDataSize(new Blob(['x'.repeat(20 * KIB)]))).toBe('medium')
  })

  it('dates, regexps, class instances and opaque objects', () => {
    expect(estimateBytes(new Date(0))).toBe(24)
    expect(estimateBytes(/abc/g)).toBe(19)
    class Point {
      constructor(
        public x: number,
        public y: number,
      ) {}
    }
    expect(estimateBytes(new Point(1, 2))).toBe(16 + 2 * (8 + 1 + 8))
    expect(estimateBytes(new WeakMap())).toBe(8)
    expect(estimateBytes(() => 1)).toBe(8)
  })

  it('survives cycles and throwing getters', () => {
    const a: Record<string, unknown> = { name: 'a' }
    a.self = a
    expect(estimateBytes(a)).toBe(16 + (8 + 4 + 1) + (8 + 4 + 8))
    const trap = Object.defineProperty({}, 'boom', {
      enumerable: true,
      get() {
        throw new Error('no')
      },
    })
    expect(estimateBytes(trap)).toBe(16 + 8 + 4 + 8)
  })

  it('never throws, even on a revoked Proxy or a broken collection', () => {
    const { proxy, revoke } = Proxy.revocable({}, {})
    revoke()
    expect(estimateBytes(proxy)).toBe(8)
    expect(estimateBytes([proxy, 'ab'])).toBe(16 + 2 * 8 + 8 + 2)
    const broken = new Map([[1, 1]])
    broken.entries = () => {
      throw new Error('no')
    }
    expect(estimateBytes({ m: broken })).toBe(16 + 8 + 1 + 8)
    expect(detectResultType(proxy)).toBe('object')
  })

  it('counts a value referenced twice twice, as a serializer would write it', () => {
    const big = 'x'.repeat(6 * KIB)
    expect(estimateDataSize([big])).toBe('small')
    expect(estimateDataSize([big, big])).toBe('medium')
  })
})

describe('estimateBytes is fast on big values and never serializes them', () => {
  it('samples a 1M-element array of objects within 5% of the model, reading a few thousand rows', () => {
    const rows = counted(Array.from({ length: 1_000_000 }, (_, i) => ({ id: i, label: `row-${String(i).padStart(7, '0')}` })))
    // Every row is the same size under the model: 16 + (8+2+8) + (8+5+11).
    const exact = 16 + 1_000_000 * 8 + 1_000_000 * (16 + 18 + 24)
    let estimate = 0
    expect(readsOf(() => (estimate = estimateBytes(rows)))).toBeLessThan(BOUNDED)
    expect(estimate / exact).toBeCloseTo(1, 1)
    expect(Math.abs(estimate - exact) / exact).toBeLessThan(0.05)
    expect(readsOf(() => expect(estimateDataSize(rows)).toBe('large'))).toBeLessThan(BOUNDED)
  })

  it('classifies a 100 MiB+ array as very_large without touching toJSON', () => {
    const poisoned = { toJSON: () => expect.unreachable('serialized') }
    const huge = counted(new Array(14_000_000).fill(poisoned))
    expect(readsOf(() => expect(estimateDataSize(huge)).toBe('very_large'))).toBeLessThan(BOUNDED)
  })

  it('bounds the work on deeply nested and wide values', () => {
    const cube = counted(Array.from({ length: 200 }, () => counted(Array.from({ length: 200 }, () => counted(Array.from({ length: 200 }, (_, i) => i))))))
    // 8,000,000 numbers: 16 per number plus the headers and slots of 40,200 arrays.
    const exact = 8_000_000 * 16 + 40_200 * 16 + 40_000 * 8 + 16 + 200 * 8
    let estimate = 0
    // Reads of all three levels together.
    expect(readsOf(() => (estimate = estimateBytes(cube)))).toBeLessThan(BOUNDED)
    expect(Math.abs(estimate - exact) / exact).toBeLessThan(0.01)
    let deep: unknown = 'leaf'
    for (let i = 0; i < 100_000; i++) deep = [deep]
    expect(estimateBytes(deep)).toBeGreaterThan(64 * 24)
  })

  it('stops walking once past the limit', () => {
    const parts = Array.from({ length: 50 }, () => new Uint8Array(4 * MIB))
    expect(estimateBytes(parts)).toBe(16 + 50 * 8 + 50 * 4 * MIB)
    // With a limit the walk stops early; the answer is still at or above the limit.
    expect(estimateBytes(parts, { limit: 10 * MIB })).toBeGreaterThanOrEqual(10 * MIB)
    expect(estimateBytes('x'.repeat(100), { limit: 10 })).toBe(100)
  })

  it('estimates Maps and Sets from their first entries', () => {
    const map = new Map(Array.from({ length: 200_000 }, (_, i) => [i, 'value-xx']))
    expect(estimateBytes(map)).toBe(16 + 200_000 * (16 + 8 + 8))
    expect(estimateDataSize(new Set(Array.from({ length: 100_000 }, (_, i) => i)))).toBe('large')
  })
})

describe('detectResultType', () => {
  const png = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13])
  const jpeg = Uint8Array.from([0xff, 0xd8, 0xff, 0xe0, 0, 16])
  const gif = new TextEncoder().encode('GIF89a....')
  const webp = new TextEncoder().encode('RIFF\u0001\u0002\u0003\u0004WEBPVP8 ')

  it('names every type of the documented set', () => {
    expect(RESULT_TYPES).toEqual(['primitive', 'json', 'collection', 'binary', 'image', 'object'])
    const samples: [unknown, string][] = [
      [42, 'primitive'],
      ['hello', 'primitive'],
      [true, 'primitive'],
      [null, 'primitive'],
      [undefined, 'primitive'],
      [10n, 'primitive'],
      [{ a: 1, b: [1, 'x', null, { c: false }] }, 'json'],
      [[1, 2, 3], 'json'],
      [Object.create(null), 'json'],
      [new Map([[1, 2]]), 'collection'],
      [new Set([1]), 'collection'],
      [[1, undefined], 'collection'],
      [{ when: new Date(0) }, 'collection'],
      [[Number.NaN], 'collection'],
      [new Uint8Array([1, 2, 3]), 'binary'],
      [new Float32Array(4), 'binary'],
      [new ArrayBuffer(8), 'binary'],
      [Buffer.from('not an image'), 'binary'],
      [png, 'image'],
      [jpeg, 'image'],
      [gif, 'image'],
      [webp, 'image'],
      [png.buffer, 'image'],
      [Buffer.from(png), 'image'],
      [new Date(), 'object'],
      [/x/, 'object'],
      [new Error('x'), 'object'],
      [new (class Point {})(), 'object'],
      [() => 1, 'object'],
    ]
    for (const [value, expected] of samples) expect([value, detectResultType(value)]).toEqual([value, expected])
  })

  it('reads the signature at a view’s offset, and needs the whole signature', () => {
    const framed = new Uint8Array(32)
    framed.set(png, 8)
    expect(detectResultType(framed.subarray(8))).toBe('image')
    expect(detectResultType(framed)).toBe('binary')
    expect(hasImageSignature(png.subarray(0, 4))).toBe(false)
    expect(hasImageSignature(new TextEncoder().encode('RIFF....WAVE'))).toBe(false)
  })

  it.skipIf(typeof Blob === 'undefined')('uses a Blob’s MIME type', () => {
    expect(detectResultType(new Blob([png], { type: 'image/png' }))).toBe('image')
    expect(detectResultType(new Blob(['{}'], { type: 'application/json' }))).toBe('binary')
  })

  it('samples big JSON (a few thousand rows read) and finds non-JSON values deep inside', () => {
    const rows = counted(Array.from({ length: 500_000 }, (_, i) => ({ id: i, tags: ['a', 'b'] })))
    expect(readsOf(() => expect(detectResultType(rows)).toBe('json'))).toBeLessThan(BOUNDED)
    expect(detectResultType({ a: { b: { c: [1, 2, new Map()] } } })).toBe('collection')
  })
})
