import { Buffer } from 'node:buffer'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { FORMAT_VERSION, decodeValue, encodeValue, inspectEntry } from '../src/node/index.js'
import { SerializationError } from '../src/errors.js'
import type { CompressOptions } from '../src/config.js'

const roundTrip = (value: unknown, options: Parameters<typeof encodeValue>[1] = {}) => decodeValue(encodeValue(value, options), options)

function sparse(): unknown[] {
  const a: unknown[] = [1]
  a[3] = 4
  return a
}

function withProtoKey(): Record<string, unknown> {
  // An own "__proto__" property, as JSON.parse creates it: must stay data, not become a prototype.
  return JSON.parse('{"__proto__": {"polluted": true}, "a": 1}') as Record<string, unknown>
}

const MATRIX: [string, unknown][] = [
  ['empty string', ''],
  ['string', 'héllo wörld ✓ 🎉'],
  ['lone surrogate', '\ud800x'],
  ['string with NUL', 'a\u0000b'],
  ['integer', 42],
  ['float', 3.141592653589793],
  ['zero', 0],
  ['negative zero', -0],
  ['NaN', Number.NaN],
  ['Infinity', Number.POSITIVE_INFINITY],
  ['-Infinity', Number.NEGATIVE_INFINITY],
  ['max safe', Number.MAX_SAFE_INTEGER],
  ['true', true],
  ['false', false],
  ['null', null],
  ['undefined', undefined],
  ['bigint', 12345678901234567890123456789n],
  ['negative bigint', -5n],
  ['date', new Date('2024-02-29T12:34:56.789Z')],
  ['invalid date', new Date(Number.NaN)],
  ['regexp with flags', /a+(b)?\/c/giu],
  ['regexp with sticky/dotAll', /x.y/sy],
  ['map', new Map<unknown, unknown>([['a', 1], [2, { b: [3] }], [{ k: 1 }, new Set([1])]])],
  ['set', new Set<unknown>([1, 'a', null, undefined, 2n])],
  ['array', [1, 'two', null, { three: 3 }]],
  ['array of undefined', [undefined, undefined]],
  ['sparse array', sparse()],
  ['empty array', []],
  ['plain object', { a: 1, b: 'x', c: [true, false] }],
  ['object with undefined property', { a: undefined, b: 1 }],
  ['object with NUL-prefixed key', { '\u0000D': 5, normal: 1 }],
  ['object with own __proto__ key', withProtoKey()],
  ['nested', { list: [new Map([['d', new Date(0)]]), { deep: { deeper: [-0, Number.NaN, 1n] } }] }],
  ['Uint8Array', new Uint8Array([0, 1, 2, 255])],
  ['Buffer', Buffer.from('buffer bytes')],
  ['Uint8ClampedArray', new Uint8ClampedArray([0, 128, 255])],
  ['Int8Array', new Int8Array([-128, 0, 127])],
  ['Uint16Array', new Uint16Array([0, 65535])],
  ['Int16Array', new Int16Array([-32768, 32767])],
  ['Uint32Array', new Uint32Array([0, 4294967295])],
  ['Int32Array', new Int32Array([-2147483648, 2147483647])],
  ['Float32Array', new Float32Array([1.5, -0, Number.NaN])],
  ['Float64Array', new Float64Array([Math.PI, Number.NEGATIVE_INFINITY])],
  ['BigInt64Array', new BigInt64Array([-(2n ** 63n), 2n ** 63n - 1n])],
  ['BigUint64Array', new BigUint64Array([0n, 2n ** 64n - 1n])],
  ['DataView', new DataView(new Uint8Array([9, 8, 7]).buffer)],
  ['empty typed array', new Float64Array(0)],
  ['ArrayBuffer', new Uint8Array([1, 2, 3]).buffer],
  ['typed arrays in a map', new Map<string, ArrayBufferView>([['f', new Float32Array([1, 2])], ['b', Buffer.from([1])]])],
]

