import { Buffer } from 'node:buffer'
import { SerializationError } from '../errors.js'

/**
 * The default codec: JSON for the structure, tags for what JSON cannot say, and a binary
 * section for typed arrays (base64 would cost a third more bytes and a slow encode).
 *
 * A tag is an object with exactly one key that starts with U+0000, e.g. `{"\u0000D": 0}` for
 * `new Date(0)`. A user object that itself has such a key is escaped as an entry list, so
 * decoding is never ambiguous. Values with no special types skip the tags entirely: the
 * caller checks {@link isPlainJson} first and uses `JSON.stringify` / `JSON.parse` directly.
 *
 * Shared references are written once per occurrence (they come back as separate copies);
 * cycles throw `SerializationError`.
 */

const TAG = '\u0000'
/** Nesting deeper than this is handed to the tagged encoder, which detects cycles. */
const FAST_DEPTH = 64

const T_UNDEFINED = '\u0000u'
const T_NUMBER = '\u0000n'
const T_BIGINT = '\u0000b'
const T_DATE = '\u0000D'
const T_REGEXP = '\u0000R'
const T_MAP = '\u0000M'
const T_SET = '\u0000S'
const T_VIEW = '\u0000V'
const T_ARRAY_BUFFER = '\u0000A'
const T_SPARSE = '\u0000P'
const T_OBJECT = '\u0000O'
const T_ERROR = '\u0000E'

const objectProto = Object.prototype

/** True when `JSON.parse(JSON.stringify(value))` gives `value` back exactly. */
export function isPlainJson(value: unknown, depth = 0): boolean {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return true
    case 'number':
      return Number.isFinite(value) && !(value === 0 && 1 / value < 0)
    case 'object': {
      if (value === null) return true
      if (depth > FAST_DEPTH) return false
      if (Array.isArray(value)) {
        // A hole reads as undefined, so this also sends sparse arrays to the tagged path.
        for (let i = 0; i < value.length; i++) if (!isPlainJson(value[i], depth + 1)) return false
        return true
      }
      const proto = Object.getPrototypeOf(value)
      if (proto !== objectProto && proto !== null) return false
      for (const key in value) {
        if (key.charCodeAt(0) === 0) return false
        if (!isPlainJson((value as Record<string, unknown>)[key], depth + 1)) return false
      }
      return true
    }
    default:
      return false
  }
}

/** Typed array constructors by name; `Buffer` comes back as a `Buffer`. */
const VIEWS: Record<string, (buffer: ArrayBuffer) => ArrayBufferView> = {
  Buffer: (b) => Buffer.from(b),
  Uint8Array: (b) => new Uint8Array(b),
  Uint8ClampedArray: (b) => new Uint8ClampedArray(b),
  Int8Array: (b) => new Int8Array(b),
  Uint16Array: (b) => new Uint16Array(b),
  Int16Array: (b) => new Int16Array(b),
  Uint32Array: (b) => new Uint32Array(b),
  Int32Array: (b) => new Int32Array(b),
  Float32Array: (b) => new Float32Array(b),
  Float64Array: (b) => new Float64Array(b),
  BigInt64Array: (b) => new BigInt64Array(b),
  BigUint64Array: (b) => new BigUint64Array(b),
  DataView: (b) => new DataView(b),
}
// Float16Array exists from Node 24 (and behind a flag before); support it where it exists.
const Float16 = (globalThis as { Float16Array?: new (b: ArrayBuffer) => ArrayBufferView }).Float16Array
if (Float16) VIEWS.Float16Array = (b) => new Float16(b)

const ERRORS: Record<string, ErrorConstructor> = {
  Error,
  TypeError,
  RangeError,
  SyntaxError,
  ReferenceError,
  EvalError,
  URIError,
}

interface Encoder {
  blobs: Uint8Array[]
  blobBytes: number
  ancestors: Set<object>
}

/**
 * Encode `value` as `[u32 LE json length][json][blob section]`. Blobs are referenced from the
 * JSON by offset and length, so the reader can bounds-check every one of them.
 */
export function encodeTagged(value: unknown): Buffer {
  const state: Encoder = { blobs: [], blobBytes: 0, ancestors: new Set() }
  const json = JSON.stringify(encode(value, state, ''))
  const jsonBytes = Buffer.byteLength(json)
  const out = Buffer.allocUnsafe(4 + jsonBytes + state.blobBytes)
  out.writeUInt32LE(jsonBytes, 0)
  out.write(json, 4, 'utf8')
  let offset = 4 + jsonBytes
  for (const blob of state.blobs) {
    out.set(blob, offset)
    offset += blob.byteLength
  }
  return out
}

