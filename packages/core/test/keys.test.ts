import { describe, expect, it } from 'vitest'
import { CacheKeyError } from '../src/errors.js'
import { hash128, hashBytes, murmur3x86_128 } from '../src/keys/hash.js'
import * as keys from '../src/keys/index.js'
import { MAX_KEY_LENGTH, stableKey } from '../src/keys/stable-key.js'
import { Point, TYPED_ARRAYS } from './keys-support.js'

const key = (...args: unknown[]) => stableKey(args)

function expectAllDistinct(argLists: unknown[][]): void {
  const seen = new Map<string, unknown[]>()
  for (const args of argLists) {
    const k = stableKey(args)
    expect(seen.get(k), `key ${k} produced twice`).toBeUndefined()
    seen.set(k, args)
  }
  expect(seen.size).toBe(argLists.length)
}

describe('hash128 (MurmurHash3 x86_128)', () => {
  it('passes the SMHasher verification test (0xB3ECE62A)', () => {
    // SMHasher's check: hash {}, {0}, {0,1}, ... {0..254} with seed 256 - length, concatenate
    // the digests (little-endian words), hash that with seed 0, read the first 4 bytes.
    const input = new Uint8Array(256)
    const digests = new Uint8Array(16 * 256)
    for (let i = 0; i < 256; i++) {
      input[i] = i
      const words = murmur3x86_128(input.subarray(0, i), 256 - i)
      words.forEach((w, j) => {
        for (let b = 0; b < 4; b++) digests[i * 16 + j * 4 + b] = (w >>> (8 * b)) & 0xff
      })
    }
    expect(murmur3x86_128(digests, 0)[0]).toBe(0xb3ece62a)
  })

  it('matches published string vectors (UTF-8, seed 0)', () => {
    // Vectors published with daisuke-t-jp/MurmurHash-Swift, words h1..h4 in hex.
    expect(hash128('')).toBe('00000000000000000000000000000000')
    expect(hash128('H')).toBe('f69feb5df45637a0f45637a0f45637a0')
    expect(hash128('Hello')).toBe('2360ae465e6336c6ad45b3f4ad45b3f4')
    expect(hash128('Hello World!')).toBe('6bee9883eb1be4f59dfb7172ae3fbea9')
    expect(hash128('Hello World! Hello World!')).toBe('86163d2b245b8ee23c4d056024166d77')
    expect(hash128('メロス')).toBe('dcfa2df52a3c5ab9d74d6d304e537d23')
    expect(hash128('メロスは激怒した。必ず、かの邪智暴虐の王を除かなければならぬと決意した。')).toBe(
      'e039433a2d574e3847cc7c20b86bcaf1',
    )
  })

  it('matches published vectors with a seed', () => {
    // NHasher's MurmurHash128X32 vectors, seed 0x9747b28c, written there as little-endian bytes.
    const words = (s: string) => murmur3x86_128(new TextEncoder().encode(s), 0x9747b28c)
    expect(words('')).toEqual([0xf7bed5a1, 0x5b576a1c, 0x5b576a1c, 0x5b576a1c])
    expect(words('The quick brown fox jumps over the lazy dog')).toEqual([0x8ad4d55e, 0x4cb86171, 0x8ea73a9c, 0xcdb6793e])
  })

  it('hashes strings as UTF-8, including surrogate pairs', () => {
    for (const s of ['é', '€', '😀', 'a😀b', '𝄞'.repeat(20), 'x'.repeat(1000) + '😀']) {
      expect(hash128(s)).toBe(hashBytes(new TextEncoder().encode(s)))
    }
    expect(hash128('😀')).not.toBe(hash128('\ud83d'))
  })

  it('hashes a lone surrogate as U+FFFD, like TextEncoder', () => {
    for (const s of ['\ud800', 'a\udc00b', '\udc00\ud800', 'x'.repeat(40) + '\udbff']) {
      expect(hash128(s)).toBe(hashBytes(new TextEncoder().encode(s)))
    }
    expect(hash128('\ud800')).toBe(hash128('\ufffd'))
    expect(hash128('\ud800\udc00')).not.toBe(hash128('\ufffd\ufffd'))
  })

  it('still keeps long keys that differ only in a lone surrogate apart: stableKey escapes them first', () => {
    const pad = 'x'.repeat(MAX_KEY_LENGTH)
    const keys = ['\ud800', '\udc00', '\ufffd', '\udc00\ud800', '\ud800\udc00'].map((s) => key(pad + s))
    for (const k of keys) expect(k).toMatch(/~[0-9a-f]{32}$/)
    expect(new Set(keys).size).toBe(5)
    expect(new Set(keys.map((k) => key({ [k]: 1, big: pad }))).size).toBe(5)
  })

  it('returns 32 lowercase hex characters', () => {
    for (const s of ['', 'a', 'x'.repeat(17), 'x'.repeat(100_000)]) expect(hash128(s)).toMatch(/^[0-9a-f]{32}$/)
  })
})

