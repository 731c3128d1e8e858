/**
 * The default cache key: a canonical, readable serialization of a call's arguments.
 *
 * Grammar (outside quoted strings the characters `"` and `~` never appear, which is what
 * makes the encoding injective and lets a hashed key never equal a short one):
 *
 * | value                         | token                                          |
 * |-------------------------------|------------------------------------------------|
 * | string                        | JSON string: `"a,b"`                           |
 * | number                        | `1`, `1.5`, `-0`, `NaN`, `Infinity`, `-Infinity` |
 * | bigint                        | `1n`                                           |
 * | boolean, null, undefined      | `true` `false` `null` `undefined`              |
 * | array (hole = `_`)            | `[1,_,undefined]`                              |
 * | plain / null-prototype object | `{"a":1,"b":2}` (keys sorted)                  |
 * | class instance                | `Point{"x":1}` (constructor name + own enumerable props, sorted) |
 * | instance with no enumerable props and a `toJSON` | `Id<"a1">` (its `toJSON()` result)      |
 * | Headers, FormData             | `Headers(["a","1"])` (entries in iteration order) |
 * | Date                          | `Date(0)`, invalid: `Date(NaN)`                |
 * | Map, Set                      | `Map(1=>"a",2=>"b")`, `Set(1,2)` (entries sorted) |
 * | RegExp                        | `RegExp("a+",gi)`                              |
 * | typed array, DataView, ArrayBuffer | `Uint8Array(0102)` (hex bytes; over 64 bytes: `#length:hash`) |
 * | boxed primitive, URL, Error   | `Number(1)`, `URL("…")`, `TypeError("msg"){…}` |
 *
 * Arguments are joined with `,`. Choices, each because a cached function may return
 * different results for the two inputs:
 * - `-0` and `0` differ (`Object.is` semantics: `1 / x` tells them apart); all NaNs are equal.
 * - a hole in an array differs from an explicit `undefined`, and `{ a: undefined }` from `{}`.
 * - a null-prototype object is keyed like a plain object with the same entries (both are
 *   dictionaries); a class instance is tagged with its constructor name, so `new Point(1)`
 *   and `{ x: 1 }` differ.
 * - symbol-keyed and non-enumerable properties, and non-index properties of arrays, are
 *   ignored, as `JSON.stringify` does.
 * - typed-array bytes are read in platform byte order (little-endian on every mainstream
 *   engine); a `Buffer` is keyed like the `Uint8Array` it is.
 * - an instance with no enumerable state is keyed by its `toJSON()`; without one, it is refused
 *   when a getter on its class shows hidden state (Request, Blob, `#private` fields behind a
 *   getter), else keyed `Name{}` like every instance of its class (a stateless object).
 *
 * Limits (pass `key:` for these): a class instance whose state lives only in `#private`
 * fields, with neither `toJSON` nor a getter, keys like any other instance of its class;
 * objects from another realm (iframe, `vm`) are keyed as instances named after their constructor.
 *
 * Keys over {@link MAX_KEY_LENGTH} characters become a 32-character readable prefix, `~`
 * and the 128-bit {@link hash128} of the full key, so stored keys stay bounded.
 */
import { CacheKeyError } from '../errors.js'
import { HEX, hash128, hashBytes } from './hash.js'

/**
 * Longest key kept verbatim. Measured on Node 20, a Map hit with a fresh key: 0.52 µs
 * verbatim vs 0.85 µs hashed at 200 characters; hashing wins from ~600. Ordinary keys stay
 * readable, and what persistent stores (SQLite, Redis, files) hold per key stays bounded.
 */
export const MAX_KEY_LENGTH = 200
/** Characters of the original key kept in front of a hashed key, for humans reading a store. */
const HASHED_PREFIX = 32

/** Thrown inside the encoder; turned into a `CacheKeyError` at the top. Not an Error: no stack capture. */
class Unkeyable {
  constructor(readonly what: string) {}
}

// Ancestors of the object being encoded, for cycle detection. `floor` marks where the
// current top-level call starts, so a getter that itself builds a key (re-entrancy) does not
// see its caller's ancestors as its own.
const stack: unknown[] = []
let top = 0
let floor = 0

// %TypedArray%.prototype[Symbol.toStringTag] is a getter returning the internal type name
// ('Uint8Array', ...) or undefined: robust against subclasses and spoofed tags.
const typedArrayTag = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(Uint8Array.prototype), Symbol.toStringTag)!
  .get as (this: unknown) => string | undefined

const SIMPLE_NAME = /^[A-Za-z_$][\w$]*$/
/** Bytes up to this size are written out in hex; larger ones are hashed. */
const MAX_HEX_BYTES = 64

function num(n: number): string {
  // `'' + n` is shortest round-trip, so injective, except that -0 prints as '0'.
  return n === 0 ? (1 / n > 0 ? '0' : '-0') : '' + n
}

