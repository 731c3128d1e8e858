// Issue 2: the memoized hot path of `mcache` (built-in memory engine) against a Map keyed by
// JSON.stringify(args) — the floor — and lru-cache's own memoizers, on f(id, {a, b}) with
// 1,000 cached argument sets; then a stampede of 1,000 callers on one cold 20 ms function.
import { mcache } from '@twat-cache/core'
import { LRUCache } from 'lru-cache'
import { mapMemo } from './engine-memo.js'

export { mapMemo }
import { compileLoop, median, pairedRatio, printRace, race, recordTable, recordTarget, sleep } from './harness.js'

export const SETS = 1_000
export const sets = Array.from({ length: SETS }, (_, id) => [id, { a: id * 2, b: id % 13 }])

export const f = (id, o) => id * 3 + o.a - o.b
export const fAsync = async (id, o) => id * 3 + o.a - o.b

function lruMemo(fn) {
  const lru = new LRUCache({ max: SETS * 2, memoMethod: (_key, _stale, { context }) => fn(...context) })
  return (...args) => lru.memo(JSON.stringify(args), { context: args })
}

export function lruFetch(fn) {
  const lru = new LRUCache({ max: SETS * 2, fetchMethod: (_key, _stale, { context }) => fn(...context) })
  return (...args) => lru.fetch(JSON.stringify(args), { context: args })
}

export const syncStep = 'const s = sets[i % sets.length]; sum += call(s[0], s[1])'
export const asyncStep = 'const s = sets[i % sets.length]; sum += await call(s[0], s[1])'

/** A contender: its own compiled loop bound to its own memoized function. */
export function contender(name, call, isAsync) {
  const loop = compileLoop(isAsync ? asyncStep : syncStep, isAsync)
  return { name, call, run: (n, start) => loop(call, sets, n, start) }
}

/** Fill every contender's cache, checking each returns f's result. */
export async function checkSameResults(contenders, isAsync) {
  for (const c of contenders) {
    for (const [id, o] of sets) {
      const got = isAsync ? await c.call(id, o) : c.call(id, o)
      if (got !== f(id, o)) throw new Error(`${c.name} returned ${got} for f(${id}) instead of ${f(id, o)}`)
    }
  }
}

async function hitPath() {
  const syncMcache = mcache({ maxsize: SETS * 2 })(f)
  const asyncMcache = mcache({ maxsize: SETS * 2 })(fAsync)
  console.log(`mcache engine: ${syncMcache.engine.name} (sync fn), ${asyncMcache.engine.name} (async fn)`)

  const sync = [
    contender('Map + JSON.stringify', mapMemo(f), false),
    contender('lru-cache memo()', lruMemo(f), false),
    contender('mcache', syncMcache, false),
  ]
  await checkSameResults(sync, false)
  const syncResults = await race(sync)
  printRace(`sync hit, ${SETS} cached argument sets of f(id, {a, b})`, syncResults, {
    baseline: 'Map + JSON.stringify',
    targets: { mcache: { ok: (row, base) => pairedRatio(row, base) >= 0.8, text: '≥ 0.80× Map' } },
  })

  const asyncContenders = [
    contender('Map of promises', mapMemo(fAsync), true),
    contender('lru-cache fetch()', lruFetch(fAsync), true),
    contender('mcache (async fn)', asyncMcache, true),
  ]
  await checkSameResults(asyncContenders, true)
  const asyncResults = await race(asyncContenders)
  const vsFetch = pairedRatio(asyncResults[2], asyncResults[1])
  printRace(`async hit, ${SETS} cached argument sets, one caller awaiting each call`, asyncResults, {
    baseline: 'Map of promises',
    targets: { 'mcache (async fn)': { ok: vsFetch >= 1, text: `≥ lru-cache fetch() (${vsFetch.toFixed(2)}×)`, measured: `${vsFetch.toFixed(2)}× lru-cache fetch()` } },
  })
  const info = syncMcache.cacheInfo()
  if (info.misses !== SETS) throw new Error(`sync mcache missed ${info.misses} times, expected ${SETS}: the hit path was not measured`)
}

const runRange = (runs) => (Math.min(...runs) === Math.max(...runs) ? String(runs[0]) : `${Math.min(...runs)}–${Math.max(...runs)}`)

/** 1,000 concurrent callers of one cold 20 ms function; fresh cache per trial. */
async function stampede() {
  const CALLERS = 1_000
  const DELAY = 20
  // Wall time, so a busy machine shows as outliers: the median of many short trials is robust to them.
  const TRIALS = 11
  const makers = {
    'Map of promises': (fn) => mapMemo(fn),
    'lru-cache fetch()': (fn) => lruFetch(fn),
    mcache: (fn) => mcache()(fn),
  }
  console.log(`\nstampede: ${CALLERS} concurrent callers of one cold ${DELAY} ms async function, ${TRIALS} trials each`)
  const width = Math.max(...Object.keys(makers).map((k) => k.length))
  const rows = []
  for (const [name, make] of Object.entries(makers)) {
    const walls = []
    const runsPerTrial = []
    for (let t = 0; t < TRIALS; t++) {
      let runs = 0
      const slow = async function slowLookup(id, o) {
        runs++
        await sleep(DELAY)
        return id + o.a
      }
      const cached = make(slow)
      const t0 = performance.now()
      const values = await Promise.all(Array.from({ length: CALLERS }, () => cached(7, { a: 1, b: 2 })))
      walls.push(performance.now() - t0)
      runsPerTrial.push(runs)
      if (values.some((v) => v !== 8)) throw new Error(`${name} returned a wrong value in the stampede`)
    }
    const wall = median(walls)
    const ok = runsPerTrial.every((r) => r === 1) && wall <= DELAY * 1.1
    rows.push([name, runRange(runsPerTrial), wall.toFixed(1), Math.min(...walls).toFixed(1), Math.max(...walls).toFixed(1), ok ? 'met' : 'missed'])
    if (name === 'mcache') recordTarget('stampede: mcache', `one run, ≤ ${(DELAY * 1.1).toFixed(0)} ms`, `${runRange(runsPerTrial)} run(s), ${wall.toFixed(1)} ms median`, ok)
    console.log(
      `  ${name.padEnd(width)}  factory runs per trial ${runRange(runsPerTrial)}  wall median ${wall.toFixed(1)} ms (min ${Math.min(...walls).toFixed(1)}, max ${Math.max(...walls).toFixed(1)})  target one run, ≤ ${(DELAY * 1.1).toFixed(0)} ms: ${ok ? 'MET' : 'MISSED'}`,
    )
  }
  recordTable(
    `stampede: ${CALLERS} concurrent callers of one cold ${DELAY} ms async function, ${TRIALS} trials each (wall ms)`,
    ['contender', 'factory runs per trial', 'median ms', 'min ms', 'max ms', `one run, ≤ ${(DELAY * 1.1).toFixed(0)} ms`],
    rows,
  )
}

/** A "≥ min× against" target, recorded for the report and shaped for printRace. */
export const ratioTarget = (subject, ratio, min, against) => {
  const ok = ratio >= min
  recordTarget(subject, `≥ ${min.toFixed(2)}× ${against}`, `${ratio.toFixed(2)}×`, ok)
  return { ok, text: `≥ ${min.toFixed(2)}× ${against} (${ratio.toFixed(2)}×)`, measured: `${ratio.toFixed(2)}× ${against}` }
}

export async function run() {
  console.log('== hot path (issue 2) ==')
  await hitPath()
  await stampede()
}