describe('stableKey: types are kept apart', () => {
  it('1, "1", 1n, Date(1), true, null, undefined all differ', () => {
    expectAllDistinct([[1], ['1'], [1n], [new Date(1)], [true], [null], [undefined], [[1]], [{ 1: 1 }], [Object(1)]])
  })

  it('gives readable keys for simple arguments', () => {
    expect(key(1, 'a')).toBe('1,"a"')
    expect(key(42, { b: 2, a: [true, null] })).toBe('42,{"a":[true,null],"b":2}')
    expect(key()).toBe('')
  })

  it('treats -0 and 0 as different (Object.is), NaN as equal to NaN', () => {
    expect(key(-0)).not.toBe(key(0))
    expect(key({ x: -0 })).not.toBe(key({ x: 0 }))
    expect(key(NaN)).toBe(key(Number('x')))
    expectAllDistinct([[NaN], [Infinity], [-Infinity], [0], [-0], ['NaN'], ['Infinity']])
  })

  it('tells holes, undefined, null and missing entries apart', () => {
    // eslint-disable-next-line no-sparse-arrays
    expectAllDistinct([[[]], [[undefined]], [[null]], [[,]], [[, 1]], [[undefined, 1]], [], [undefined], [undefined, undefined]])
    expect(key({ a: undefined })).not.toBe(key({}))
    expect(key('')).not.toBe(key([]))
    // eslint-disable-next-line no-sparse-arrays
    expect(key([1, , 3])).toBe(key([1, , 3]))
  })

  it('resists delimiter and quote injection', () => {
    expectAllDistinct([
      ['a,b'],
      ['a', 'b'],
      ['a","b'],
      ['"a","b"'],
      [['a', 'b']],
      ['1,2'],
      [1, 2],
      ['[1]'],
      [[1]],
      ['Date(1)'],
      ['1n'],
      ['{"a":1}'],
      [{ a: 1 }],
      [{ 'a":1,"b': 1 }],
      [{ a: 1, b: 1 }],
      [{ a: '1,"b":1' }],
      ['Map(1=>2)'],
      [new Map([[1, 2]])],
      ['Set(1)'],
      [new Set([1])],
      ['~'],
      ['\\'],
      ['\\"'],
      ['Point{"x":1,"y":2}'],
      [new Point(1, 2)],
      ['undefined'],
      ['null'],
      ['_'],
    ])
  })

  it('tags every typed array, DataView and ArrayBuffer by type and content', () => {
    const bytes = new Uint8Array(8).fill(1)
    const all = [
      ...TYPED_ARRAYS.map((Ctor) => [new Ctor(bytes.slice().buffer)]),
      [new DataView(bytes.slice().buffer)],
      [bytes.slice().buffer],
      [[1, 1, 1, 1, 1, 1, 1, 1]],
    ]
    expectAllDistinct(all)
    // above 64 bytes contents are hashed; the type tag still applies
    const large = new Uint8Array(128).fill(7)
    expectAllDistinct(TYPED_ARRAYS.map((Ctor) => [new Ctor(large.slice().buffer)]))
    expect(key(new Uint8Array([1]))).not.toBe(key(new Int8Array([1])))
    expect(key(new Uint8Array([1, 2]))).toBe(key(new Uint8Array([1, 2])))
    expect(key(new Uint8Array([1, 2]))).not.toBe(key(new Uint8Array([2, 1])))
    expect(key(new Float64Array([-0]))).not.toBe(key(new Float64Array([0])))
  })

  it('keys a view by its own window of the buffer, and a Buffer like its Uint8Array', () => {
    const buffer = new Uint8Array([9, 1, 2, 9]).buffer
    expect(key(new Uint8Array(buffer, 1, 2))).toBe(key(new Uint8Array([1, 2])))
    expect(key(new DataView(buffer, 1, 2))).toBe(key(new DataView(new Uint8Array([1, 2]).buffer)))
    expect(key(Buffer.from([1, 2]))).toBe(key(new Uint8Array([1, 2])))
  })

  it('hashes large binary contents, still telling them apart', () => {
    const a = new Uint8Array(10_000)
    const b = new Uint8Array(10_000)
    b[9_999] = 1
    expect(key(a)).toBe(key(new Uint8Array(10_000)))
    expect(key(a)).not.toBe(key(b))
    expect(key(a).length).toBeLessThan(80)
  })

  it('keys Date by time value, invalid Dates alike', () => {
    expect(key(new Date(5))).toBe(key(new Date(5)))
    expect(key(new Date(5))).not.toBe(key(new Date(6)))
    expect(key(new Date(NaN))).toBe(key(new Date('not a date')))
    expect(key(new Date(NaN))).not.toBe(key(new Date(0)))
  })

  it('keys RegExp by source and flags', () => {
    expect(key(/a+/g)).toBe(key(new RegExp('a+', 'g')))
    expectAllDistinct([[/a+/g], [/a+/], [/a+/i], [/a/g], ['/a+/g']])
  })

  it('ignores object key order, Map and Set insertion order', () => {
    expect(key({ a: 1, b: { c: 2, d: 3 } })).toBe(key({ b: { d: 3, c: 2 }, a: 1 }))
    expect(key({ 10: 'x', 2: 'y', b: 1 })).toBe(key({ b: 1, 2: 'y', 10: 'x' }))
    expect(key(new Map<unknown, unknown>([['a', 1], [2, 'b']]))).toBe(key(new Map<unknown, unknown>([[2, 'b'], ['a', 1]])))
    expect(key(new Set([3, 'x', 1]))).toBe(key(new Set([1, 3, 'x'])))
    expect(key(new Map([[{ k: 1 }, 1]]))).toBe(key(new Map([[{ k: 1 }, 1]])))
    expect(key(new Map([[1, 2]]))).not.toBe(key(new Map([[2, 1]])))
  })

  it('keys BigInt exactly', () => {
    expect(key(2n ** 100n)).toBe(key(2n ** 100n))
    expect(key(2n ** 100n)).not.toBe(key(2n ** 100n + 1n))
    expect(key(-1n)).not.toBe(key(1n))
  })

  it('tags class instances by constructor name; null-prototype objects are plain', () => {
    class Other {
      constructor(
        public x: unknown,
        public y: unknown,
      ) {}
    }
    expect(key(new Point(1, 2))).toBe('Point{"x":1,"y":2}')
    expect(key(new Point(1, 2))).toBe(key(new Point(1, 2)))
    expectAllDistinct([[new Point(1, 2)], [new Other(1, 2)], [{ x: 1, y: 2 }], [new Point(2, 1)]])
    const bare = Object.assign(Object.create(null) as object, { b: 1, a: 2 })
    expect(key(bare)).toBe(key({ a: 2, b: 1 }))
    expect(key(Object.create(null))).toBe(key({}))
  })

  it('keys boxed primitives, URLs and errors by their value, not as empty instances', () => {
    expectAllDistinct([[Object(1)], [Object(2)], [Object('a')], [Object(true)], [Object(1n)], [1], ['a']])
    expect(key(new URL('https://a.example/x'))).not.toBe(key(new URL('https://a.example/y')))
    expect(key(new URLSearchParams('a=1'))).not.toBe(key(new URLSearchParams('a=2')))
    expectAllDistinct([[new Error('a')], [new Error('b')], [new TypeError('a')]])
  })

  it('allows shared references that are not cycles', () => {
    const shared = { n: 1 }
    expect(key([shared, shared], { a: shared, b: shared })).toBe(key([{ n: 1 }, { n: 1 }], { a: { n: 1 }, b: { n: 1 } }))
    expect(key(shared, shared)).toBe('{"n":1},{"n":1}')
  })

  it('is re-entrant: a getter that builds a key does not see a false cycle', () => {
    const inner: { self?: unknown } = {}
    const outer = {
      get derived() {
        return stableKey([inner])
      },
    }
    inner.self = undefined
    expect(key(inner, outer)).toBe(`{"self":undefined},{"derived":${JSON.stringify('{"self":undefined}')}}`)
    // A getter that keys one of its own ancestors while that ancestor is being keyed: the
    // inner call must not mistake the outer call's ancestors for a cycle of its own.
    let busy = false
    const data: Record<string, unknown> = { n: 1 }
    data.child = {
      get k(): string {
        if (busy) return 'inner'
        busy = true
        const inner = stableKey([data])
        busy = false
        return inner
      },
    }
    expect(key(data)).toBe(`{"child":{"k":${JSON.stringify('{"child":{"k":"inner"},"n":1}')}},"n":1}`)
  })

  it('propagates an error thrown by a getter unchanged, and recovers', () => {
    const boom = new Error('getter failed')
    const bad = {
      nested: {
        get x(): number {
          throw boom
        },
      },
    }
    expect(() => key(bad)).toThrow(boom)
    const loop: Record<string, unknown> = {}
    loop.self = loop
    expect(() => key(loop)).toThrow(CacheKeyError)
    // state is clean afterwards: the same objects key normally
    expect(key({ a: [1] }, { a: [1] })).toBe('{"a":[1]},{"a":[1]}')
  })
})