function encode(value: unknown, state: Encoder, path: string): unknown {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value
    case 'number':
      if (Number.isFinite(value)) return value === 0 && 1 / value < 0 ? { [T_NUMBER]: '-0' } : value
      return { [T_NUMBER]: String(value) }
    case 'undefined':
      return { [T_UNDEFINED]: 0 }
    case 'bigint':
      return { [T_BIGINT]: value.toString() }
    case 'object':
      if (value === null) return null
      if (state.ancestors.has(value)) {
        throw new SerializationError(
          `cannot serialize a cyclic structure (at ${path || 'the top level'}): the default serializer copies values and cannot store cycles; break the cycle or pass a custom serializer`,
        )
      }
      state.ancestors.add(value)
      try {
        return encodeObject(value, state, path)
      } finally {
        state.ancestors.delete(value)
      }
    default:
      throw new SerializationError(
        `cannot serialize a ${typeof value} (at ${path || 'the top level'}): functions and symbols cannot be stored in a persistent cache; return plain data or pass a custom serializer`,
      )
  }
}

function encodeObject(value: object, state: Encoder, path: string): unknown {
  if (Array.isArray(value)) {
    const out: unknown[] = new Array(value.length)
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i]
      if (item === undefined && !(i in value)) return encodeSparse(value, state, path)
      out[i] = encode(item, state, `${path}[${i}]`)
    }
    return out
  }
  if (ArrayBuffer.isView(value)) {
    const name = value instanceof Buffer ? 'Buffer' : value.constructor.name
    if (!(name in VIEWS)) throw new SerializationError(`cannot serialize a ${name} (at ${path || 'the top level'}): unknown typed array type`)
    return { [T_VIEW]: [name, ...addBlob(new Uint8Array(value.buffer, value.byteOffset, value.byteLength), state)] }
  }
  if (value instanceof ArrayBuffer) return { [T_ARRAY_BUFFER]: addBlob(new Uint8Array(value), state) }
  if (value instanceof Date) {
    const time = value.getTime()
    return { [T_DATE]: Number.isNaN(time) ? null : time }
  }
  if (value instanceof RegExp) return { [T_REGEXP]: [value.source, value.flags] }
  if (value instanceof Map) {
    const entries: unknown[] = []
    let i = 0
    for (const [k, v] of value) {
      entries.push([encode(k, state, `${path}<map key ${i}>`), encode(v, state, `${path}<map value ${i}>`)])
      i++
    }
    return { [T_MAP]: entries }
  }
  if (value instanceof Set) {
    const items: unknown[] = []
    let i = 0
    for (const v of value) items.push(encode(v, state, `${path}<set item ${i++}>`))
    return { [T_SET]: items }
  }
  if (value instanceof Error) {
    const error: Record<string, unknown> = { name: value.name, message: value.message }
    if (typeof value.stack === 'string') error.stack = value.stack
    if ('cause' in value) error.cause = encode(value.cause, state, `${path}.cause`)
    return { [T_ERROR]: error }
  }
  const proto = Object.getPrototypeOf(value)
  if (proto !== objectProto && proto !== null) {
    // Class instances are stored the way JSON.stringify would see them: through toJSON when
    // they have one (Decimal, Luxon...), else as their own enumerable properties.
    const toJSON = (value as { toJSON?: unknown }).toJSON
    if (typeof toJSON === 'function') return encode(toJSON.call(value), state, path)
  }
  return encodePlain(value as Record<string, unknown>, state, path)
}

function encodePlain(value: Record<string, unknown>, state: Encoder, path: string): unknown {
  const keys = Object.keys(value)
  let escape = false
  for (const key of keys) {
    if (key.charCodeAt(0) === 0) {
      escape = true
      break
    }
  }
  if (escape) {
    return { [T_OBJECT]: keys.map((key) => [key, encode(value[key], state, `${path}.${key}`)]) }
  }
  const out: Record<string, unknown> = {}
  for (const key of keys) setOwn(out, key, encode(value[key], state, `${path}.${key}`))
  return out
}

function encodeSparse(value: unknown[], state: Encoder, path: string): unknown {
  const pairs: unknown[] = []
  for (const key of Object.keys(value)) {
    const index = Number(key)
    if (!Number.isInteger(index)) continue
    pairs.push(index, encode(value[index], state, `${path}[${index}]`))
  }
  return { [T_SPARSE]: [value.length, pairs] }
}

function addBlob(bytes: Uint8Array, state: Encoder): [number, number] {
  const offset = state.blobBytes
  state.blobs.push(bytes)
  state.blobBytes += bytes.byteLength
  return [offset, bytes.byteLength]
}

/** `obj[key] = value` that stores an own `__proto__` key instead of calling the setter. */
function setOwn(obj: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true })
  else obj[key] = value
}

/** Inverse of {@link encodeTagged}. Throws `SerializationError` on anything malformed. */
export function decodeTagged(bytes: Uint8Array): unknown {
  if (bytes.byteLength < 4) throw corrupt('payload shorter than its length prefix')
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const jsonBytes = view.readUInt32LE(0)
  if (4 + jsonBytes > view.byteLength) throw corrupt('structure longer than the entry')
  const tree: unknown = JSON.parse(view.toString('utf8', 4, 4 + jsonBytes))
  return revive(tree, view.subarray(4 + jsonBytes))
}

