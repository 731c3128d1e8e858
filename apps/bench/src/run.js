// Benchmarks of the built packages. `pnpm bench` (root) builds, then runs every suite:
//
//   node --expose-gc src/run.js                 all suites
//   node --expose-gc src/run.js hot-path        only the named suites
//   BENCH_ROUNDS=9 BENCH_MIN_MS=500 ...         a slower, steadier run
//
// Each suite runs in its own Node process: importing an engine package registers it, which
// would change what `mcache` picks in the next suite, and a fresh heap keeps memory figures
// clean. A suite is a file in this directory exporting `run()`.
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'

/** Suite name → module, in the order they run. */
const SUITES = {
  'hot-path': './hot-path.js',
  engines: './engines.js',
}

const args = process.argv.slice(2)

if (args[0] === '--in-process') {
  const { run } = await import(SUITES[args[1]])
  const { printChecksum } = await import('./harness.js')
  await run()
  printChecksum()
} else {
  const unknown = args.filter((name) => !(name in SUITES))
  if (unknown.length) {
    console.error(`unknown suite(s): ${unknown.join(', ')}; known: ${Object.keys(SUITES).join(', ')}`)
    process.exit(2)
  }
  const chosen = args.length ? args : Object.keys(SUITES)
  const { CLOCK, MIN_MS, ROUNDS } = await import('./harness.js')
  const load = (await import('node:os')).loadavg()[0].toFixed(1)
  console.log(`node ${process.version}, ${process.platform}/${process.arch}, load average ${load}; suites: ${chosen.join(', ')}`)
  console.log(`${ROUNDS} rounds of ≥ ${MIN_MS} ms ${CLOCK === 'cpu' ? 'CPU' : 'wall'} time per contender, median; ratios are medians of per-round ratios; ± is the spread of the rounds\n`)
  let failed = 0
  for (const name of chosen) {
    const child = spawnSync(process.execPath, ['--expose-gc', fileURLToPath(import.meta.url), '--in-process', name], { stdio: 'inherit' })
    if (child.status !== 0) {
      failed++
      console.error(`suite ${name} failed (exit ${child.status ?? child.signal})`)
    }
    console.log('')
  }
  process.exit(failed ? 1 : 0)
}