describe('stableKey: arguments that cannot be keyed', () => {
  const cyclic: Record<string, unknown> = { a: 1 }
  cyclic.self = { back: cyclic }
  const cyclicArray: unknown[] = []
  cyclicArray.push([cyclicArray])
  const cyclicMap = new Map<string, unknown>()
  cyclicMap.set('m', cyclicMap)

  const cases: [string, unknown[], RegExp][] = [
    ['a function', [1, () => 1], /argument 1 contains a function/],
    ['a named function', [function area() {}], /a function \(area\)/],
    ['a class', [class A {}], /a function/],
    ['a symbol', [Symbol('s')], /a symbol/],
    ['a nested symbol', [{ a: [Symbol.iterator] }], /a symbol/],
    ['a boxed symbol', [Object(Symbol('s'))], /a symbol/],
    ['an object cycle', [cyclic], /cycle/],
    ['an array cycle', [cyclicArray], /cycle/],
    ['a Map cycle', [cyclicMap], /cycle/],
    ['a Promise', [Promise.resolve(1)], /Promise/],
    ['a WeakMap', [new WeakMap()], /WeakMap/],
    ['a WeakSet', [new WeakSet()], /WeakSet/],
    ['a WeakRef', [new WeakRef({})], /WeakRef/],
    ['a generator', [(function* () {})()], /iterator/],
    ['a Map iterator', [new Map().keys()], /iterator/],
  ]
  for (const [what, args, message] of cases) {
    it(`throws CacheKeyError for ${what}, telling the user to pass key:`, () => {
      let caught: unknown
      try {
        stableKey(args)
      } catch (error) {
        caught = error
      }
      expect(caught).toBeInstanceOf(CacheKeyError)
      const error = caught as CacheKeyError
      expect(error.code).toBe('E_CACHE_KEY')
      expect(error.message).toMatch(message)
      expect(error.message).toContain('key: (...args) => string')
    })
  }

  it('throws CacheKeyError for nesting too deep to walk', () => {
    let deep: unknown[] = []
    for (let i = 0; i < 200_000; i++) deep = [deep]
    expect(() => key(deep)).toThrow(CacheKeyError)
    expect(key([[[1]]])).toBe('[[[1]]]')
  })
})