/** Same output as `JSON.stringify(s)`, skipping the native call for short strings that need no escaping. */
function str(s: string): string {
  // Measured: the JS scan wins below ~16 characters (16 vs 55 ns for one), the native call above.
  if (s.length > 12) return JSON.stringify(s)
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    // Control characters, `"`, `\` and surrogates (JSON.stringify escapes lone ones, which
    // would otherwise be mangled by any store that writes keys as UTF-8).
    if (c < 0x20 || c === 0x22 || c === 0x5c || (c >= 0xd800 && c <= 0xdfff)) return JSON.stringify(s)
  }
  return '"' + s + '"'
}

function enc(v: unknown): string {
  switch (typeof v) {
    case 'string':
      return str(v)
    case 'number':
      return num(v)
    case 'object':
      return v === null ? 'null' : obj(v)
    case 'boolean':
      return v ? 'true' : 'false'
    case 'undefined':
      return 'undefined'
    case 'bigint':
      return v + 'n'
    case 'function':
      throw new Unkeyable(`a function${(v as { name?: string }).name ? ` (${(v as { name: string }).name})` : ''}`)
    default:
      throw new Unkeyable(`a ${typeof v}`)
  }
}

function obj(v: object): string {
  for (let i = floor; i < top; i++) {
    if (stack[i] === v) throw new Unkeyable('a cycle')
  }
  stack[top++] = v
  const proto: unknown = Object.getPrototypeOf(v)
  const out =
    proto === Object.prototype || proto === null
      ? props(v as Record<string, unknown>)
      : proto === Array.prototype || Array.isArray(v)
        ? arr(v as unknown[])
        : special(v, proto as object | null)
  // Drop the reference so the last arguments are not kept alive by this module.
  stack[--top] = undefined
  return out
}

/** `{"k":v,...}` over own enumerable string keys, sorted. */
function props(o: Record<string, unknown>): string {
  const keys = Object.keys(o)
  const n = keys.length
  if (n === 0) return '{}'
  // Most objects are written with the same key order at every call site; checking is
  // cheaper than sorting, and sort() only runs when a call site uses another order.
  for (let i = 1; i < n; i++) {
    if (keys[i - 1]! > keys[i]!) {
      keys.sort()
      break
    }
  }
  let k = keys[0]!
  let out = '{' + str(k) + ':' + enc(o[k])
  for (let i = 1; i < n; i++) {
    k = keys[i]!
    out += ',' + str(k) + ':' + enc(o[k])
  }
  return out + '}'
}

function arr(a: readonly unknown[]): string {
  const n = a.length
  if (n === 0) return '[]'
  let out = '['
  for (let i = 0; i < n; i++) {
    const x = a[i]
    // `i in a` only when needed: it tells a hole from an explicit undefined.
    out += (i === 0 ? '' : ',') + (x === undefined && !(i in a) ? '_' : enc(x))
  }
  return out + ']'
}

function bytes(tag: string, b: Uint8Array): string {
  const n = b.length
  if (n > MAX_HEX_BYTES) return tag + '(#' + n + ':' + hashBytes(b) + ')'
  let out = tag + '('
  for (let i = 0; i < n; i++) out += HEX[b[i]!]!
  return out + ')'
}

function special(v: object, proto: object | null): string {
  if (v instanceof Date) return 'Date(' + num(v.getTime()) + ')'
  const map = v instanceof Map
  if (map || v instanceof Set) {
    // Entries sorted by their encoding: insertion order does not change the key.
    const parts: string[] = []
    for (const x of v as Iterable<unknown>) parts.push(map ? enc((x as unknown[])[0]) + '=>' + enc((x as unknown[])[1]) : enc(x))
    return (map ? 'Map(' : 'Set(') + parts.sort().join(',') + ')'
  }
  if (ArrayBuffer.isView(v)) {
    return bytes(typedArrayTag.call(v) ?? 'DataView', new Uint8Array(v.buffer, v.byteOffset, v.byteLength))
  }
  if (v instanceof RegExp) return 'RegExp(' + str(v.source) + ',' + v.flags + ')'
  const ctor: unknown = proto === null ? undefined : (proto as { constructor?: unknown }).constructor
  const raw = typeof ctor === 'function' ? ctor.name : ''
  const name = SIMPLE_NAME.test(raw) ? raw : str(raw)
  if (v instanceof ArrayBuffer || (typeof SharedArrayBuffer === 'function' && v instanceof SharedArrayBuffer)) {
    return bytes(name, new Uint8Array(v))
  }
  // Boxed primitives and URLs keep their state in internal slots: as class instances they
  // would all get the same key. A boxed symbol is refused like a symbol.
  if (v instanceof Number || v instanceof String || v instanceof Boolean || v instanceof BigInt || v instanceof Symbol) {
    return name + '(' + enc(v.valueOf()) + ')'
  }
  if (typeof URL === 'function' && (v instanceof URL || v instanceof URLSearchParams)) return name + '(' + str(String(v)) + ')'
  const tag = (v as { [Symbol.toStringTag]?: unknown })[Symbol.toStringTag]
  if (
    v instanceof Promise ||
    v instanceof WeakMap ||
    v instanceof WeakSet ||
    v instanceof WeakRef ||
    (typeof tag === 'string' && /(Generator|Iterator)$/.test(tag))
  ) {
    throw new Unkeyable(`a ${String(tag)} (promises, weak references and iterators have no readable state)`)
  }
  if (v instanceof Error) return name + '(' + str(String(v.message)) + ')' + props(v as unknown as Record<string, unknown>)
  // Headers and FormData keep their entries in internal slots; they are finite and in a
  // defined order, so they are keyed like the list of [name, value] pairs they iterate.
  if ((typeof Headers === 'function' && v instanceof Headers) || (typeof FormData === 'function' && v instanceof FormData)) {
    const parts: string[] = []
    for (const entry of v as unknown as Iterable<unknown>) parts.push(enc(entry))
    return name + '(' + parts.join(',') + ')'
  }
  const own = props(v as Record<string, unknown>)
  return own === '{}' ? stateless(v, proto, name) : name + own
}

