/**
 * Test support for the key builder: value generators, and an independent reference of
 * "equal arguments" (deep, object key order and Map/Set order irrelevant, `Object.is` on
 * primitives, holes distinct from undefined) to check `stableKey` against.
 */
import fc from 'fast-check'

export class Point {
  constructor(
    public x: unknown,
    public y: unknown,
  ) {}
}

type TypedArrayCtor = { new (buffer: ArrayBuffer): ArrayBufferView; BYTES_PER_ELEMENT: number; name: string }
export const TYPED_ARRAYS: TypedArrayCtor[] = [
  Int8Array,
  Uint8Array,
  Uint8ClampedArray,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  Float32Array,
  Float64Array,
  BigInt64Array,
  BigUint64Array,
]

/** A binary value of any kind built from the bytes (truncated to a whole number of elements). */
function binary(kind: number, raw: Uint8Array): ArrayBufferView | ArrayBuffer {
  if (kind === TYPED_ARRAYS.length) return new DataView(raw.slice().buffer)
  if (kind === TYPED_ARRAYS.length + 1) return raw.slice().buffer
  const Ctor = TYPED_ARRAYS[kind]!
  const n = raw.length - (raw.length % Ctor.BYTES_PER_ELEMENT)
  return new Ctor(raw.slice(0, n).buffer)
}

export const binaryArb = fc
  .tuple(fc.integer({ min: 0, max: TYPED_ARRAYS.length + 1 }), fc.uint8Array({ maxLength: 80 }))
  .map(([kind, raw]) => binary(kind, raw))

/** Property names that have tripped serializers: prototype keys, integer-like ones, quotes. */
export const keyArb = fc.oneof(
  fc.string({ maxLength: 6 }),
  fc.constantFrom('__proto__', 'constructor', 'toJSON', '', 'a', 'b', '2', '10', '"', ':', ',', '}'),
)

const specialNumbers = fc.constantFrom(0, -0, NaN, Infinity, -Infinity, 1, -1, 0.1, 2 ** 53, Number.MIN_VALUE)

export const leafArb: fc.Arbitrary<unknown> = fc.oneof(
  fc.string({ maxLength: 8 }),
  fc.string({ unit: 'binary', maxLength: 6 }),
  fc.constantFrom('', ',', '"', '\\', '~', '[1]', '1', 'null', 'undefined', '\ud800', '\udc00', '😀'),
  fc.double(),
  specialNumbers,
  fc.integer(),
  fc.bigInt(),
  fc.boolean(),
  fc.constant(null),
  fc.constant(undefined),
  fc.date({ noInvalidDate: false }),
  binaryArb,
)

/** Arbitrary nested values of every type stableKey must handle. */
export function valueArb(leaf: fc.Arbitrary<unknown> = leafArb, size = 4): fc.Arbitrary<unknown> {
  const { value } = fc.letrec<{ value: unknown }>((tie) => ({
    value: fc.oneof(
      { depthSize: 'small', maxDepth: 3, withCrossShrink: true },
      leaf,
      fc.array(tie('value'), { maxLength: size }),
      fc.sparseArray(tie('value'), { maxLength: size + 2 }),
      fc.dictionary(size > 2 ? keyArb : fc.constantFrom('a', 'b'), tie('value'), { maxKeys: size }),
      fc.array(fc.tuple(tie('value'), tie('value')), { maxLength: size - 1 }).map((e) => new Map(e)),
      fc.array(tie('value'), { maxLength: size - 1 }).map((e) => new Set(e)),
      fc.tuple(tie('value'), tie('value')).map(([x, y]) => new Point(x, y)),
    ),
  }))
  return value
}

/**
 * A small domain (few leaves, short containers) in which two independently drawn values are
 * often equal, so pair properties test both directions.
 */
export const smallLeafArb: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(0, -0, 1, '1', 1n, NaN, '', 'a', null, undefined, true, false),
  fc.constantFrom(0, 1, NaN).map((t) => new Date(t)),
  fc.constantFrom(0, 1).map((b) => new Uint8Array([b])),
  fc.constantFrom(0, 1).map((b) => new Int8Array([b])),
)