describe('default serializer round-trips every §7 type', () => {
  it.each(MATRIX)('%s', (_name, value) => {
    const back = roundTrip(value)
    expect(back).toStrictEqual(value)
    if (typeof value === 'number') expect(Object.is(back, value)).toBe(true)
    if (value !== null && typeof value === 'object') expect(Object.getPrototypeOf(back)).toBe(Object.getPrototypeOf(value))
  })

  it('decodes the same from a Buffer, a plain Uint8Array and a view into a larger buffer', () => {
    const value = { name: 'Zoë 🎉', list: [1, 'two', null], nested: { ok: true } }
    const bytes = encodeValue(value)
    const plain = new Uint8Array(bytes)
    const padded = new Uint8Array(bytes.byteLength + 8)
    padded.set(bytes, 5)
    expect(decodeValue(Buffer.from(bytes))).toEqual(value)
    expect(decodeValue(plain)).toEqual(value)
    expect(decodeValue(padded.subarray(5, 5 + bytes.byteLength))).toEqual(value)
    // Invalid UTF-8 reads alike too (U+FFFD), whatever holds the bytes.
    const broken = new Uint8Array([...bytes.subarray(0, 4), ...Buffer.from('"a'), 0xff, ...Buffer.from('b"')])
    expect(decodeValue(broken)).toBe(decodeValue(Buffer.from(broken)))
  })

  it('keeps -0 and NaN inside arrays and typed arrays', () => {
    const back = roundTrip([-0, Number.NaN, new Float64Array([-0])]) as [number, number, Float64Array]
    expect(Object.is(back[0], -0)).toBe(true)
    expect(back[1]).toBeNaN()
    expect(Object.is(back[2][0], -0)).toBe(true)
  })

  it('distinguishes undefined elements from holes', () => {
    const holes = roundTrip(sparse()) as unknown[]
    expect(holes).toHaveLength(4)
    expect(1 in holes).toBe(false)
    const filled = roundTrip([1, undefined, undefined, 4]) as unknown[]
    expect(1 in filled).toBe(true)
  })

  it('keeps an invalid date invalid and a valid one exact', () => {
    const [bad, good] = roundTrip([new Date(Number.NaN), new Date(1)]) as Date[]
    expect(bad).toBeInstanceOf(Date)
    expect(bad!.getTime()).toBeNaN()
    expect(good!.getTime()).toBe(1)
  })

  it('keeps regexp flags and lastIndex-independent behaviour', () => {
    const re = roundTrip(/ab/gimsuy) as RegExp
    expect(re.flags).toBe('gimsuy')
    expect(re.source).toBe('ab')
  })

  it('returns a Buffer for a Buffer and a plain Uint8Array for a Uint8Array', () => {
    expect(Buffer.isBuffer(roundTrip(Buffer.from('x')))).toBe(true)
    expect(Buffer.isBuffer(roundTrip(new Uint8Array([1])))).toBe(false)
  })

  it('stores only the viewed bytes of a typed array over a larger buffer', () => {
    const big = new Uint8Array(1000).fill(7)
    const view = new Uint16Array(big.buffer, 10, 2)
    const bytes = encodeValue(view)
    expect(bytes.byteLength).toBeLessThan(100)
    expect(roundTrip(view)).toStrictEqual(new Uint16Array([0x0707, 0x0707]))
  })

  it('does not let an own __proto__ key set the prototype', () => {
    const back = roundTrip({ nested: withProtoKey(), d: new Date(0) }) as { nested: Record<string, unknown> }
    expect(Object.getPrototypeOf(back.nested)).toBe(Object.prototype)
    expect(Object.hasOwn(back.nested, '__proto__')).toBe(true)
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
  })

  it('stores class instances through toJSON, else as their own properties', () => {
    class Money {
      constructor(readonly cents: number) {}
      toJSON() {
        return `${this.cents / 100} EUR`
      }
    }
    class Point {
      constructor(readonly x: number, readonly y: number) {}
    }
    expect(roundTrip({ price: new Money(250) })).toStrictEqual({ price: '2.5 EUR' })
    expect(roundTrip(new Point(1, 2))).toStrictEqual({ x: 1, y: 2 })
  })

  it('round-trips errors with name, message and cause', () => {
    const error = roundTrip(new TypeError('bad', { cause: new Date(0) })) as TypeError
    expect(error).toBeInstanceOf(TypeError)
    expect(error.message).toBe('bad')
    expect(error.cause).toStrictEqual(new Date(0))
  })

  it('copies shared references and rejects cycles with a SerializationError', () => {
    const shared = { n: 1 }
    const back = roundTrip([shared, shared, new Date(0)]) as { n: number }[]
    expect(back[0]).toStrictEqual(shared)
    expect(back[0]).not.toBe(back[1])
    const cyclic: Record<string, unknown> = { a: 1 }
    cyclic.self = cyclic
    expect(() => encodeValue(cyclic)).toThrow(SerializationError)
    expect(() => encodeValue(cyclic)).toThrow(/cyclic structure \(at \.self\)/)
    const cyclicMap = new Map<string, unknown>()
    cyclicMap.set('me', cyclicMap)
    expect(() => encodeValue(cyclicMap)).toThrow(/cyclic/)
  })

  it('handles nesting deeper than the fast path', () => {
    let deep: unknown = 'bottom'
    for (let i = 0; i < 500; i++) deep = { d: deep }
    expect(roundTrip(deep)).toStrictEqual(deep)
  })

  it('rejects functions and symbols with a SerializationError naming where', () => {
    expect(() => encodeValue({ a: [() => 1] })).toThrow(/function \(at \.a\[0\]\)/)
    expect(() => encodeValue(Symbol('s'))).toThrow(SerializationError)
  })

  it('writes plain JSON data as plain JSON (the fast path)', () => {
    const bytes = encodeValue({ a: [1, 'x', null, true] })
    expect(inspectEntry(bytes)).toMatchObject({ version: FORMAT_VERSION, serializer: 'default', compression: 'none' })
    expect(Buffer.from(bytes.subarray(4)).toString()).toBe('{"a":[1,"x",null,true]}')
  })

  it('round-trips arbitrary values (property test)', () => {
    const arbitrary = fc.anything({
      withBigInt: true,
      withDate: true,
      withMap: true,
      withSet: true,
      withTypedArray: true,
      withSparseArray: true,
      withUnicodeString: true,
      maxDepth: 4,
    })
    fc.assert(
      fc.property(arbitrary, (value) => {
        expect(roundTrip(value)).toStrictEqual(value)
      }),
      { numRuns: 300 },
    )
  })
})

