// Issue 16: the built-in memory engine against lru-cache and a plain Map.
//
// - Bytes per entry: heap growth of a store filled with 100,000 small entries, keys and values
//   made beforehand and kept alive, so only the store's own overhead counts. Every policy is
//   measured. This figure is deterministic (heap after full GCs, not a timing), so the suite
//   fails (exit 1) when it passes its bound: that is the regression check of the layout.
// - Raw get / set of 1 KB values against lru-cache, three separate races (reported each; the
//   target is on their median, as these figures are noisy on a shared machine).
// - Memoized: `mcache` sync hit on the memory engine against `mcache` on lru-cache, and the miss
//   path of `mcache` (async, every call a new key) against a Map + JSON.stringify memo.
import { createMemoryEngine, mcache } from '@twat-cache/core'
import '@twat-cache/lru'
import { LRUCache } from 'lru-cache'
import { mapMemo } from './engine-memo.js'
import { compileLoop, consume, median, pairedRatio, printRace, race, recordTable, recordTarget } from './harness.js'

const ENTRIES = 100_000
/** Store overhead bounds per policy (issue 16: lru ≤ 70, lfu ≤ 85); fifo and rr share lru's layout or less. */
const BYTES_BOUND = { lru: 70, lfu: 85, fifo: 70, rr: 70 }
const POLICIES = ['lru', 'lfu', 'fifo', 'rr']

async function bytesPerEntry() {
  const keys = Array.from({ length: ENTRIES }, (_, i) => `key:${i}`)
  const values = Array.from({ length: ENTRIES }, (_, i) => ({ i }))
  const stores = {
    Map: () => {
      const map = new Map()
      for (let i = 0; i < ENTRIES; i++) map.set(keys[i], values[i])
      return map
    },
    'lru-cache (max 100,000)': () => {
      const lru = new LRUCache({ max: ENTRIES })
      for (let i = 0; i < ENTRIES; i++) lru.set(keys[i], values[i])
      return lru
    },
  }
  for (const policy of POLICIES) {
    stores[`memory '${policy}' (maxsize 100,000)`] = () => fillEngine(createMemoryEngine({ maxsize: ENTRIES, policy }), keys, values)
  }
  // Unbounded: the arrays grow by 1.5× with no cap to stop at, so this shows the growth slack.
  stores[`memory 'lru' (maxsize Infinity)`] = () => fillEngine(createMemoryEngine({ maxsize: Number.POSITIVE_INFINITY }), keys, values)
  stores[`memory 'lru' with a ttl on every entry`] = () => fillEngine(createMemoryEngine({ maxsize: ENTRIES, ttl: 3_600_000 }), keys, values)

  const title = `bytes per entry: store overhead of ${ENTRIES.toLocaleString('en')} small entries (keys and values excluded)`
  console.log(`\n${title}`)
  const rows = []
  const failures = []
  for (const [name, fill] of Object.entries(stores)) {
    const bytes = (await memoryGrowth(fill)) / ENTRIES
    const policy = /^memory '(\w+)' \(maxsize 100,000\)$/.exec(name)?.[1]
    const bound = policy && BYTES_BOUND[policy]
    const ok = bound === undefined || bytes <= bound
    if (bound !== undefined) {
      recordTarget(`bytes per entry: memory '${policy}'`, `≤ ${bound} B`, `${bytes.toFixed(1)} B`, ok)
      if (!ok) failures.push(`${name}: ${bytes.toFixed(1)} B per entry, bound ${bound} B`)
    }
    rows.push([name, bytes.toFixed(1), bound === undefined ? '' : `≤ ${bound}: ${ok ? 'met' : 'MISSED'}`])
    console.log(`  ${name.padEnd(44)} ${bytes.toFixed(1).padStart(6)} B${bound === undefined ? '' : `   target ≤ ${bound}: ${ok ? 'MET' : 'MISSED'}`}`)
  }
  recordTable(title, ['store', 'bytes per entry', 'target'], rows)
  return failures
}

/**
 * Heap growth plus ArrayBuffer growth around `fill()`, after full GCs: typed arrays keep their
 * contents outside the JS heap (`arrayBuffers`), which `heapUsed` alone would miss.
 */
async function memoryGrowth(fill) {
  if (typeof globalThis.gc !== 'function') throw new Error('bytes per entry needs node --expose-gc (pnpm bench passes it)')
  const settle = async () => {
    for (let i = 0; i < 3; i++) {
      globalThis.gc()
      await new Promise((resolve) => setImmediate(resolve))
    }
    const { heapUsed, arrayBuffers } = process.memoryUsage()
    return heapUsed + arrayBuffers
  }
  const before = await settle()
  const store = fill()
  const after = await settle()
  consume(store ? 1 : 0)
  return after - before
}

function fillEngine(engine, keys, values) {
  for (let i = 0; i < keys.length; i++) engine.set(keys[i], values[i])
  if (engine.size() !== keys.length) throw new Error(`the engine kept ${engine.size()} of ${keys.length} entries`)
  return engine
}

