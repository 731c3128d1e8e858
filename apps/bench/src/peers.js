// Issue 7: twat-cache's wrappers against the libraries a user would pick instead (PEERS.md), on
// one workload: a memoized f(id, {a, b}) with 1,000 argument sets. Each library is set up the way
// its README memoizes and builds keys its own way (peer-libs.js). Tables: hit (warm), miss (a new
// key every call, 1,000 entries kept), a stampede of 1,000 concurrent callers on a cold 20 ms
// function, heap bytes per entry for 100k entries, and what each way of building keys does with
// argument values JSON cannot tell apart (peer-keys.js). Ratios against the floor (a Map keyed
// by JSON.stringify) and against our wrapper.
import { ASYNC, SYNC } from './peer-libs.js'
import { checkKeys } from './peer-keys.js'
import { compileLoop, heapGrowth, median, printRace, race, recordTable, sleep } from './harness.js'

const SETS = 1_000
const HEAP_ENTRIES = 100_000
const sets = Array.from({ length: SETS }, (_, id) => [id, { a: id * 2, b: id % 13 }])
const expected = (id, o) => id * 3 + o.a - o.b

/** A fresh function per contender that counts its runs: a run inside a timed hit loop is a miss. */
function counted(isAsync) {
  const fn = isAsync
    ? async function f(id, o) {
        fn.runs++
        return id * 3 + o.a - o.b
      }
    : function f(id, o) {
        fn.runs++
        return id * 3 + o.a - o.b
      }
  fn.runs = 0
  return fn
}

const hitStep = (isAsync) => `const s = sets[i % sets.length]; sum += ${isAsync ? 'await ' : ''}call(s[0], s[1])`
// The contender's own operation counter only grows (warm-up and every round continue it), and
// each contender has its own cache, so id i + 1e9 was never seen before: every call misses.
const missStep = (isAsync) => `const s = sets[i % sets.length]; sum += ${isAsync ? 'await ' : ''}call(i + 1e9, s[1])`

function contender(name, call, step, isAsync) {
  const loop = compileLoop(step, isAsync)
  return { name, call, run: (n, start) => loop(call, sets, n, start) }
}

const pad = (rows) => {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => String(r[c]).length)))
  return rows.map((r) => `  ${r.map((cell, c) => (c === 0 ? String(cell).padEnd(widths[c]) : String(cell).padStart(widths[c]))).join('   ')}`).join('\n')
}

/** Print a small table and record it for the report. */
function table(title, columns, rows, note) {
  console.log(`\n${title}\n${pad([columns, ...rows])}${note ? `\n  ${note}` : ''}`)
  recordTable(title, columns, rows, note)
}

const floorOf = (group) => group.find((c) => c.floor).name
const oursOf = (group) => group.find((c) => c.ours).name

async function hit(group, label) {
  const isAsync = group[0].mode === 'async'
  const made = group.map((spec) => {
    const fn = counted(isAsync)
    return { spec, fn, ...spec.make(fn, SETS * 2) }
  })
  const engines = made.filter((m) => m.engine).map((m) => `${m.spec.name} → engine '${m.engine}'`)
  console.log(`\n${engines.join('; ')}`)
  for (const m of made) {
    for (const [id, o] of sets) {
      const got = isAsync ? await m.call(id, o) : m.call(id, o)
      if (got !== expected(id, o)) throw new Error(`${m.spec.name} returned ${got} for f(${id}) instead of ${expected(id, o)}`)
    }
  }
  const results = await race(made.map((m) => contender(m.spec.name, m.call, hitStep(isAsync), isAsync)))
  printRace(`${label} hit: ${SETS} cached argument sets of f(id, {a, b}), one caller${isAsync ? ' awaiting each call' : ''}`, results, {
    baseline: floorOf(group),
    compare: [oursOf(group)],
    chart: `${label} hit`,
  })
  const missed = made.filter((m) => m.fn.runs !== SETS).map((m) => `${m.spec.name} ran f ${m.fn.runs - SETS} more times`)
  if (missed.length) console.log(`  note: misses inside the timed loop (eviction or expiry): ${missed.join('; ')}`)
  for (const m of made) await m.close()
}