describe("'json' and custom serializers", () => {
  it("'json' is JSON.stringify/parse: lossy by design", () => {
    const back = roundTrip({ d: new Date(0), m: new Map([[1, 2]]), u: undefined, n: Number.NaN }, { serializer: 'json' })
    expect(back).toStrictEqual({ d: '1970-01-01T00:00:00.000Z', m: {}, n: null })
    expect(inspectEntry(encodeValue(1, { serializer: 'json' })).serializer).toBe('json')
    expect(roundTrip(undefined, { serializer: 'json' })).toBeUndefined()
  })

  it("'json' rejects BigInt and cycles with a SerializationError", () => {
    expect(() => encodeValue(1n, { serializer: 'json' })).toThrow(SerializationError)
  })

  it('decodes built-in formats whatever serializer the reader is configured with', () => {
    expect(decodeValue(encodeValue(new Date(5)), { serializer: 'json' })).toStrictEqual(new Date(5))
    expect(decodeValue(encodeValue({ a: 1 }, { serializer: 'json' }))).toStrictEqual({ a: 1 })
  })

  it('uses a custom serializer returning strings or bytes, and records which', () => {
    const upper = { serialize: (v: unknown) => String(v).toUpperCase(), deserialize: (s: string | Uint8Array) => `got ${String(s)}` }
    expect(roundTrip('abc', { serializer: upper })).toBe('got ABC')
    const bytes = {
      serialize: (v: unknown) => new Uint8Array([Number(v)]),
      deserialize: (b: string | Uint8Array) => (b as Uint8Array)[0],
    }
    expect(roundTrip(7, { serializer: bytes })).toBe(7)
    expect(inspectEntry(encodeValue(7, { serializer: bytes })).serializer).toBe('custom')
  })

  it('needs the custom serializer to read a custom entry', () => {
    const custom = { serialize: (v: unknown) => JSON.stringify(v), deserialize: (s: string | Uint8Array) => JSON.parse(String(s)) as unknown }
    const bytes = encodeValue({ a: 1 }, { serializer: custom })
    expect(() => decodeValue(bytes)).toThrow(/custom serializer; pass the same `serializer`/)
  })

  it('wraps custom serializer failures in SerializationError with the cause', () => {
    const cause = new Error('nope')
    const failing = { serialize: () => { throw cause }, deserialize: () => { throw cause } }
    const error = (() => {
      try {
        encodeValue(1, { serializer: failing })
      } catch (e) {
        return e
      }
    })()
    expect(error).toBeInstanceOf(SerializationError)
    expect((error as Error).cause).toBe(cause)
    const stored = encodeValue('x', { serializer: { serialize: String, deserialize: String } })
    expect(() => decodeValue(stored, { serializer: failing })).toThrow(SerializationError)
  })
})

