/**
 * How big is a value? An estimate, fast on huge values: it never serializes, inspects at most
 * a fixed number of nodes (big containers are sampled and extrapolated) and stops walking a
 * container once its total passes the caller's limit.
 *
 * The model (what one byte means here):
 * - strings: their UTF-8 byte length (exact up to 16 Ki characters, sampled above);
 * - numbers, booleans, `null`, `undefined`, symbols, functions and opaque objects
 *   (WeakMap, Promise...): 8 bytes; bigints: 8 bytes per 64 bits;
 * - ArrayBuffer, typed arrays (Buffer included), DataView: `byteLength`; Blob/File: `size`;
 * - arrays and Sets: 16 bytes of header + 8 per slot + the elements;
 * - plain objects and class instances: 16 + per own enumerable key its UTF-8 length + 8 +
 *   the value; Maps: 16 + per entry 16 + key + value;
 * - Date 24, RegExp 16 + its source; a reference back to an enclosing object (a cycle)
 *   costs 8. An object referenced twice counts twice, as a serializer would write it.
 */

/** Size classes of the seed's selector: small < 10 KiB ≤ medium < 1 MiB ≤ large < 100 MiB ≤ very_large. */
export type DataSize = 'small' | 'medium' | 'large' | 'very_large'

const KIB = 1024
const MIB = 1024 * KIB

/** Lower bounds, in bytes, of every class above `small`. */
export const SIZE_THRESHOLDS = { medium: 10 * KIB, large: MIB, very_large: 100 * MIB } as const

export interface EstimateOptions {
  /**
   * Stop walking once the estimate reaches this many bytes: the result is then at least
   * `limit` (and may be less precise above it). A limit that is not a number counts as none.
   * @default Infinity
   */
  limit?: number
}

const SLOT = 8
const HEADER = 16
/** Entries of one container inspected before the rest is extrapolated from them. */
const SAMPLE = 128
/** Nodes one call may visit in all; split among the sampled children, so work stays bounded. */
const BUDGET = 8192
/** Nesting followed before a container is estimated from its first element alone. */
const MAX_DEPTH = 64
/** Strings up to this many characters are counted exactly; longer ones from windows. */
const STRING_EXACT = 16 * KIB
const STRING_WINDOWS = 16
const STRING_WINDOW = 1024

interface Walk {
  /** The objects enclosing the one being measured: a cycle is a reference back into it. */
  readonly path: object[]
  readonly limit: number
  // Looked up once per call: reading these globals costs ~0.5 µs each in Node.
  readonly Blob: typeof Blob | undefined
  readonly Shared: typeof SharedArrayBuffer | undefined
}

/** UTF-8 bytes of `s[from..to)`; a surrogate counts 2, so a pair counts 4. */
function utf8Range(s: string, from: number, to: number): number {
  let bytes = 0
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i)
    bytes += c < 0x80 ? 1 : c < 0x800 || (c >= 0xd800 && c <= 0xdfff) ? 2 : 3
  }
  return bytes
}

/** UTF-8 length of a string: exact when short, else extrapolated from evenly spaced windows. */
export function utf8Length(s: string): number {
  const n = s.length
  if (n <= STRING_EXACT) return utf8Range(s, 0, n)
  let bytes = 0
  for (let w = 0; w < STRING_WINDOWS; w++) {
    const start = Math.floor((w * (n - STRING_WINDOW)) / (STRING_WINDOWS - 1))
    bytes += utf8Range(s, start, start + STRING_WINDOW)
  }
  // Pure ASCII (the common case) extrapolates to exactly `n`.
  return Math.round((n * bytes) / (STRING_WINDOWS * STRING_WINDOW))
}

function isPlainContainer(value: object): boolean {
  const proto = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}

/** Bytes of a value that is not walked into (a primitive, or a leaf object). */
function leafBytes(value: unknown, walk: Walk): number | undefined {
  switch (typeof value) {
    case 'string':
      return utf8Length(value)
    case 'bigint': {
      const hexDigits = (value < 0n ? -value : value).toString(16).length
      return SLOT * Math.max(1, Math.ceil(hexDigits / 16))
    }
    case 'object':
      break
    default:
      return SLOT // number, boolean, undefined, symbol, function
  }
  if (value === null) return SLOT
  const object = value as object
  if (ArrayBuffer.isView(object)) return object.byteLength
  if (object instanceof ArrayBuffer || (walk.Shared !== undefined && object instanceof walk.Shared)) return object.byteLength
  if (walk.Blob !== undefined && object instanceof walk.Blob) return object.size
  if (object instanceof Date) return HEADER + SLOT
  if (object instanceof RegExp) return HEADER + utf8Length(object.source)
  if (object instanceof WeakMap || object instanceof WeakSet || object instanceof Promise) return SLOT
  return undefined
}

/** Read a property without letting a throwing getter abort the estimate. */
function read(object: object, key: string): unknown {
  try {
    return (object as Record<string, unknown>)[key]
  } catch {
    return undefined
  }
}

/**
 * Estimate of a container of `n` entries from its first entry alone: used once the budget or
 * the depth is exhausted. Exact for arrays of numbers; a nested container's first entry is
 * guessed at 64 bytes rather than walked.
 */
function shallow(n: number, perEntry: number, first: unknown, walk: Walk): number {
  if (n === 0) return HEADER
  const unit = leafBytes(first, walk) ?? 64
  return HEADER + n * (perEntry + unit)
}

function measure(value: unknown, budget: number, depth: number, walk: Walk): number {
  try {
    return measureUnguarded(value, budget, depth, walk)
  } catch {
    // A revoked Proxy, a collection whose iterator throws...: count the reference, go on.
    return SLOT
  }
}

