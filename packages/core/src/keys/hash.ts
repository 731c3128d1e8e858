/**
 * MurmurHash3, x86 128-bit variant (Austin Appleby's public-domain algorithm), written for
 * this package in plain JS so it bundles anywhere: no `node:crypto`, no `Buffer`, no WASM.
 * Non-cryptographic: it bounds key length and keeps collisions out of practical reach
 * (128 bits), it does not resist an attacker choosing keys.
 *
 * Strings are hashed as UTF-8. Lone surrogates, which UTF-8 cannot encode, are written as
 * their 3-byte generalized form (WTF-8) instead of being replaced by U+FFFD, so two strings
 * that differ only in a lone surrogate still hash differently. For well-formed strings the
 * bytes are exactly UTF-8, so published MurmurHash3 vectors apply.
 */

const C1 = 0x239b961b
const C2 = 0xab0e9789
const C3 = 0x38b34ae5
const C4 = 0xa1e38b93

// One scratch buffer, grown on demand: hashing a long key then allocates nothing but the
// hex string. Up to 3 bytes per UTF-16 code unit (a surrogate pair is 4 bytes for 2 units).
let scratch = new Uint8Array(1024)

// Results of the last `mix` call; module state instead of a returned tuple keeps the hot
// path allocation-free.
let r1 = 0
let r2 = 0
let r3 = 0
let r4 = 0

function fmix32(h: number): number {
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  return h ^ (h >>> 16)
}

function word(b: Uint8Array, i: number): number {
  return b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24)
}

/** Hash `b[0..len)` into r1..r4. */
function mix(b: Uint8Array, len: number, seed: number): void {
  let h1 = seed | 0
  let h2 = h1
  let h3 = h1
  let h4 = h1
  let k1 = 0
  let k2 = 0
  let k3 = 0
  let k4 = 0
  const blocks = len - (len & 15)
  for (let i = 0; i < blocks; i += 16) {
    k1 = Math.imul(word(b, i), C1)
    k1 = Math.imul((k1 << 15) | (k1 >>> 17), C2)
    h1 ^= k1
    h1 = (h1 << 19) | (h1 >>> 13)
    h1 = (Math.imul(h1 + h2, 5) + 0x561ccd1b) | 0

    k2 = Math.imul(word(b, i + 4), C2)
    k2 = Math.imul((k2 << 16) | (k2 >>> 16), C3)
    h2 ^= k2
    h2 = (h2 << 17) | (h2 >>> 15)
    h2 = (Math.imul(h2 + h3, 5) + 0x0bcaa747) | 0

    k3 = Math.imul(word(b, i + 8), C3)
    k3 = Math.imul((k3 << 17) | (k3 >>> 15), C4)
    h3 ^= k3
    h3 = (h3 << 15) | (h3 >>> 17)
    h3 = (Math.imul(h3 + h4, 5) + 0x96cd1c35) | 0

    k4 = Math.imul(word(b, i + 12), C4)
    k4 = Math.imul((k4 << 18) | (k4 >>> 14), C1)
    h4 ^= k4
    h4 = (h4 << 13) | (h4 >>> 19)
    h4 = (Math.imul(h4 + h1, 5) + 0x32ac3b17) | 0
  }

  // Tail: up to 15 bytes, little-endian into k1..k4; missing bytes are zero.
  const rest = len & 15
  if (rest > 0) {
    k1 = k2 = k3 = k4 = 0
    for (let j = rest - 1; j >= 0; j--) {
      const byte = b[blocks + j]!
      const shift = (j & 3) << 3
      if (j >= 12) k4 |= byte << shift
      else if (j >= 8) k3 |= byte << shift
      else if (j >= 4) k2 |= byte << shift
      else k1 |= byte << shift
    }
    if (rest > 12) {
      k4 = Math.imul(k4, C4)
      h4 ^= Math.imul((k4 << 18) | (k4 >>> 14), C1)
    }
    if (rest > 8) {
      k3 = Math.imul(k3, C3)
      h3 ^= Math.imul((k3 << 17) | (k3 >>> 15), C4)
    }
    if (rest > 4) {
      k2 = Math.imul(k2, C2)
      h2 ^= Math.imul((k2 << 16) | (k2 >>> 16), C3)
    }
    k1 = Math.imul(k1, C1)
    h1 ^= Math.imul((k1 << 15) | (k1 >>> 17), C2)
  }

  h1 ^= len
  h2 ^= len
  h3 ^= len
  h4 ^= len
  h1 = (h1 + h2 + h3 + h4) | 0
  h2 = (h2 + h1) | 0
  h3 = (h3 + h1) | 0
  h4 = (h4 + h1) | 0
  h1 = fmix32(h1)
  h2 = fmix32(h2)
  h3 = fmix32(h3)
  h4 = fmix32(h4)
  h1 = (h1 + h2 + h3 + h4) | 0
  h2 = (h2 + h1) | 0
  h3 = (h3 + h1) | 0
  h4 = (h4 + h1) | 0
  r1 = h1 >>> 0
  r2 = h2 >>> 0
  r3 = h3 >>> 0
  r4 = h4 >>> 0
}