describe('compression', () => {
  const algorithms = ['gzip', 'brotli', 'deflate'] as const
  const threshold = 200
  // Highly compressible and exactly `n` bytes of JSON payload: '"' + 'a' * (n - 2) + '"'.
  const ofPayload = (n: number) => 'a'.repeat(n - 2)

  it.each(algorithms)('%s: compresses only payloads above the threshold', (algorithm) => {
    const compress: CompressOptions = { algorithm, threshold }
    const at = encodeValue(ofPayload(threshold), { compress })
    expect(inspectEntry(at)).toMatchObject({ compression: 'none', payloadBytes: threshold })
    const above = encodeValue(ofPayload(threshold + 1), { compress })
    expect(inspectEntry(above).compression).toBe(algorithm)
    expect(above.byteLength).toBeLessThan(threshold)
    expect(decodeValue(above)).toBe(ofPayload(threshold + 1))
    expect(decodeValue(at)).toBe(ofPayload(threshold))
  })

  it.each(algorithms)('%s: round-trips tagged values with binary data, at every level given', (algorithm) => {
    const value = { when: new Date(0), data: new Float64Array(500).fill(1.25), big: 10n ** 30n }
    for (const level of [1, 9, 11]) {
      const bytes = encodeValue(value, { compress: { algorithm, threshold: 16, level } })
      expect(inspectEntry(bytes).compression).toBe(algorithm)
      expect(decodeValue(bytes)).toStrictEqual(value)
    }
  })

  it('stores incompressible data uncompressed', () => {
    const random = new Uint8Array(4096)
    for (let i = 0; i < random.length; i++) random[i] = (i * 2654435761) >>> 24
    const noisy = Buffer.from(random.map((_, i) => Math.floor(Math.abs(Math.sin(i + 1) * 1e6)) & 255))
    const bytes = encodeValue(noisy, { compress: { algorithm: 'gzip', threshold: 0 } })
    expect(inspectEntry(bytes).compression).toBe('none')
    expect(decodeValue(bytes)).toStrictEqual(noisy)
  })

  it('leaves values uncompressed when compression is off', () => {
    expect(inspectEntry(encodeValue('a'.repeat(100_000), { compress: false })).compression).toBe('none')
  })
})

describe('corrupt input', () => {
  const good = encodeValue({ when: new Date(0), data: new Uint8Array([1, 2, 3]) })

  it.each([
    ['empty', new Uint8Array(0)],
    ['no header', Buffer.from('{"a":1}')],
    ['header only, tagged', good.subarray(0, 4)],
    ['truncated', good.subarray(0, good.byteLength - 2)],
    ['truncated plain JSON', encodeValue({ a: 'long enough' }).subarray(0, 10)],
    ['unknown serializer code', Uint8Array.from([0xf5, 1, 9, 0, 0x31])],
    ['unknown compression code', Uint8Array.from([0xf5, 1, 0, 9, 0x31])],
    ['bad gzip data', Uint8Array.from([0xf5, 1, 0, 1, 1, 2, 3, 4])],
    ['bad brotli data', Uint8Array.from([0xf5, 1, 0, 2, 0xff, 0xff, 0xff, 0xff])],
    ['bad deflate data', Uint8Array.from([0xf5, 1, 0, 3, 1, 2, 3])],
  ])('%s → SerializationError', (_name, bytes) => {
    expect(() => decodeValue(bytes)).toThrow(SerializationError)
  })

  it('rejects an unknown tag and out-of-bounds binary data', () => {
    const tagged = (json: string) => {
      const body = Buffer.from(json)
      const out = Buffer.alloc(8 + body.length)
      out.set([0xf5, 1, 1, 0])
      out.writeUInt32LE(body.length, 4)
      out.set(body, 8)
      return out
    }
    expect(() => decodeValue(tagged('{"\\u0000Z":1}'))).toThrow(/unknown tag/)
    expect(() => decodeValue(tagged('{"\\u0000V":["Uint8Array",0,5]}'))).toThrow(/out of bounds/)
    expect(() => decodeValue(tagged('{"\\u0000V":["Float64Array",0,0]}'))).not.toThrow()
  })

  it('names an unknown format version', () => {
    const future = Uint8Array.from(good)
    future[1] = FORMAT_VERSION + 1
    expect(() => decodeValue(future)).toThrow(SerializationError)
    expect(() => decodeValue(future)).toThrow(`format version ${FORMAT_VERSION + 1} is not supported`)
  })

  it('flipping any single byte never crashes with anything but SerializationError', () => {
    // Some flips decode (to another value); the header's surely do not, so the catch must run.
    expect.hasAssertions()
    const sample = encodeValue({ s: 'text', m: new Map([[1, new Int16Array([5])]]) }, { compress: { algorithm: 'gzip', threshold: 0 } })
    for (let i = 0; i < sample.byteLength; i++) {
      const copy = Uint8Array.from(sample)
      copy[i] = copy[i]! ^ 0xff
      try {
        decodeValue(copy)
      } catch (error) {
        expect(error).toBeInstanceOf(SerializationError)
      }
    }
  })
})