function revive(node: unknown, blobs: Buffer): unknown {
  if (typeof node !== 'object' || node === null) return node
  if (Array.isArray(node)) {
    for (let i = 0; i < node.length; i++) {
      const item: unknown = node[i]
      if (typeof item === 'object' && item !== null) node[i] = revive(item, blobs)
    }
    return node
  }
  const record = node as Record<string, unknown>
  let tag: string | undefined
  for (const key in record) {
    if (key.charCodeAt(0) === 0) tag = key
    break
  }
  if (tag === undefined) {
    for (const key in record) {
      const item = record[key]
      if (typeof item === 'object' && item !== null) {
        const revived = revive(item, blobs)
        if (revived !== item) setOwn(record, key, revived)
      }
    }
    return record
  }
  return reviveTag(tag, record[tag], blobs)
}

function reviveTag(tag: string, data: unknown, blobs: Buffer): unknown {
  switch (tag) {
    case T_UNDEFINED:
      return undefined
    case T_NUMBER:
      if (data === '-0') return -0
      if (data === 'NaN' || data === 'Infinity' || data === '-Infinity') return Number(data)
      throw corrupt(`bad number tag ${JSON.stringify(data)}`)
    case T_BIGINT:
      if (typeof data !== 'string') throw corrupt('bad bigint tag')
      return BigInt(data)
    case T_DATE:
      if (data !== null && typeof data !== 'number') throw corrupt('bad date tag')
      return new Date(data ?? Number.NaN)
    case T_REGEXP: {
      const [source, flags] = tuple(data, 2, 'regexp')
      return new RegExp(source as string, flags as string)
    }
    case T_MAP:
      return new Map(list(data, 'map').map((entry) => tuple(entry, 2, 'map entry').map((x) => revive(x, blobs)) as [unknown, unknown]))
    case T_SET:
      return new Set(list(data, 'set').map((x) => revive(x, blobs)))
    case T_VIEW: {
      const [name, offset, length] = tuple(data, 3, 'typed array')
      const make = VIEWS[name as string]
      if (!make) throw corrupt(`unknown typed array type ${JSON.stringify(name)}`)
      const bytes = blob(blobs, offset, length)
      try {
        return make(bytes)
      } catch (cause) {
        throw corrupt(`bad ${String(name)} length`, cause)
      }
    }
    case T_ARRAY_BUFFER: {
      const [offset, length] = tuple(data, 2, 'array buffer')
      return blob(blobs, offset, length)
    }
    case T_SPARSE: {
      const [length, pairs] = tuple(data, 2, 'sparse array')
      const flat = list(pairs, 'sparse array')
      if (typeof length !== 'number') throw corrupt('bad sparse array length')
      const out: unknown[] = new Array(length)
      for (let i = 0; i < flat.length; i += 2) {
        const index = flat[i]
        if (!Number.isInteger(index) || (index as number) < 0 || (index as number) >= length) throw corrupt('bad sparse array index')
        out[index as number] = revive(flat[i + 1], blobs)
      }
      return out
    }
    case T_OBJECT: {
      const out: Record<string, unknown> = {}
      for (const entry of list(data, 'object')) {
        const [key, value] = tuple(entry, 2, 'object entry')
        setOwn(out, key as string, revive(value, blobs))
      }
      return out
    }
    case T_ERROR: {
      const fields = data as Record<string, unknown>
      const Ctor = ERRORS[fields.name as string] ?? Error
      const error = new Ctor(String(fields.message))
      if (error.name !== fields.name) error.name = String(fields.name)
      if (typeof fields.stack === 'string') error.stack = fields.stack
      if ('cause' in fields) error.cause = revive(fields.cause, blobs)
      return error
    }
    default:
      throw corrupt(`unknown tag ${JSON.stringify(tag.slice(TAG.length))}`)
  }
}

function blob(blobs: Buffer, offset: unknown, length: unknown): ArrayBuffer {
  if (typeof offset !== 'number' || typeof length !== 'number' || offset < 0 || length < 0 || offset + length > blobs.byteLength) {
    throw corrupt('binary data out of bounds')
  }
  // A copy: the typed array must own an aligned buffer of exactly its size.
  const out = new ArrayBuffer(length)
  new Uint8Array(out).set(blobs.subarray(offset, offset + length))
  return out
}

function list(data: unknown, what: string): unknown[] {
  if (!Array.isArray(data)) throw corrupt(`bad ${what} tag`)
  return data
}

function tuple(data: unknown, length: number, what: string): unknown[] {
  if (!Array.isArray(data) || data.length !== length) throw corrupt(`bad ${what} tag`)
  return data
}

function corrupt(why: string, cause?: unknown): SerializationError {
  return new SerializationError(`cannot decode cache entry: ${why}`, { cause })
}