/**
 * An instance with no enumerable state: `Name{}` would give every instance of its class one
 * key. Its `toJSON()` is what the class declares as its value (Temporal, bson's ObjectId,
 * classes with `#private` fields); without one, a getter on its class shows that the state is
 * hidden (`#private` fields, internal slots of Request, Blob, AbortSignal) and it is refused.
 */
function stateless(v: object, proto: object | null, name: string): string {
  const toJSON = (v as { toJSON?: unknown }).toJSON
  if (typeof toJSON === 'function') {
    const json: unknown = toJSON.call(v, '')
    if (json !== v) return name + '<' + enc(json) + '>'
  }
  // Up to, not including, the root prototype (Object.prototype of whichever realm).
  for (let p = proto; p !== null && Object.getPrototypeOf(p) !== null; p = Object.getPrototypeOf(p) as object | null) {
    for (const k of Reflect.ownKeys(p)) {
      if (k !== Symbol.toStringTag && Object.getOwnPropertyDescriptor(p, k)!.get) {
        throw new Unkeyable(`a ${name} (its state is in private fields or internal slots, which a key cannot read)`)
      }
    }
  }
  return name + '{}'
}

/** The key as stored: verbatim up to {@link MAX_KEY_LENGTH} characters, else shortened. */
function finish(key: string): string {
  if (key.length <= MAX_KEY_LENGTH) {
    // V8 represents `a + b` of 13+ characters as a rope (ConsString). A Map lookup must
    // flatten it before hashing, on a slow runtime path; reading one character flattens it on
    // the fast path. Measured: a memoized hit of f(id, {a, b}) goes from 0.80x to 0.94x of a
    // Map keyed by JSON.stringify(args). Harmless on engines without ropes.
    key.charCodeAt(0)
    return key
  }
  let cut = HASHED_PREFIX
  const c = key.charCodeAt(cut - 1)
  // Never end the prefix on half a surrogate pair: keys stay well-formed UTF-16.
  if (c >= 0xd800 && c <= 0xdbff) cut--
  return key.slice(0, cut) + '~' + hash128(key)
}

function keyError(error: unknown, index: number): unknown {
  const advice = 'Pass `key: (...args) => string` in the cache options to build keys yourself.'
  if (error instanceof Unkeyable) {
    return new CacheKeyError(`cannot build a cache key: argument ${index} contains ${error.what}. ${advice}`)
  }
  if (error instanceof RangeError) {
    return new CacheKeyError(`cannot build a cache key: argument ${index} is nested too deeply or is too large. ${advice}`, {
      cause: error,
    })
  }
  // A getter that threw: the user's own error, unchanged.
  return error
}

/**
 * The default cache key for a call with `args`: equal arguments (deep, order-insensitive for
 * object keys, Map and Set) give equal keys, different ones give different keys.
 *
 * @throws CacheKeyError for arguments that cannot be keyed: functions, symbols, Promises,
 *   WeakMap/WeakSet/WeakRef, iterators, cycles (a shared acyclic reference is fine), and
 *   instances whose state only getters reach (Request, Response, Blob, `#private` fields).
 */
export function stableKey(args: readonly unknown[]): string {
  const n = args.length
  if (n === 1) {
    // Fast path for the most common memoized call, f(id).
    const a = args[0]
    if (typeof a === 'number') return num(a)
    if (typeof a === 'string') return finish(str(a))
  }
  const saved = floor
  floor = top
  let i = 0
  let key = ''
  try {
    for (; i < n; i++) key += i === 0 ? enc(args[i]) : ',' + enc(args[i])
  } catch (error) {
    while (top > floor) stack[--top] = undefined
    floor = saved
    throw keyError(error, i)
  }
  floor = saved
  return finish(key)
}