type Kind = string
function kindOf(v: object): Kind {
  if (Array.isArray(v)) return 'array'
  const proto: unknown = Object.getPrototypeOf(v)
  if (proto === Object.prototype || proto === null) return 'plain'
  if (v instanceof Date) return 'date'
  if (v instanceof Map) return 'map'
  if (v instanceof Set) return 'set'
  if (v instanceof DataView) return 'bytes:DataView'
  if (ArrayBuffer.isView(v)) return `bytes:${(v as unknown as { [Symbol.toStringTag]: string })[Symbol.toStringTag]}`
  if (v instanceof ArrayBuffer) return 'bytes:ArrayBuffer'
  return `instance:${(proto as { constructor: { name: string } }).constructor.name}`
}

function bytesOf(v: ArrayBufferView | ArrayBuffer): Uint8Array {
  return v instanceof ArrayBuffer ? new Uint8Array(v) : new Uint8Array(v.buffer, v.byteOffset, v.byteLength)
}

/** Every element of `xs` matched to a distinct equal element of `ys` (multiset equality). */
function sameMultiset<T>(xs: T[], ys: T[], eq: (x: T, y: T) => boolean): boolean {
  if (xs.length !== ys.length) return false
  const used = new Array<boolean>(ys.length).fill(false)
  return xs.every((x) => {
    const j = ys.findIndex((y, i) => !used[i] && eq(x, y))
    if (j < 0) return false
    used[j] = true
    return true
  })
}

/** The reference "same arguments" relation the key must agree with. */
export function canonicalEqual(a: unknown, b: unknown): boolean {
  if (typeof a !== typeof b) return false
  if (typeof a !== 'object' || a === null || b === null) return Object.is(a, b)
  const o = a as object
  const p = b as object
  const kind = kindOf(o)
  if (kind !== kindOf(p)) return false
  if (kind === 'date') return Object.is((o as Date).getTime(), (p as Date).getTime())
  if (kind.startsWith('bytes:')) {
    const x = bytesOf(o as ArrayBuffer)
    const y = bytesOf(p as ArrayBuffer)
    return x.length === y.length && x.every((byte, i) => byte === y[i])
  }
  if (kind === 'array') {
    const x = o as unknown[]
    const y = p as unknown[]
    if (x.length !== y.length) return false
    for (let i = 0; i < x.length; i++) {
      if (i in x !== i in y) return false
      if (i in x && !canonicalEqual(x[i], y[i])) return false
    }
    return true
  }
  if (kind === 'map') {
    const eq = (e: [unknown, unknown], f: [unknown, unknown]) => canonicalEqual(e[0], f[0]) && canonicalEqual(e[1], f[1])
    return sameMultiset([...(o as Map<unknown, unknown>)], [...(p as Map<unknown, unknown>)], eq)
  }
  if (kind === 'set') return sameMultiset([...(o as Set<unknown>)], [...(p as Set<unknown>)], canonicalEqual)
  const xk = Object.keys(o).sort()
  const yk = Object.keys(p).sort()
  if (xk.length !== yk.length || xk.some((k, i) => k !== yk[i])) return false
  return xk.every((k) => canonicalEqual((o as Record<string, unknown>)[k], (p as Record<string, unknown>)[k]))
}

/** Deterministic pseudo-random source for shuffles (a seeded LCG, so failures replay). */
export function lcg(seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0
    return s / 2 ** 32
  }
}

function shuffle<T>(xs: T[], rand: (() => number) | undefined): T[] {
  if (!rand) return xs
  for (let i = xs.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1))
    ;[xs[i], xs[j]] = [xs[j]!, xs[i]!]
  }
  return xs
}

/**
 * A structurally equal deep copy sharing no objects with `v`. With `rand`, every plain
 * object's keys and every Map's and Set's entries are inserted in a shuffled order.
 */
