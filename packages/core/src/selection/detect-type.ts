import { isJsonContainer } from './estimate-size.js'

/**
 * What kind of result a value is, for choosing where to keep it:
 * - `primitive`: string, number, boolean, bigint, symbol, `null`, `undefined`;
 * - `json`: arrays and plain objects holding only JSON values (strings, finite numbers,
 *   booleans, `null`, nested arrays and plain objects);
 * - `collection`: Map, Set, and arrays or plain objects holding anything else (Date,
 *   `undefined`, NaN, bigint, typed arrays, class instances...);
 * - `binary`: ArrayBuffer, typed arrays (Buffer included), DataView, non-image Blob;
 * - `image`: a Blob whose type is `image/*`, or bytes starting with the PNG, JPEG, GIF or
 *   WebP signature;
 * - `object`: any other object: class instances, Date, RegExp, Error, functions, promises.
 */
export type ResultType = 'primitive' | 'json' | 'collection' | 'binary' | 'image' | 'object'

/** The result types, in a stable order (for docs and tests). */
export const RESULT_TYPES: readonly ResultType[] = ['primitive', 'json', 'collection', 'binary', 'image', 'object']

/** Elements checked per container, and nodes in all, when deciding whether a value is JSON. */
const JSON_SAMPLE = 64
const JSON_BUDGET = 4096

/** Whether the first bytes are a PNG, JPEG, GIF or WebP signature. */
export function hasImageSignature(bytes: Uint8Array): boolean {
  const b = (i: number) => bytes[i]
  if (b(0) === 0x89 && b(1) === 0x50 && b(2) === 0x4e && b(3) === 0x47 && b(4) === 0x0d && b(5) === 0x0a && b(6) === 0x1a && b(7) === 0x0a) {
    return true // PNG: \x89 P N G \r \n \x1a \n
  }
  if (b(0) === 0xff && b(1) === 0xd8 && b(2) === 0xff) return true // JPEG SOI + marker
  if (b(0) === 0x47 && b(1) === 0x49 && b(2) === 0x46 && b(3) === 0x38 && (b(4) === 0x37 || b(4) === 0x39) && b(5) === 0x61) {
    return true // GIF87a / GIF89a
  }
  // WebP: "RIFF", 4 bytes of length, "WEBP".
  return b(0) === 0x52 && b(1) === 0x49 && b(2) === 0x46 && b(3) === 0x46 && b(8) === 0x57 && b(9) === 0x45 && b(10) === 0x42 && b(11) === 0x50
}

function leadingBytes(value: ArrayBufferLike | ArrayBufferView): Uint8Array {
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, Math.min(12, value.byteLength))
  return new Uint8Array(value, 0, Math.min(12, value.byteLength))
}

function isBinary(value: object): value is ArrayBufferLike | ArrayBufferView {
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return true
  const Shared = (globalThis as { SharedArrayBuffer?: typeof SharedArrayBuffer }).SharedArrayBuffer
  return Shared !== undefined && value instanceof Shared
}

/** Whether every sampled value under `value` is JSON; large containers are sampled evenly. */
function isJson(value: unknown, budget: { left: number }, depth: number): boolean {
  if (--budget.left < 0) return true // out of budget: judge by what was seen
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return true
  if (typeof value === 'number') return Number.isFinite(value)
  if (!isJsonContainer(value) || depth > 64) return false
  const values = Array.isArray(value) ? value : Object.values(value)
  const n = values.length
  const k = Math.min(n, JSON_SAMPLE)
  for (let i = 0; i < k; i++) {
    if (!isJson(values[k === n ? i : Math.floor((i * n) / k)], budget, depth + 1)) return false
  }
  return true
}

/** Classify a result (see {@link ResultType}). Bounded work on big values; never throws. */
export function detectResultType(value: unknown): ResultType {
  try {
    return classify(value)
  } catch {
    return 'object' // a revoked Proxy and the like: nothing to inspect
  }
}

function classify(value: unknown): ResultType {
  if (value === null || (typeof value !== 'object' && typeof value !== 'function')) return 'primitive'
  if (typeof value === 'function') return 'object'
  const BlobClass = (globalThis as { Blob?: typeof Blob }).Blob
  if (BlobClass !== undefined && value instanceof BlobClass) return value.type.startsWith('image/') ? 'image' : 'binary'
  if (isBinary(value)) return hasImageSignature(leadingBytes(value)) ? 'image' : 'binary'
  if (value instanceof Map || value instanceof Set) return 'collection'
  if (isJsonContainer(value)) {
    try {
      return isJson(value, { left: JSON_BUDGET }, 0) ? 'json' : 'collection'
    } catch {
      return 'collection' // a throwing getter: certainly not plain JSON
    }
  }
  return 'object'
}
