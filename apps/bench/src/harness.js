// A small, honest micro-benchmark harness shared by every suite.
//
// - Each contender's loop is compiled from its own source text (`compileLoop`), so V8 keeps
//   separate type feedback per contender: one shared loop calling different functions would
//   turn megamorphic and slow down whoever runs last.
// - Contenders are warmed up, then timed round-robin (round 1 of every contender, then round 2,
//   ...): on a shared, noisy machine drift hits all of them alike, which keeps the ratios fair.
// - Each round runs batches until at least `minMs` have passed; the median round is reported,
//   and ratios are the median of per-round ratios (round r of A against round r of B, which ran
//   back to back), so a load burst that slows one round does not tilt the comparison.
// - Rounds are timed in CPU time of this process (user + system, all its threads) by default:
//   on a machine shared with other jobs, wall time mostly measures how often we were
//   descheduled. BENCH_CLOCK=wall switches to wall time (right on an idle machine; the two
//   agree there, except that parallel GC threads count in CPU time).
// - Every loop returns a checksum that is printed at the end, so no call can be eliminated.

import { fmtInterval } from './chart.js'

/** Defaults; override with BENCH_ROUNDS / BENCH_MIN_MS for a quick or a careful run. */
export const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 15)
export const MIN_MS = Number(process.env.BENCH_MIN_MS ?? 100)
const WARMUP_MS = Number(process.env.BENCH_WARMUP_MS ?? 300)
/**
 * Rounds for races whose calls wait on a Redis round trip: on a shared machine a round trip
 * varies far more than a memory hit (±20-45% per round here), so these races take twice the
 * rounds to keep their median ratio steady. Their tables say how many rounds they ran.
 */
export const NETWORK_ROUNDS = Number(process.env.BENCH_NETWORK_ROUNDS ?? 2 * ROUNDS + 1)
const BATCH = 10_000

/** The clock rounds are timed with, in milliseconds. */
export const CLOCK = process.env.BENCH_CLOCK === 'wall' ? 'wall' : 'cpu'
const now =
  CLOCK === 'wall'
    ? () => performance.now()
    : () => {
        const { user, system } = process.cpuUsage()
        return (user + system) / 1000
      }

let checksum = 0
/** Fold a loop result into the global checksum (printed by `printChecksum`). */
export function consume(value) {
  checksum = (checksum + (typeof value === 'number' ? value : String(value).length)) % 1_000_000_007
}
export function printChecksum() {
  console.log(`\n(checksum ${checksum}: every result was consumed)`)
}

/**
 * Build `loop(n, start)` that performs `n` operations with `step` as its body. The body sees
 * `call` (the contender), `sets` (the argument sets), `i` (the global operation index) and
 * must add a number to `sum`. `isAsync` loops await each call: one caller, sequential awaits.
 */
export function compileLoop(step, isAsync) {
  const source = `
    return ${isAsync ? 'async ' : ''}function loop(call, sets, n, start) {
      let sum = 0
      for (let i = start; i < start + n; i++) {
        ${step}
      }
      return sum
    }`
  return new Function(source)()
}

/**
 * Time a set of contenders round-robin. Each contender is `{ name, run }` where
 * `run(n, start)` performs `n` operations (sync or async) and returns a number.
 * Resolves to `[{ name, opsPerSec, rounds }]` in the given order.
 */
export async function race(contenders, { rounds = ROUNDS, minMs = MIN_MS, warmupMs = WARMUP_MS } = {}) {
  const state = contenders.map((c) => ({ ...c, next: 0, samples: [] }))
  const round = async (c, ms) => {
    let ops = 0
    const t0 = now()
    let elapsed = 0
    do {
      let r = c.run(BATCH, c.next)
      if (r instanceof Promise) r = await r
      consume(r)
      c.next += BATCH
      ops += BATCH
      elapsed = now() - t0
    } while (elapsed < ms)
    return (ops / elapsed) * 1000
  }
  for (const c of state) await round(c, warmupMs)
  for (let r = 0; r < rounds; r++) {
    for (const c of state) c.samples.push(await round(c, minMs))
  }
  return state.map((c) => ({ name: c.name, opsPerSec: median(c.samples), rounds: c.samples }))
}

/** Median over rounds of `a`'s ops/s divided by `b`'s in the same round. */
export function pairedRatio(a, b) {
  return median(a.rounds.map((ops, i) => ops / b.rounds[i]))
}

/**
 * Where the median of `values` lies with at least 90% confidence, from the values alone (order
 * statistics, no assumption about their distribution): `[k-th smallest, k-th largest]` for the
 * largest k with P(Binomial(n, ½) < k) ≤ 5%. With 7 rounds that is the whole range; with 15, the
 * 4th to the 12th. A target inside the interval is within the noise of the run.
 */
export function medianInterval(values) {
  const sorted = [...values].sort((a, b) => a - b)
  const n = sorted.length
  let k = 0
  let below = 0
  let term = 2 ** -n // P(Binomial(n, ½) = k)
  while (k < n / 2 && below + term <= 0.05) {
    below += term
    term = (term * (n - k)) / (k + 1)
    k++
  }
  return k === 0 ? [sorted[0], sorted[n - 1]] : [sorted[k - 1], sorted[n - k]]
}