export function deepClone(v: unknown, rand?: () => number): unknown {
  if (typeof v !== 'object' || v === null) return v
  const kind = kindOf(v)
  if (kind === 'date') return new Date((v as Date).getTime())
  if (kind.startsWith('bytes:')) {
    const copy = bytesOf(v as ArrayBuffer).slice().buffer
    if (v instanceof ArrayBuffer) return copy
    if (v instanceof DataView) return new DataView(copy)
    const Ctor = (v as object).constructor as TypedArrayCtor
    return new Ctor(copy)
  }
  if (kind === 'array') {
    const x = v as unknown[]
    const out = new Array<unknown>(x.length)
    for (let i = 0; i < x.length; i++) if (i in x) out[i] = deepClone(x[i], rand)
    return out
  }
  if (kind === 'map') {
    const entries = shuffle([...(v as Map<unknown, unknown>)], rand)
    return new Map(entries.map(([k, x]) => [deepClone(k, rand), deepClone(x, rand)]))
  }
  if (kind === 'set') return new Set(shuffle([...(v as Set<unknown>)], rand).map((x) => deepClone(x, rand)))
  const out = Object.create(Object.getPrototypeOf(v)) as Record<string, unknown>
  for (const k of shuffle(Object.keys(v), rand)) {
    // defineProperty, not assignment: an own '__proto__' key must stay a key.
    Object.defineProperty(out, k, {
      value: deepClone((v as Record<string, unknown>)[k], rand),
      enumerable: true,
      writable: true,
      configurable: true,
    })
  }
  return out
}

/** Leaves a mutation may write: near-misses of each other (0 / -0, 1 / '1' / 1n, ...). */
function mutationPool(): unknown[] {
  return [0, -0, 1, '1', 1n, NaN, '', 'a', null, undefined, true, false, new Date(1), [], {}, [undefined]]
}

/**
 * A deep clone of `v` with one small random change: a leaf replaced by a near-miss, a key or
 * entry removed, an array element turned into a hole, a Set element added, a byte flipped.
 * The change may happen to produce an equal value; callers compare with `canonicalEqual`.
 */
export function mutate(v: unknown, rand: () => number): unknown {
  const root: Record<string, unknown> = { v: deepClone(v) }
  const edits: (() => void)[] = []
  const pick = () => {
    const pool = mutationPool()
    return pool[Math.floor(rand() * pool.length)]
  }
  const walk = (x: unknown, set: (y: unknown) => void): void => {
    edits.push(() => set(pick()))
    if (typeof x !== 'object' || x === null) return
    const kind = kindOf(x)
    // Type confusions: the same content under another type must key differently.
    if (kind === 'date') {
      edits.push(() => (x as Date).setTime(Math.floor(rand() * 3)))
      edits.push(() => set((x as Date).getTime()))
    } else if (kind.startsWith('bytes:')) {
      const bytes = bytesOf(x as ArrayBuffer)
      if (bytes.length > 0) edits.push(() => (bytes[Math.floor(rand() * bytes.length)]! ^= 1))
      edits.push(() => set(binary(Math.floor(rand() * (TYPED_ARRAYS.length + 2)), bytes)))
    } else if (kind === 'array') {
      const a = x as unknown[]
      edits.push(() => a.push(pick()))
      edits.push(() => set(new Set(a)))
      a.forEach((y, i) => {
        edits.push(() => delete a[i])
        walk(y, (z) => (a[i] = z))
      })
    } else if (kind === 'map') {
      const m = x as Map<unknown, unknown>
      edits.push(() => m.set(pick(), pick()))
      for (const [k, y] of m) {
        edits.push(() => m.delete(k))
        walk(y, (z) => m.set(k, z))
      }
    } else if (kind === 'set') {
      const s = x as Set<unknown>
      edits.push(() => s.add(pick()))
      for (const y of s) edits.push(() => s.delete(y))
    } else {
      const o = x as Record<string, unknown>
      edits.push(() => set(Object.setPrototypeOf(deepClone(o), kind === 'plain' ? Point.prototype : Object.prototype)))
      edits.push(() => Object.defineProperty(o, `k${Math.floor(rand() * 3)}`, { value: pick(), enumerable: true, writable: true, configurable: true }))
      for (const k of Object.keys(o)) {
        edits.push(() => delete o[k])
        walk(o[k], (z) => Object.defineProperty(o, k, { value: z, enumerable: true, writable: true, configurable: true }))
      }
    }
  }
  walk(root.v, (z) => (root.v = z))
  edits[Math.floor(rand() * edits.length)]!()
  return root.v
}
