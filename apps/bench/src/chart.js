// A horizontal bar chart of memoized-hit throughput, one group per charted race table, written
// as SVG text. Fixed geometry (no measuring of text): the same results give the same file.

const WIDTH = 820
const LABEL_X = 250 // right edge of the contender names
const BAR_X = 262
const BAR_MAX = 430
const ROW = 22
const BAR_H = 14
const COLORS = { ours: '#e8590c', engine: '#ffa94d', baseline: '#868e96', peer: '#4c6ef5', raw: '#ced4da' }
const LEGEND = [
  ['ours', 'twat-cache wrapper'],
  ['engine', 'twat-cache engine, no wrapper'],
  ['baseline', 'baseline of the group (ratios are against it)'],
  ['peer', 'peer library'],
  ['raw', 'raw library, other settings'],
]

/** ops/s as '1.23 M', '456.7 k' or '89'. */
/** `(0.84–0.91)`: an interval of ratios, as printed (harness.js `medianInterval`). */
export const fmtInterval = ([low, high]) => `(${low.toFixed(2)}–${high.toFixed(2)})`

export const fmtOps = (ops) => (ops >= 1e6 ? `${(ops / 1e6).toFixed(2)} M` : ops >= 1e3 ? `${(ops / 1e3).toFixed(1)} k` : ops.toFixed(0))

const esc = (text) => String(text).replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;')
const n = (value) => (Math.round(value * 10) / 10).toString()

/** Bar colour: our wrappers, our engines alone, the group's baseline, peers, raw-library variants. */
function kindOf(name, table) {
  if (/^(mcache|acache|bcache|fcache|ucache)\b/.test(name)) return 'ours'
  if (/^engine '/.test(name)) return 'engine'
  if (name === table.baselines[0]) return 'baseline'
  return table.suite === 'peers' ? 'peer' : 'raw'
}

/** A step of 1, 2 or 5 × 10^k giving at most `most` intervals up to `max`. */
function niceStep(max, most = 6) {
  const raw = max / most
  const power = 10 ** Math.floor(Math.log10(raw))
  for (const m of [1, 2, 5, 10]) if (m * power >= raw) return m * power
  return 10 * power
}

/** `tables`: race tables with a `chart` label and their `suite`. `machine`: as run.js gathers it. */
export function renderChart(tables, machine) {
  const max = Math.max(...tables.flatMap((t) => t.rows.map((r) => r.opsPerSec)))
  const step = niceStep(max)
  const top = Math.ceil(max / step) * step
  const scale = (ops) => (ops / top) * BAR_MAX
  const unit = tables.every((t) => t.clock === 'cpu')
    ? 'operations per CPU-second'
    : tables.some((t) => t.clock === 'cpu')
      ? 'operations per CPU-second (groups marked "wall clock": per second)'
      : 'operations per second'
  const out = []
  let y = 112
  const bodyTop = y - 8
  for (const t of tables) {
    out.push(`<text x="12" y="${y + 4}" class="group">${esc(t.chart)}${t.clock === 'cpu' ? '' : ' (wall clock)'}</text>`)
    y += ROW - 4
    for (const r of t.rows) {
      const kind = kindOf(r.name, t)
      const w = Math.max(1, scale(r.opsPerSec))
      out.push(
        `<text x="${LABEL_X}" y="${y + BAR_H - 3}" class="label${kind === 'ours' || kind === 'engine' ? ' ours' : ''}" text-anchor="end">${esc(r.name)}</text>`,
        `<rect x="${BAR_X}" y="${y}" width="${n(w)}" height="${BAR_H}" fill="${COLORS[kind]}"/>`,
        `<text x="${n(BAR_X + w + 6)}" y="${y + BAR_H - 3}" class="value">${esc(fmtOps(r.opsPerSec))}${t.baselines[0] ? ` · ${r.ratios[t.baselines[0]].toFixed(2)}×` : ''}</text>`,
      )
      y += ROW
    }
    y += 12
  }
  const bodyBottom = y - 6
  const grid = []
  for (let v = 0; v <= top + step / 2; v += step) {
    const x = n(BAR_X + scale(v))
    grid.push(
      `<line x1="${x}" y1="${bodyTop}" x2="${x}" y2="${bodyBottom}" class="grid"/>`,
      `<text x="${x}" y="${bodyBottom + 16}" class="tick" text-anchor="middle">${v === 0 ? '0' : esc(fmtOps(v))}</text>`,
    )
  }
  const height = bodyBottom + 50
  // Legend entries on a fixed grid (three columns): positions never depend on text widths.
  const legendItems = LEGEND.map(([kind, text], i) => {
    const lx = 12 + (i % 3) * 270
    const ly = 56 + Math.floor(i / 3) * 18
    return `<rect x="${lx}" y="${ly}" width="12" height="12" fill="${COLORS[kind]}"/><text x="${lx + 18}" y="${ly + 10}" class="legend">${esc(text)}</text>`
  })
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="Helvetica, Arial, sans-serif">
<style>
  .title { font-size: 16px; font-weight: bold; fill: #212529 }
  .sub, .legend, .tick, .foot { font-size: 11px; fill: #495057 }
  .group { font-size: 13px; font-weight: bold; fill: #212529 }
  .label { font-size: 12px; fill: #212529 }
  .label.ours { font-weight: bold }
  .value { font-size: 11px; fill: #343a40 }
  .grid { stroke: #dee2e6; stroke-width: 1 }
</style>
<rect width="${WIDTH}" height="${height}" fill="#ffffff"/>
<text x="12" y="24" class="title">Memoized hit: f(id, {a, b}) with 1,000 cached argument sets, one caller</text>
<text x="12" y="42" class="sub">${esc(`${unit}, higher is better · Node ${machine.node} · ${machine.cpu} × ${machine.cores} · ${machine.date.slice(0, 10)}`)}</text>
${legendItems.join('\n')}
${grid.join('\n')}
${out.join('\n')}
<text x="12" y="${height - 10}" class="foot">Written by pnpm bench (apps/bench/src/chart.js); tables and method in benchmarks.md.</text>
</svg>
`
}
