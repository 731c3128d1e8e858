import { SerializationError } from '@twat-cache/core'

/**
 * The default value format of the cloudflare-kv engine: one JSON text in which what JSON cannot
 * say is a one-key object `{"\u0000<letter>": data}`. Edge-safe (no Buffer: bytes go through
 * `btoa`/`atob`, which Workers have), and ~1 KB min+gzip where devalue (the closest library) costs
 * ~4 KB of a Worker's 12 KB budget. Core's own serializer (`@twat-cache/core/node`) needs `node:buffer`.
 *
 * Round-trips strings, numbers (`NaN`, `±Infinity`, `-0`), booleans, `null`, `undefined`,
 * BigInt, Date (invalid ones too), RegExp, Map, Set, arrays (holes read back as `undefined`),
 * plain objects, every typed array, DataView and ArrayBuffer. Class instances are stored through
 * `toJSON()` if they have one, else as their own enumerable properties. Cycles, functions and
 * symbols throw `SerializationError`.
 */

const TAG = '\u0000'
type Views = Record<string, new (buffer: ArrayBuffer) => ArrayBufferView>
const VIEWS: Views = {
  Uint8Array, Uint8ClampedArray, Int8Array, Uint16Array, Int16Array, Uint32Array, Int32Array,
  Float32Array, Float64Array, BigInt64Array, BigUint64Array, DataView,
}

const tag = (letter: string, data: unknown): Record<string, unknown> => ({ [TAG + letter]: data })

function toBase64(bytes: Uint8Array): string {
  let binary = ''
  // Chunks keep String.fromCharCode's argument count well under engine limits.
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000))
  return btoa(binary)
}

function fromBase64(text: string): ArrayBuffer {
  const binary = atob(text)
  const bytes = new Uint8Array(binary.length)
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i)
  return bytes.buffer
}

function pack(value: unknown, ancestors: Set<object>): unknown {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value
    case 'number':
      return Number.isFinite(value) && !Object.is(value, -0) ? value : tag('n', String(Object.is(value, -0) ? '-0' : value))
    case 'undefined':
      return tag('u', 0)
    case 'bigint':
      return tag('b', value.toString())
    case 'object':
      break
    default:
      throw new SerializationError(`cannot store a ${typeof value} in KV: return plain data, or pass a custom serializer`)
  }
  if (value === null) return null
  if (ancestors.has(value)) throw new SerializationError('cannot store a cyclic structure in KV: break the cycle, or pass a custom serializer')
  ancestors.add(value)
  try {
    if (Array.isArray(value)) return Array.from(value, (item) => pack(item, ancestors))
    if (value instanceof Date) return tag('D', Number.isNaN(value.getTime()) ? null : value.getTime())
    if (value instanceof RegExp) return tag('R', [value.source, value.flags])
    if (value instanceof Map) return tag('M', Array.from(value, ([k, v]) => [pack(k, ancestors), pack(v, ancestors)]))
    if (value instanceof Set) return tag('S', Array.from(value, (item) => pack(item, ancestors)))
    if (value instanceof ArrayBuffer) return tag('A', toBase64(new Uint8Array(value)))
    if (ArrayBuffer.isView(value)) {
      const name = value.constructor.name
      if (!Object.hasOwn(VIEWS, name)) throw new SerializationError(`cannot store a ${name} in KV`)
      return tag('V', [name, toBase64(new Uint8Array(value.buffer, value.byteOffset, value.byteLength))])
    }
    const toJSON = (value as { toJSON?: unknown }).toJSON
    if (typeof toJSON === 'function') return pack(toJSON.call(value), ancestors)
    const entries = Object.entries(value).map(([k, v]) => [k, pack(v, ancestors)] as const)
    // A user key that looks like a tag would be misread: such objects go as an entry list.
    return entries.some(([k]) => k.startsWith(TAG)) ? tag('O', entries) : Object.fromEntries(entries)
  } finally {
    ancestors.delete(value)
  }
}

function unpack(node: unknown): unknown {
  if (typeof node !== 'object' || node === null) return node
  if (Array.isArray(node)) return node.map(unpack)
  const keys = Object.keys(node)
  const record = node as Record<string, unknown>
  if (keys.length !== 1 || !keys[0]!.startsWith(TAG)) {
    for (const key of keys) {
      const value = unpack(record[key])
      // JSON.parse makes `__proto__` an own key; plain assignment would call the prototype setter.
      if (key === '__proto__') Object.defineProperty(record, key, { value, enumerable: true, writable: true, configurable: true })
      else record[key] = value
    }
    return record
  }
  const data = record[keys[0]!] as never
  switch (keys[0]!.slice(1)) {
    case 'u':
      return undefined
    case 'n':
      return data === '-0' ? -0 : Number(data)
    case 'b':
      return BigInt(data)
    case 'D':
      return new Date(data ?? Number.NaN)
    case 'R':
      return new RegExp((data as string[])[0]!, (data as string[])[1])
    case 'M':
      return new Map((data as [unknown, unknown][]).map(([k, v]) => [unpack(k), unpack(v)]))
    case 'S':
      return new Set((data as unknown[]).map(unpack))
    case 'A':
      return fromBase64(data)
    case 'V': {
      const [name, bytes] = data as [string, string]
      const View = VIEWS[name]
      if (!View) throw new SerializationError(`cannot decode KV entry: unknown typed array ${name}`)
      return new View(fromBase64(bytes))
    }
    case 'O': {
      const out: Record<string, unknown> = {}
      for (const [k, v] of data as [string, unknown][]) Object.defineProperty(out, k, { value: unpack(v), enumerable: true, writable: true, configurable: true })
      return out
    }
    default:
      throw new SerializationError(`cannot decode KV entry: unknown tag ${JSON.stringify(keys[0])}`)
  }
}

/** `value` as one JSON text (see the module comment for what survives). */
export function encodeText(value: unknown): string {
  return JSON.stringify(pack(value, new Set()))
}

/** Inverse of {@link encodeText}; malformed input throws. */
export function decodeText(text: string): unknown {
  return unpack(JSON.parse(text))
}
