// On demand, not part of `pnpm bench`: how long `twat-cache ls` takes over a large cache.
//
//   pnpm --filter @twat-cache/bench bench:cli-ls            50 namespaces, 1,000,000 entries
//   CLI_LS_ENTRIES=100000 pnpm --filter @twat-cache/bench bench:cli-ls
//
// The cache is written by the sqlite engine itself (so the file is exactly what applications
// leave behind), once, into a temp folder that is removed at the end. Needs the packages built
// (`pnpm build`). `ls` is then run as a child process, as a user runs it: three runs, each
// reported, with the median.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createSqliteEngine } from '@twat-cache/sqlite/engine'

const NAMESPACES = 50
const ENTRIES = Number(process.env.CLI_LS_ENTRIES ?? 1_000_000)
const BIN = join(dirname(fileURLToPath(import.meta.url)), '../../../packages/cli/dist/bin.js')

const dir = mkdtempSync(join(tmpdir(), 'twat-bench-ls-'))
try {
  const start = performance.now()
  const perNamespace = Math.ceil(ENTRIES / NAMESPACES)
  for (let n = 0; n < NAMESPACES; n++) {
    const engine = createSqliteEngine({ cacheDir: dir, folderName: 'app', namespace: `fn${n}-${n.toString(16).padStart(8, '0')}`, maxsize: perNamespace, engineOptions: { purgeEvery: 1_000_000 } })
    // A tenth of the entries carry a ttl already past, so `expired` has something to count.
    for (let i = 0; i < perNamespace; i++) engine.set(`[${i}]`, { n, i, label: `value ${i}` }, i % 10 === 0 ? { ttl: 1 } : undefined)
    engine.close()
    process.stderr.write(`\rfilling: ${n + 1}/${NAMESPACES} namespaces`)
  }
  const file = join(dir, 'app', 'cache.db')
  console.error(`\nfilled ${perNamespace * NAMESPACES} entries in ${((performance.now() - start) / 1000).toFixed(1)} s; cache.db ${(statSync(file).size / 1e6).toFixed(0)} MB`)
  const times = []
  for (let run = 0; run < 3; run++) {
    const t0 = performance.now()
    const out = execFileSync(process.execPath, [BIN, 'ls', '--json', '--dir', dir], { maxBuffer: 64 * 1024 * 1024 })
    times.push(performance.now() - t0)
    const rows = JSON.parse(out.toString())
    const entries = rows.reduce((sum, r) => sum + r.entries, 0)
    if (rows.length !== NAMESPACES || entries !== perNamespace * NAMESPACES) throw new Error(`ls saw ${rows.length} namespaces, ${entries} entries`)
  }
  const median = [...times].sort((a, b) => a - b)[1]
  console.log(`twat-cache ls over ${NAMESPACES} namespaces, ${perNamespace * NAMESPACES} sqlite entries: ${times.map((t) => `${(t / 1000).toFixed(2)} s`).join(', ')} (median ${(median / 1000).toFixed(2)} s, Node ${process.version})`)
} finally {
  rmSync(dir, { recursive: true, force: true })
}