/** Encode `s` as UTF-8 (WTF-8 for lone surrogates) into `scratch`; returns the byte length. */
function encode(s: string): number {
  const n = s.length
  if (scratch.length < n * 3) scratch = new Uint8Array(Math.max(n * 3, scratch.length * 2))
  const out = scratch
  let p = 0
  for (let i = 0; i < n; i++) {
    let c = s.charCodeAt(i)
    if (c < 0x80) {
      out[p++] = c
    } else if (c < 0x800) {
      out[p++] = 0xc0 | (c >> 6)
      out[p++] = 0x80 | (c & 63)
    } else {
      if (c >= 0xd800 && c <= 0xdbff && i + 1 < n) {
        const d = s.charCodeAt(i + 1)
        if (d >= 0xdc00 && d <= 0xdfff) {
          c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00)
          i++
          out[p++] = 0xf0 | (c >> 18)
          out[p++] = 0x80 | ((c >> 12) & 63)
          out[p++] = 0x80 | ((c >> 6) & 63)
          out[p++] = 0x80 | (c & 63)
          continue
        }
      }
      out[p++] = 0xe0 | (c >> 12)
      out[p++] = 0x80 | ((c >> 6) & 63)
      out[p++] = 0x80 | (c & 63)
    }
  }
  return p
}

/** Two lowercase hex digits for each byte value. */
export const HEX: readonly string[] = Array.from({ length: 256 }, (_, i) => (i < 16 ? '0' : '') + i.toString(16))

// A table, not `n.toString(16)`: radix conversion of numbers above 2^31 (heap numbers in V8)
// is a slow runtime path, measured at 80% of a hash128 call.
function hex8(n: number): string {
  return HEX[n >>> 24]! + HEX[(n >>> 16) & 255]! + HEX[(n >>> 8) & 255]! + HEX[n & 255]!
}

/**
 * MurmurHash3 x86_128 of raw bytes, as the four 32-bit words `[h1, h2, h3, h4]` of the
 * reference implementation (its output bytes are these words, little-endian).
 */
export function murmur3x86_128(bytes: Uint8Array, seed = 0): [number, number, number, number] {
  mix(bytes, bytes.length, seed)
  return [r1, r2, r3, r4]
}

/**
 * 128-bit MurmurHash3 (x86_128, seed 0) of a string's UTF-8 bytes, as 32 lowercase hex
 * characters: the words h1..h4, each written most significant digit first (the format of
 * most JS MurmurHash3 libraries).
 */
export function hash128(input: string): string {
  // Encode first: it may replace `scratch`, which an argument list would already have read.
  const length = encode(input)
  mix(scratch, length, 0)
  return hex8(r1) + hex8(r2) + hex8(r3) + hex8(r4)
}

/** {@link hash128} of raw bytes (no string encoding step), same output format. */
export function hashBytes(bytes: Uint8Array): string {
  mix(bytes, bytes.length, 0)
  return hex8(r1) + hex8(r2) + hex8(r3) + hex8(r4)
}