/** {@link medianInterval} of `a`'s per-round ratios to `b` (what {@link pairedRatio} is the median of). */
export function pairedInterval(a, b) {
  return medianInterval(a.rounds.map((ops, i) => ops / b.rounds[i]))
}

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

/** Spread of the rounds, as ± percent around the median: how far to trust a ratio. */
export function spread(samples) {
  const m = median(samples)
  return (Math.max(...samples.map((s) => Math.abs(s - m))) / m) * 100
}

export const fmtOps = (ops) => (ops >= 1e6 ? `${(ops / 1e6).toFixed(2)} M` : `${(ops / 1e3).toFixed(1)} k`)

/**
 * What this process measured, for the report: every table printed through `printRace` or
 * `recordTable`, and every target checked. `run.js` prints it as one `BENCH_RESULT` JSON line
 * when the suite ends, and the parent process writes docs/benchmarks.md from those lines.
 */
export const recorded = { tables: [], targets: [] }

/**
 * Record a table that is not a race (stampede, heap, key checks): `columns` are header cells,
 * `rows` arrays of cells already formatted for reading. `note` is printed under it in the report.
 */
export function recordTable(title, columns, rows, note) {
  recorded.tables.push({ kind: 'table', title, columns, rows, ...(note ? { note } : {}) })
}

/** Record one target from an issue: what was promised, what was measured, and whether it holds. */
export function recordTarget(subject, target, measured, ok) {
  recorded.targets.push({ subject, target, measured, ok: Boolean(ok) })
}

/**
 * Print one table: ops/s, ± spread, ratio against `baseline` (a contender name) and against
 * each name in `compare`, and an optional target note per row (`targets[name] = { ok, text,
 * measured? }`, where `ok` is a boolean or `(row, baselineRow) => boolean`, and `measured`
 * replaces the ratio to `baseline` in the report when the target compares against another row).
 * The table is also recorded for the report; `chart` names the group it belongs to in the
 * report's bar chart (hit tables).
 */
export function printRace(heading, results, { baseline, compare = [], targets = {}, chart } = {}) {
  const rounds = results[0]?.rounds.length
  const title = rounds !== undefined && rounds !== ROUNDS ? `${heading} (${rounds} rounds)` : heading
  const bases = [baseline, ...compare].filter((name) => results.some((r) => r.name === name))
  const byName = Object.fromEntries(results.map((r) => [r.name, r]))
  console.log(`\n${title}`)
  const width = Math.max(...results.map((r) => r.name.length))
  const rows = []
  for (const r of results) {
    const ratios = Object.fromEntries(bases.map((b) => [b, pairedRatio(r, byName[b])]))
    // Against the baseline, also where its median lies (≥ 90%): the noise of this comparison.
    const interval = byName[baseline] && r.name !== baseline ? pairedInterval(r, byName[baseline]) : undefined
    const ratioText = bases.map((b) => `${ratios[b].toFixed(2)}×${b === baseline && interval ? ` ${fmtInterval(interval)}` : ''} ${b}`).join('  ')
    const target = targets[r.name]
    const ok = target && (typeof target.ok === 'function' ? target.ok(r, byName[baseline]) : target.ok)
    const note = target ? `  target ${target.text}: ${ok ? 'MET' : 'MISSED'}` : ''
    console.log(
      `  ${r.name.padEnd(width)}  ${fmtOps(r.opsPerSec).padStart(9)} ops/${CLOCK === 'cpu' ? 'cpu-s' : 's'}  ±${spread(r.rounds).toFixed(0).padStart(2)}%  ${ratioText.padEnd(22 * Math.max(1, bases.length))}${note}`,
    )
    const measured =
      target?.measured ?? (byName[baseline] ? `${ratios[baseline].toFixed(2)}× ${baseline}${interval ? ` ${fmtInterval(interval)}` : ''}` : fmtOps(r.opsPerSec))
    if (target) recordTarget(`${title}: ${r.name}`, target.text, measured, ok)
    rows.push({ name: r.name, opsPerSec: r.opsPerSec, spreadPct: spread(r.rounds), ratios, ...(interval ? { interval } : {}), ...(target ? { target: { text: target.text, ok: Boolean(ok) } } : {}) })
  }
  recorded.tables.push({ kind: 'race', title, clock: CLOCK, baselines: bases, rows, ...(chart ? { chart } : {}) })
}

/** Heap growth in bytes, measured around `fill()`, after full GCs (needs --expose-gc). */
export async function heapGrowth(fill) {
  if (typeof globalThis.gc !== 'function') return undefined
  const settle = async () => {
    for (let i = 0; i < 3; i++) {
      globalThis.gc()
      await new Promise((resolve) => setImmediate(resolve))
    }
    return process.memoryUsage().heapUsed
  }
  const before = await settle()
  const keep = await fill()
  const after = await settle()
  consume(typeof keep === 'object' && keep !== null ? 1 : 0)
  return { bytes: after - before, keep }
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
