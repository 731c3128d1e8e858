import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { hash128, hashBytes } from '../src/keys/hash.js'
import { MAX_KEY_LENGTH, stableKey } from '../src/keys/stable-key.js'
import { canonicalEqual, deepClone, lcg, leafArb, mutate, smallLeafArb, valueArb } from './keys-support.js'

const anyValue = valueArb()
const smallValue = valueArb(smallLeafArb, 2)
const runs = { numRuns: 500 }

describe('stableKey properties', () => {
  it('the reference equality and clone agree (sanity of the test oracle)', () => {
    fc.assert(
      fc.property(anyValue, fc.integer(), (v, seed) => {
        expect(canonicalEqual(v, v)).toBe(true)
        expect(canonicalEqual(v, deepClone(v))).toBe(true)
        expect(canonicalEqual(v, deepClone(v, lcg(seed)))).toBe(true)
      }),
      runs,
    )
  })

  it('is deterministic: the same value twice, and a deep clone, give the same key', () => {
    fc.assert(
      fc.property(anyValue, (v) => {
        const k = stableKey([v])
        expect(stableKey([v])).toBe(k)
        expect(stableKey([deepClone(v)])).toBe(k)
      }),
      runs,
    )
  })

  it('ignores the key order of every object and the insertion order of every Map and Set', () => {
    fc.assert(
      fc.property(anyValue, fc.integer(), (v, seed) => {
        expect(stableKey([deepClone(v, lcg(seed))])).toBe(stableKey([v]))
      }),
      runs,
    )
  })

  it('gives equal keys exactly to equal values (random pairs of arbitrary values)', () => {
    fc.assert(
      fc.property(anyValue, anyValue, (a, b) => {
        expect(stableKey([a]) === stableKey([b])).toBe(canonicalEqual(a, b))
      }),
      runs,
    )
  })

  it('gives equal keys exactly to equal values (pairs from a small domain, often equal)', () => {
    let equal = 0
    let different = 0
    fc.assert(
      fc.property(smallValue, smallValue, (a, b) => {
        const same = canonicalEqual(a, b)
        if (same) equal++
        else different++
        expect(stableKey([a]) === stableKey([b])).toBe(same)
      }),
      { numRuns: 3000 },
    )
    // Both directions were really exercised.
    expect(equal).toBeGreaterThan(20)
    expect(different).toBeGreaterThan(1000)
  })

  it('tells near-misses apart: one small change anywhere in a value changes the key', () => {
    let equal = 0
    let different = 0
    fc.assert(
      fc.property(anyValue, fc.integer(), (a, seed) => {
        const b = mutate(a, lcg(seed))
        const same = canonicalEqual(a, b)
        if (same) equal++
        else different++
        expect(stableKey([a]) === stableKey([b])).toBe(same)
      }),
      { numRuns: 3000 },
    )
    expect(different).toBeGreaterThan(2000)
    expect(equal).toBeGreaterThan(10)
  })

  it('keeps argument lists apart: f(a, b) vs f(c) never collide unless the lists are equal', () => {
    const args = fc.array(fc.oneof(smallValue, leafArb), { maxLength: 3 })
    let equal = 0
    fc.assert(
      fc.property(args, args, (a, b) => {
        const same = canonicalEqual(a, b)
        if (same) equal++
        expect(stableKey(a) === stableKey(b)).toBe(same)
      }),
      { numRuns: 2000 },
    )
    expect(equal).toBeGreaterThan(10)
  })

  it('treats an argument list like the elements it holds, with structure mattering', () => {
    fc.assert(
      fc.property(fc.array(anyValue, { maxLength: 3 }), (args) => {
        const k = stableKey(args)
        expect(stableKey(args.map((a) => deepClone(a)))).toBe(k)
        // wrapping the list in one array argument is a different call
        expect(stableKey([args])).not.toBe(k)
      }),
      runs,
    )
  })

  it('always returns well-formed strings, bounded in length', () => {
    fc.assert(
      fc.property(fc.array(anyValue, { maxLength: 3 }), (args) => {
        const k = stableKey(args)
        expect(() => encodeURIComponent(k)).not.toThrow()
        expect(k.length).toBeLessThanOrEqual(MAX_KEY_LENGTH)
      }),
      runs,
    )
  })
})

describe('hash128 properties', () => {
  it('hashes well-formed strings exactly like their UTF-8 bytes', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 80 }), (s) => {
        expect(hash128(s)).toBe(hashBytes(new TextEncoder().encode(s)))
      }),
      runs,
    )
  })

  it('hashes a lone surrogate as U+FFFD (EF BF BD), as TextEncoder writes it', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 80 }), fc.string({ unit: 'grapheme', maxLength: 20 }), (a, b) => {
        const bytes = [...new TextEncoder().encode(a), 0xef, 0xbf, 0xbd, ...new TextEncoder().encode(b)]
        expect(hash128(a + '\udc00' + b)).toBe(hashBytes(new Uint8Array(bytes)))
      }),
      runs,
    )
  })

  it('gives different well-formed strings different hashes', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), fc.string({ unit: 'binary', maxLength: 40 }), (a, b) => {
        expect(hash128(a) === hash128(b)).toBe(a === b)
      }),
      runs,
    )
  })

  it('gives long keys of strings with lone surrogates different hashes (stableKey escapes them)', () => {
    // Code units around the surrogate range, so lone halves, pairs and U+FFFD all appear.
    const unit = fc.integer({ min: 0xd7fe, max: 0xe001 }).map((c) => String.fromCharCode(c === 0xe001 ? 0xfffd : c))
    const text = fc.string({ unit, maxLength: 6 })
    const pad = 'x'.repeat(MAX_KEY_LENGTH)
    fc.assert(
      fc.property(text, text, (a, b) => {
        const ka = stableKey([pad + a])
        expect(ka).toMatch(/~[0-9a-f]{32}$/)
        expect(ka === stableKey([pad + b])).toBe(a === b)
      }),
      runs,
    )
  })
})