async function miss(group, label) {
  const isAsync = group[0].mode === 'async'
  const made = group.map((spec) => ({ spec, ...spec.make(counted(isAsync), SETS) }))
  const results = await race(made.map((m) => contender(m.spec.name, m.call, missStep(isAsync), isAsync)))
  printRace(`${label} miss: every call a new key (get, run f, set, evict), ${SETS} entries kept`, results, {
    baseline: floorOf(group),
    compare: [oursOf(group)],
  })
  for (const m of made) await m.close()
}

const runRange = (runs) => (Math.min(...runs) === Math.max(...runs) ? String(runs[0]) : `${Math.min(...runs)}–${Math.max(...runs)}`)

/** 1,000 concurrent callers of one cold 20 ms async function; a fresh cache per trial. */
async function stampede() {
  const CALLERS = 1_000
  const DELAY = 20
  // Wall time, so a busy machine shows as outliers: the median of many short trials is robust to them.
  const TRIALS = 11
  const rows = []
  for (const spec of ASYNC) {
    const walls = []
    const runs = []
    for (let t = 0; t < TRIALS; t++) {
      let count = 0
      const slow = async function slowLookup(id, o) {
        count++
        await sleep(DELAY)
        return id + o.a
      }
      const m = spec.make(slow, SETS)
      const t0 = performance.now()
      const values = await Promise.all(Array.from({ length: CALLERS }, () => m.call(7, { a: 1, b: 2 })))
      walls.push(performance.now() - t0)
      runs.push(count)
      await m.close()
      if (values.some((v) => v !== 8)) throw new Error(`${spec.name} returned a wrong value in the stampede`)
    }
    rows.push([spec.name, runRange(runs), median(walls).toFixed(1), Math.min(...walls).toFixed(1), Math.max(...walls).toFixed(1)])
  }
  table(
    `stampede: ${CALLERS} concurrent callers of one cold ${DELAY} ms async function, ${TRIALS} trials each (wall ms)`,
    ['contender', 'factory runs per trial', 'median ms', 'min ms', 'max ms'],
    rows,
    'one run and ~20 ms is ideal: the callers share the first call; more runs mean the factory ran once per caller that arrived before the first result',
  )
}

/** Heap bytes per entry: 100k distinct calls of f(i, {a, b}) returning a small object. */
async function heap(group, label) {
  const isAsync = group[0].mode === 'async'
  const small = isAsync ? async (id, o) => ({ id, a: o.a }) : (id, o) => ({ id, a: o.a })
  const perEntry = {}
  for (const spec of group) {
    const m = spec.make(small, HEAP_ENTRIES * 2)
    const growth = await heapGrowth(async () => {
      for (let i = 0; i < HEAP_ENTRIES; i++) {
        // A new argument object per call, as real callers make them: a library that keeps the
        // arguments pays for them here.
        if (isAsync) await m.call(i, { a: i, b: 1 })
        else m.call(i, { a: i, b: 1 })
      }
      return m
    })
    if (!growth) return console.log('\nheap figures need node --expose-gc (pnpm bench passes it)')
    perEntry[spec.name] = growth.bytes / HEAP_ENTRIES
    await m.close()
  }
  const floor = perEntry[floorOf(group)]
  const mine = perEntry[oursOf(group)]
  const rows = group.map((spec) => {
    const b = perEntry[spec.name]
    return [spec.name, Math.round(b), `${(b / floor).toFixed(2)}×`, `${(b / mine).toFixed(2)}×`]
  })
  table(
    `${label} heap: bytes per entry after ${HEAP_ENTRIES.toLocaleString('en')} distinct calls (after full GCs; key, value and bookkeeping)`,
    ['contender', 'B/entry', `vs ${floorOf(group)}`, `vs ${oursOf(group)}`],
    rows,
  )
}

export async function run() {
  console.log('== peers: twat-cache wrappers vs the libraries users pick instead (issue 7) ==')
  for (const spec of [...SYNC, ...ASYNC]) console.log(`  ${spec.name.padEnd(32)} keys: ${spec.keys}`)
  await hit(SYNC, 'sync')
  await hit(ASYNC, 'async')
  await miss(SYNC, 'sync')
  await miss(ASYNC, 'async')
  await stampede()
  await heap(SYNC, 'sync')
  await heap(ASYNC, 'async')
  await checkKeys(table)
}
