// Benchmarks of the built packages. `pnpm bench` (root) builds, then runs every suite and writes
// docs/benchmarks.md and docs/benchmarks.svg from what they measured:
//
//   node --expose-gc src/run.js                 all suites, then the report
//   node --expose-gc src/run.js peers redis     only the named suites (no report unless --report)
//   node --expose-gc src/run.js --no-report     all suites, print only
//   BENCH_ROUNDS=31 BENCH_MIN_MS=200 ...        a slower, steadier run
//
// Each suite runs in its own Node process: importing an engine package registers it, which
// would change what `mcache` picks in the next suite, and a fresh heap keeps memory figures
// clean. A suite is a file in this directory exporting `run()`. Its output is passed through as
// it comes; its last line, `BENCH_RESULT {json}`, carries the tables it recorded (harness.js)
// and is kept out of the console.
import { spawn } from 'node:child_process'
import { cpus, loadavg, totalmem } from 'node:os'
import { dirname, join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'

/** Suite name → module and the issue whose targets it checks, in the order they run. */
const SUITES = {
  peers: { module: './peers.js', issue: 7, title: 'twat-cache against the peer libraries' },
  'hot-path': { module: './hot-path.js', issue: 2, title: 'The memoized hot path' },
  memory: { module: './memory.js', issue: 16, title: 'The built-in memory engine against lru-cache and Map' },
  engines: { module: './engines.js', issue: 3, title: 'In-memory engines against the raw libraries' },
  persistent: { module: './persistent.js', issue: 4, title: 'SQLite and flat-cache against the raw libraries' },
  redis: { module: './redis.js', issue: 5, title: 'Redis round trips against raw ioredis' },
  freshness: { module: './freshness.js', issue: 11, title: 'Freshness and cache events on the hit path' },
  tiers: { module: './tiers.js', issue: 13, title: 'Tiers: L1 in front of Redis, invalidation latency, the lock' },
  tags: { module: './tags.js', issue: 12, title: 'Tags: tagged hits and invalidateTags against store size' },
}
const RESULT_PREFIX = 'BENCH_RESULT '
const here = dirname(fileURLToPath(import.meta.url))

const args = process.argv.slice(2)

if (args[0] === '--in-process') {
  // The suite first: redis.js chooses the harness clock before the harness module is loaded.
  const suite = await import(SUITES[args[1]].module)
  const h = await import('./harness.js')
  await suite.run()
  h.printChecksum()
  const result = { suite: args[1], clock: h.CLOCK, rounds: h.ROUNDS, minMs: h.MIN_MS, ...h.recorded }
  console.log(RESULT_PREFIX + JSON.stringify(result))
} else {
  const flags = new Set(args.filter((a) => a.startsWith('--')))
  const named = args.filter((a) => !a.startsWith('--'))
  const unknown = named.filter((name) => !(name in SUITES))
  if (unknown.length) {
    console.error(`unknown suite(s): ${unknown.join(', ')}; known: ${Object.keys(SUITES).join(', ')}`)
    process.exit(2)
  }
  const chosen = named.length ? named : Object.keys(SUITES)
  const report = flags.has('--report') || (!named.length && !flags.has('--no-report'))
  const { CLOCK, MIN_MS, ROUNDS } = await import('./harness.js')
  const machine = {
    date: new Date().toISOString(),
    node: process.version,
    platform: `${process.platform}/${process.arch}`,
    cpu: cpus()[0]?.model?.trim() ?? 'unknown',
    cores: cpus().length,
    memoryGb: totalmem() / 2 ** 30,
    load: loadavg(),
    clock: CLOCK,
    rounds: ROUNDS,
    minMs: MIN_MS,
  }
  console.log(`node ${machine.node}, ${machine.platform}, ${machine.cpu} × ${machine.cores}, load average ${machine.load.map((l) => l.toFixed(1)).join(' ')}; suites: ${chosen.join(', ')}`)
  console.log(`${ROUNDS} rounds of ≥ ${MIN_MS} ms ${CLOCK === 'cpu' ? 'CPU' : 'wall'} time per contender, median; ratios are medians of per-round ratios; ± is the spread of the rounds\n`)
  const runs = []
  for (const name of chosen) runs.push({ name, ...SUITES[name], ...(await runSuite(name)) })
  const failed = runs.filter((r) => r.status !== 'ok')
  for (const r of failed) console.error(`suite ${r.name} failed (${r.status})`)
  if (report) {
    const { writeReport } = await import('./report.js')
    const written = writeReport({ docsDir: join(here, '../../../docs'), machine, runs })
    console.log(`wrote ${written.join(', ')}`)
  }
  process.exit(failed.length ? 1 : 0)
}

/** Run one suite in a child process; resolves to its status, output lines and recorded result. */
function runSuite(name) {
  return new Promise((done) => {
    const t0 = performance.now()
    const child = spawn(process.execPath, ['--expose-gc', fileURLToPath(import.meta.url), '--in-process', name], {
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    const output = []
    let result
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (line.startsWith(RESULT_PREFIX)) {
        result = JSON.parse(line.slice(RESULT_PREFIX.length))
        return
      }
      output.push(line)
      process.stdout.write(`${line}\n`)
    })
    child.on('close', (code, signal) => {
      console.log('')
      const status = code === 0 && result ? 'ok' : `exit ${code ?? signal}${result ? '' : ', no result recorded'}`
      done({ status, output, result, seconds: (performance.now() - t0) / 1000 })
    })
  })
}