function measureUnguarded(value: unknown, budget: number, depth: number, walk: Walk): number {
  // Arrays first: they are the common container, and skip the leaf checks' instanceof chain.
  const array = Array.isArray(value)
  if (!array) {
    const leaf = leafBytes(value, walk)
    if (leaf !== undefined) return leaf
  }
  const object = value as object
  // Only ancestors are remembered (at most MAX_DEPTH of them): cheaper than a Set of every
  // object seen, which cost more than the rest of the walk on wide values.
  if (walk.path.includes(object)) return SLOT
  if (budget <= 0 || depth >= MAX_DEPTH) return shallowOf(object, walk)
  walk.path.push(object)
  try {
    return walkInto(object, budget, depth, walk)
  } finally {
    walk.path.pop()
  }
}

function shallowOf(object: object, walk: Walk): number {
  if (Array.isArray(object)) return shallow(object.length, SLOT, object[0], walk)
  if (object instanceof Map) return shallow(object.size, 2 * SLOT, undefined, walk)
  if (object instanceof Set) return shallow(object.size, SLOT, object.values().next().value, walk)
  const keys = Object.keys(object)
  const firstKey = keys[0]
  if (firstKey === undefined) return HEADER
  return shallow(keys.length, SLOT + utf8Length(firstKey), read(object, firstKey), walk)
}

function walkInto(object: object, budget: number, depth: number, walk: Walk): number {
  if (Array.isArray(object)) {
    const n = object.length
    const child = childBudget(n, budget)
    return HEADER + n * SLOT + sampled(n, budget, (i) => measure(object[i], child, depth + 1, walk), walk)
  }
  if (object instanceof Map || object instanceof Set) {
    const isMap = object instanceof Map
    const n = object.size
    const perEntry = isMap ? 2 * SLOT : SLOT
    const k = Math.min(n, SAMPLE, budget)
    const child = childBudget(n, budget)
    // Maps and Sets cannot be indexed: the first `k` entries stand for the rest.
    let sum = 0
    let seen = 0
    for (const entry of isMap ? (object as Map<unknown, unknown>).entries() : object.values()) {
      if (seen >= k || sum >= walk.limit) break
      sum += isMap
        ? measure((entry as [unknown, unknown])[0], child, depth + 1, walk) + measure((entry as [unknown, unknown])[1], child, depth + 1, walk)
        : measure(entry, child, depth + 1, walk)
      seen++
    }
    return HEADER + n * perEntry + extrapolate(sum, seen, n)
  }
  // Plain objects and class instances alike: own enumerable string keys.
  const keys = Object.keys(object)
  const n = keys.length
  const child = childBudget(n, budget)
  return HEADER + n * SLOT + sampled(n, budget, (i) => utf8Length(keys[i]!) + measure(read(object, keys[i]!), child, depth + 1, walk), walk)
}

/** Each of the (at most SAMPLE) inspected children gets an equal share of what is left. */
function childBudget(n: number, budget: number): number {
  const k = Math.min(n, SAMPLE, budget)
  return k === 0 ? 0 : Math.floor((budget - k) / k)
}

/** Sum over `k` evenly spaced indices of `0..n`, extrapolated to all `n`. */
function sampled(n: number, budget: number, at: (i: number) => number, walk: Walk): number {
  const k = Math.min(n, SAMPLE, budget)
  let sum = 0
  let seen = 0
  for (; seen < k && sum < walk.limit; seen++) sum += at(k === n ? seen : Math.floor((seen * n) / k))
  return extrapolate(sum, seen, n)
}

function extrapolate(sum: number, seen: number, n: number): number {
  return seen === 0 || seen === n ? sum : (sum * n) / seen
}

/**
 * Estimated size of `value` in bytes (see the model above). Bounded work: at most ~8 K
 * nodes are visited however large the value is, so a 100 MB array is measured in well under a
 * millisecond. Never throws.
 */
export function estimateBytes(value: unknown, options: EstimateOptions = {}): number {
  // Never throws (documented): options that are not an object, or a limit that is not a
  // number (NaN, a string), mean no limit.
  const given = (options as EstimateOptions | null | undefined)?.limit
  const limit = typeof given === 'number' && !Number.isNaN(given) ? given : Number.POSITIVE_INFINITY
  // A string has at least one UTF-8 byte per UTF-16 unit: past the limit without reading it
  // (reading a string built by concatenation first flattens all of it).
  if (typeof value === 'string' && value.length >= limit) return value.length
  const global = globalThis as { Blob?: typeof Blob; SharedArrayBuffer?: typeof SharedArrayBuffer }
  const walk: Walk = { path: [], limit, Blob: global.Blob, Shared: global.SharedArrayBuffer }
  return Math.round(measure(value, BUDGET, 0, walk))
}

/** The size class of a byte count. */
export function sizeClassOf(bytes: number): DataSize {
  if (bytes < SIZE_THRESHOLDS.medium) return 'small'
  if (bytes < SIZE_THRESHOLDS.large) return 'medium'
  if (bytes < SIZE_THRESHOLDS.very_large) return 'large'
  return 'very_large'
}

/**
 * The size class of a value: small < 10 KiB ≤ medium < 1 MiB ≤ large < 100 MiB ≤ very_large,
 * from {@link estimateBytes}, which stops walking once past 100 MiB.
 */
export function estimateDataSize(value: unknown): DataSize {
  return sizeClassOf(estimateBytes(value, { limit: SIZE_THRESHOLDS.very_large }))
}

/** Whether `value` is an array or an object whose prototype is `Object.prototype` or `null`. */
export function isJsonContainer(value: unknown): value is Record<string, unknown> | unknown[] {
  return value !== null && typeof value === 'object' && (Array.isArray(value) || isPlainContainer(value))
}
