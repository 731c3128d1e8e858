// Key building, checked through each contender's own memoized function (nothing reimplemented):
// - N distinct random argument sets f(id, {a, b}), one call each: a call that returns another
//   set's value means two argument sets got one key (a collision);
// - pairs of arguments a program tells apart but JSON does not (Date vs its ISO string, Maps,
//   NaN vs null, ...): does the second call run the function or return the first one's value?
// - equal arguments in new objects, and with keys in another order: a hit, or a miss?
import { ASYNC, KEY_MODES, SYNC } from './peer-libs.js'

const N = Number(process.env.BENCH_KEY_SETS ?? 300_000)

/** A small seeded PRNG (mulberry32): the same argument sets on every run. */
function prng(seed) {
  let s = seed >>> 0
  return () => {
    s = (s + 0x6d2b79f5) >>> 0
    let t = s
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

function randomSets(n) {
  const rand = prng(7)
  const seen = new Set()
  const out = []
  while (out.length < n) {
    const args = [Math.floor(rand() * 2 ** 31), { a: Math.floor(rand() * 1e6), b: Math.floor(rand() * 1e3) }]
    const id = `${args[0]}:${args[1].a}:${args[1].b}`
    if (seen.has(id)) continue
    seen.add(id)
    out.push(args)
  }
  return out
}

/** Wrong results among N first calls on distinct argument sets. */
async function collisions(spec, argSets) {
  const isAsync = spec.mode === 'async'
  const fn = isAsync ? async function f(id, o) { return `${id}:${o.a}:${o.b}` } : function f(id, o) { return `${id}:${o.a}:${o.b}` }
  const m = spec.make(fn, argSets.length * 2)
  let wrong = 0
  for (const [id, o] of argSets) {
    const got = isAsync ? await m.call(id, o) : m.call(id, o)
    if (got !== `${id}:${o.a}:${o.b}`) wrong++
  }
  await m.close()
  return wrong
}

/**
 * Argument pairs for f(1, x): `same` pairs are equal values in new objects (a cache should hit),
 * the others are values a program tells apart (a cache that returns the first value is wrong).
 */
const PAIRS = [
  { label: 'equal {a, b}, new object', same: true, x: () => [{ a: 2, b: 3 }, { a: 2, b: 3 }] },
  { label: '{a, b} vs {b, a}', same: true, x: () => [{ a: 2, b: 3 }, { b: 3, a: 2 }] },
  { label: 'Date vs its ISO string', x: () => [new Date(0), new Date(0).toISOString()] },
  { label: 'Map {1→2} vs empty Map', x: () => [new Map([[1, 2]]), new Map()] },
  { label: 'NaN vs null', x: () => [Number.NaN, null] },
  { label: '{b: undefined} vs {}', x: () => [{ b: undefined }, {}] },
  { label: '1n (BigInt) vs 2n', x: () => [1n, 2n] },
]

/** 'hit'/'miss' for equal pairs; 'distinct'/'COLLIDES' for different ones; 'throws' if it throws. */
async function pairOutcome(spec, pair) {
  const isAsync = spec.mode === 'async'
  let runs = 0
  // Two declared parameters, as f(id, {a, b}) has: memoizee keys as many arguments as fn.length.
  const fn = isAsync ? async function f(_id, _x) { return ++runs } : function f(_id, _x) { return ++runs }
  const m = spec.make(fn, 100)
  const [x1, x2] = pair.x()
  try {
    const first = isAsync ? await m.call(1, x1) : m.call(1, x1)
    const second = isAsync ? await m.call(1, x2) : m.call(1, x2)
    const reused = second === first
    return pair.same ? (reused ? 'hit' : 'miss') : reused ? 'COLLIDES' : 'distinct'
  } catch (error) {
    return `throws (${error?.constructor?.name ?? 'error'})`
  } finally {
    await m.close()
  }
}

export async function checkKeys(table) {
  const argSets = randomSets(N)
  const specs = [...SYNC, ...ASYNC, ...KEY_MODES]
  const rows = []
  for (const spec of specs) {
    // A JSON text cannot collide on these argument sets (distinct numbers, distinct text), so
    // only keys the library builds itself (hashes, String(), references) are run N times.
    const wrong = spec.skipCollisions ?? (spec.ownKeys ? String(await collisions(spec, argSets)) : '0 (JSON text, not run)')
    const cells = [spec.name, wrong]
    for (const pair of PAIRS) cells.push(await pairOutcome(spec, pair))
    rows.push(cells)
  }
  table(
    `key building: wrong results among ${N.toLocaleString('en')} distinct random argument sets, and what happens to argument pairs JSON cannot tell apart`,
    ['contender', 'wrong results', ...PAIRS.map((p) => p.label)],
    rows,
    'wrong results come from two argument sets sharing a key (a 32-bit hash collides about N²/2³³ times); COLLIDES returns the first call\'s value for different arguments; miss recomputes equal arguments. The next table says how each contender builds keys.',
  )
  const keyRows = specs.map((s) => [s.name, s.keys])
  table('how each contender builds keys', ['contender', 'keys'], keyRows)
}
