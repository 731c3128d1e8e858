// Writes docs/benchmarks.md and docs/benchmarks.svg from what the suites recorded (run.js).
// Nothing here measures: it lays out the results. The layout depends only on the results (same
// results, same files), and the chart is plain SVG text, so the docs need no dependency.
import { readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { fmtInterval, fmtOps, renderChart } from './chart.js'

const here = dirname(fileURLToPath(import.meta.url))

/** Packages whose versions the report lists, read from apps/bench/node_modules. */
const PACKAGES = {
  'twat-cache': ['@twat-cache/core', '@twat-cache/lru', '@twat-cache/node-cache', '@twat-cache/cacheable', '@twat-cache/sqlite', '@twat-cache/flat-cache', '@twat-cache/redis'],
  peers: ['lru-cache', 'memoizee', 'cache-manager', 'bentocache', 'cacheable', '@epic-web/cachified'],
  'raw backends': ['better-sqlite3', 'flat-cache', 'ioredis', '@cacheable/node-cache'],
}

function version(name) {
  try {
    return JSON.parse(readFileSync(join(here, '../node_modules', name, 'package.json'), 'utf8')).version
  } catch {
    return 'not installed'
  }
}

const cell = (value) => String(value).replaceAll('|', '\\|').replaceAll('\n', ' ')
const row = (cells) => `| ${cells.map(cell).join(' | ')} |`
const header = (cells, align) => `${row(cells)}\n|${align.map((a) => (a === 'r' ? ' ---: ' : ' --- ')).join('|')}|`

function raceTable(t) {
  const unit = t.clock === 'cpu' ? 'ops per CPU-second' : 'ops/s (wall)'
  const hasTarget = t.rows.some((r) => r.target)
  const cols = ['contender', unit, '±', ...t.baselines.map((b) => `× ${b}`), ...(hasTarget ? ['target'] : [])]
  const lines = [header(cols, cols.map((_, i) => (i === 0 || (hasTarget && i === cols.length - 1) ? 'l' : 'r')))]
  for (const r of t.rows) {
    const target = r.target ? `${r.target.text}: **${r.target.ok ? 'met' : 'missed'}**` : ''
    const ratio = (b) => `${r.ratios[b].toFixed(2)}×${b === t.baselines[0] && r.interval ? ` ${fmtInterval(r.interval)}` : ''}`
    lines.push(row([r.name, fmtOps(r.opsPerSec), `${r.spreadPct.toFixed(0)}%`, ...t.baselines.map(ratio), ...(hasTarget ? [target] : [])]))
  }
  return lines.join('\n')
}

/** Numbers right, words left: a column is numeric when every cell starts with a digit. */
const numericColumn = (rows, c) => rows.every((r) => /^[\d.]/.test(String(r[c])))

function plainTable(t) {
  const lines = [header(t.columns, t.columns.map((_, i) => (i > 0 && numericColumn(t.rows, i) ? 'r' : 'l')))]
  for (const r of t.rows) lines.push(row(r))
  if (t.note) lines.push('', `<sub>${cell(t.note)}</sub>`)
  return lines.join('\n')
}

function machineSection(m) {
  const clock =
    m.clock === 'cpu'
      ? 'CPU time of the benchmark process (user + system) per round; the Redis suite times wall clock, since a round trip waits on another process'
      : 'wall clock'
  return [
    '## Machine',
    '',
    header(['', ''], ['l', 'l']),
    row(['date', m.date]),
    row(['Node', `${m.node} (${m.platform})`]),
    row(['CPU', `${m.cpu}, ${m.cores} logical cores`]),
    row(['memory', `${m.memoryGb.toFixed(1)} GB`]),
    row(['load average at start', `${m.load.map((l) => l.toFixed(2)).join(', ')} (1, 5, 15 min)`]),
    row(['timing', `${m.rounds} rounds of ≥ ${m.minMs} ms per contender, round-robin; the median round is shown, ± is the spread of the rounds, and ratios are medians of per-round ratios; (a–b) after a ratio to the first baseline is where that median lies with ≥ 90% confidence (order statistics of the rounds): a target inside it is within this run's noise`]),
    row(['clock', clock]),
  ].join('\n')
}

function versionsSection() {
  const lines = ['## Versions', '', header(['', 'package', 'version'], ['l', 'l', 'l'])]
  for (const [group, names] of Object.entries(PACKAGES)) for (const name of names) lines.push(row([group, name, version(name)]))
  return lines.join('\n')
}

function targetsSection(runs) {
  const lines = ['## Targets from the issues', '']
  const targets = runs.flatMap((r) => (r.result?.targets ?? []).map((t) => ({ ...t, issue: r.issue })))
  if (!targets.length) return [...lines, 'No suite recorded a target in this run.'].join('\n')
  const met = targets.filter((t) => t.ok).length
  lines.push(`${met} of ${targets.length} met.`, '', header(['issue', 'what', 'target', 'measured', ''], ['l', 'l', 'l', 'l', 'l']))
  for (const t of targets) lines.push(row([`#${t.issue}`, t.subject, t.target, t.measured, t.ok ? 'met' : '**missed**']))
  return lines.join('\n')
}

function suiteSection(r) {
  const lines = [`## ${r.title} (\`${r.name}\`, issue ${r.issue})`, '']
  if (r.status !== 'ok') lines.push(`**This suite did not finish (${r.status}); its output is below.**`, '')
  lines.push(`<sub>${r.seconds.toFixed(0)} s; ${r.result ? `${r.result.clock === 'cpu' ? 'CPU' : 'wall'} clock` : 'no result recorded'}</sub>`, '')
  for (const t of r.result?.tables ?? []) {
    lines.push(`### ${t.title}`, '', t.kind === 'race' ? raceTable(t) : plainTable(t), '')
  }
  if (!r.result?.tables?.length) lines.push('No table was recorded (the suite was skipped or failed).', '')
  lines.push('<details><summary>Full output</summary>', '', '```text', ...r.output, '```', '', '</details>')
  return lines.join('\n')
}

/** Write the two files; returns their paths relative to the repository root. */
export function writeReport({ docsDir, machine, runs }) {
  const charted = runs.flatMap((r) => (r.result?.tables ?? []).filter((t) => t.kind === 'race' && t.chart).map((t) => ({ ...t, suite: r.name })))
  const svg = charted.length ? renderChart(charted, machine) : undefined
  const parts = [
    '# Benchmarks',
    '',
    '<!-- Written by `pnpm bench` (apps/bench/src/report.js). Do not edit: run it again. -->',
    '',
    `twat-cache against the libraries a TypeScript user would pick instead ([comparison](comparison.md)) and against the raw backends its engines wrap, measured in one run on the machine below. Every peer is set up the way its README memoizes a function, and builds keys its own way (see the key-building table). Source: \`apps/bench/src/\`; run it with \`pnpm bench\`.`,
    '',
    machineSection(machine),
    '',
    versionsSection(),
    '',
  ]
  if (svg) parts.push('## Memoized hit at a glance', '', '![Memoized hit throughput per contender](benchmarks.svg)', '')
  parts.push(targetsSection(runs), '')
  for (const r of runs) parts.push(suiteSection(r), '')
  writeFileSync(join(docsDir, 'benchmarks.md'), `${parts.join('\n').trimEnd()}\n`)
  const written = ['docs/benchmarks.md']
  if (svg) {
    writeFileSync(join(docsDir, 'benchmarks.svg'), svg)
    written.push('docs/benchmarks.svg')
  }
  return written
}