/** Raw get and set of 1 KB values on 10,000 keys, memory engine against lru-cache. */
async function rawOps() {
  const KEYS = 10_000
  const keys = Array.from({ length: KEYS }, (_, i) => `key:${i}`)
  // Twice as many for the evicting set: cycling through them, every set stores a new key.
  const manyKeys = Array.from({ length: 2 * KEYS }, (_, i) => `key:${i}`)
  const values = keys.map((_, i) => `${i}:`.padEnd(1024, 'x'))
  const fill = (store) => {
    for (let i = 0; i < KEYS; i++) store.set(keys[i], values[i])
    return store
  }
  const engine = fill(createMemoryEngine({ maxsize: KEYS }))
  const lru = fill(new LRUCache({ max: KEYS }))
  const loops = {
    get: 'const v = call(sets[i % sets.length]); sum += typeof v === "string" ? 1 : 0',
    set: 'call(sets[i % sets.length], i); sum += 1',
  }
  const cases = [
    { op: 'get', keys, engine: (k) => engine.get(k), lru: (k) => lru.get(k) },
    { op: 'set (overwrite)', keys, engine: (k) => engine.set(k, values[k.length & 1023]), lru: (k) => lru.set(k, values[k.length & 1023]) },
    {
      op: 'set (new key, evicting)',
      keys: manyKeys,
      engine: (k) => engine.set(k, values[k.length & 1023]),
      lru: (k) => lru.set(k, values[k.length & 1023]),
    },
  ]
  const summary = []
  for (const c of cases) {
    const step = c.op === 'get' ? loops.get : loops.set
    const contenders = [
      { name: 'lru-cache', call: c.lru },
      { name: 'memory engine', call: c.engine },
    ].map(({ name, call }) => {
      const loop = compileLoop(step, false)
      return { name, run: (n, start) => loop(call, c.keys, n, start) }
    })
    const ratios = []
    for (let run = 1; run <= 3; run++) {
      const results = await race(contenders)
      printRace(`raw ${c.op}, 1 KB values, ${KEYS.toLocaleString('en')} entries: run ${run} of 3`, results, { baseline: 'lru-cache' })
      ratios.push(pairedRatio(results[1], results[0]))
    }
    const mid = median(ratios)
    const runs = ratios.map((r) => `${r.toFixed(2)}×`).join(', ')
    recordTarget(`raw ${c.op}: memory engine`, '≥ 1.0× lru-cache (median of three runs)', `${mid.toFixed(2)}× (runs ${runs})`, mid >= 1)
    summary.push([c.op, runs, `${mid.toFixed(2)}×`, mid >= 1 ? 'met' : 'missed'])
    console.log(`  raw ${c.op}: memory engine ${mid.toFixed(2)}× lru-cache, median of ${runs}: target ≥ 1.0×: ${mid >= 1 ? 'MET' : 'MISSED'}`)
  }
  recordTable('raw get/set: memory engine against lru-cache, three runs', ['operation', 'ratio per run', 'median', '≥ 1.0×'], summary)
}

const SETS = 1_000
const sets = Array.from({ length: SETS }, (_, id) => [id, { a: id * 2, b: id % 13 }])
const f = (id, o) => id * 3 + o.a - o.b
const fAsync = async (id, o) => id * 3 + o.a - o.b

function contender(name, call, step, isAsync) {
  const loop = compileLoop(step, isAsync)
  return { name, call, run: (n, start) => loop(call, sets, n, start) }
}

async function memoized() {
  const onMemory = mcache({ engine: 'memory', maxsize: SETS * 2 })(f)
  const onLru = mcache({ engine: 'lru', maxsize: SETS * 2 })(f)
  if (onMemory.engine.name !== 'memory' || onLru.engine.name !== 'lru') throw new Error('mcache did not use the engine it was asked for')
  const hitStep = 'const s = sets[i % sets.length]; sum += call(s[0], s[1])'
  const hits = [contender("mcache on 'lru'", onLru, hitStep, false), contender("mcache on 'memory'", onMemory, hitStep, false)]
  for (const { call } of hits) for (const [id, o] of sets) if (call(id, o) !== f(id, o)) throw new Error('wrong memoized result')
  const hitResults = await race(hits)
  const hitRatio = pairedRatio(hitResults[1], hitResults[0])
  printRace(`memoized sync hit, ${SETS} cached argument sets`, hitResults, {
    baseline: "mcache on 'lru'",
    targets: { "mcache on 'memory'": { ok: hitRatio >= 1, text: "≥ mcache on 'lru'" } },
  })

  // Every call a new key: a key build, a miss, a run of f, a set and (once full) an eviction.
  const missStep = 'const s = sets[i % sets.length]; sum += await call(i + 1e9, s[1])'
  const misses = [
    contender('Map + JSON.stringify (async fn)', mapMemo(fAsync, SETS), missStep, true),
    contender("mcache on 'memory' (async fn)", mcache({ engine: 'memory', maxsize: SETS })(fAsync), missStep, true),
  ]
  const missResults = await race(misses)
  const missRatio = pairedRatio(missResults[1], missResults[0])
  printRace('memoized miss (every call a new key)', missResults, {
    baseline: 'Map + JSON.stringify (async fn)',
    targets: { "mcache on 'memory' (async fn)": { ok: missRatio >= 0.85, text: '≥ 0.85× Map + JSON.stringify' } },
  })
  onMemory.engine.close()
  onLru.engine.close()
}

export async function run() {
  console.log('== memory engine (issue 16) ==')
  const failures = await bytesPerEntry()
  await rawOps()
  await memoized()
  if (failures.length) {
    // Not a timing: the heap figure is stable run to run, so passing the bound is a regression.
    console.error(`bytes per entry regressed:\n  ${failures.join('\n  ')}`)
    process.exitCode = 1
  }
}