describe('stableKey: long keys', () => {
  it(`keeps keys up to ${MAX_KEY_LENGTH} characters verbatim and hashes longer ones`, () => {
    const short = 'x'.repeat(MAX_KEY_LENGTH - 2)
    expect(key(short)).toBe(`"${short}"`)
    const long = 'x'.repeat(MAX_KEY_LENGTH)
    const hashed = key(long)
    expect(hashed).toBe(`"${'x'.repeat(31)}~${hash128(`"${long}"`)}`)
    expect(hashed.length).toBe(32 + 1 + 32)
  })

  it('hashes long multi-argument keys too, bounded whatever the input size', () => {
    const big = { list: Array.from({ length: 10_000 }, (_, i) => i) }
    expect(key(1, big).length).toBe(65)
    expect(key(1, big)).toBe(key(1, structuredClone(big)))
    expect(key(1, big)).not.toBe(key(2, big))
  })

  it('never ends the readable prefix on half a surrogate pair', () => {
    for (let pad = 0; pad < 4; pad++) {
      const k = key('a'.repeat(pad) + '😀'.repeat(150))
      expect(() => encodeURIComponent(k)).not.toThrow()
      expect(k).toMatch(/~[0-9a-f]{32}$/)
    }
  })

  it('escapes lone surrogates so short keys are well-formed', () => {
    const k = key('\ud800', { '\udc00': 1 })
    expect(() => encodeURIComponent(k)).not.toThrow()
    expect(k).not.toBe(key('\udc00', { '\ud800': 1 }))
  })

  it('gives 100k distinct long inputs 100k distinct bounded keys', () => {
    const seen = new Set<string>()
    const base = 'y'.repeat(250)
    let longest = 0
    for (let i = 0; i < 100_000; i++) {
      const k = i % 2 === 0 ? key(base + i) : key({ id: i, pad: base })
      longest = Math.max(longest, k.length)
      seen.add(k)
    }
    expect(longest).toBe(65)
    expect(seen.size).toBe(100_000)
  })
})

describe('keys/index', () => {
  it('exports exactly the public key helpers', () => {
    expect(Object.keys(keys).sort()).toEqual(['defaultNamespace', 'encodeNamespace', 'hash128', 'methodNamespace', 'stableKey'])
  })

  it('encodeNamespace percent-encodes `:` and `%` only, so `a` and `a:b` never share a key prefix', () => {
    expect(keys.encodeNamespace('api')).toBe('api')
    expect(keys.encodeNamespace('api:users')).toBe('api%3Ausers')
    expect(keys.encodeNamespace('a:b%3Ac')).toBe('a%3Ab%253Ac')
    expect(keys.encodeNamespace('a:b')).not.toBe(keys.encodeNamespace('a%3Ab'))
  })
})
