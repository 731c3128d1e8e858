// A short tour of twat-cache on its embedded defaults: memory and SQLite, no server needed.
// Run it twice: the second run is served from the SQLite file the first one wrote.
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics'
import { main as cli } from '@twat-cache/cli'
import { bcache, getStats, invalidateTags, mcache, onCacheEvent } from '@twat-cache/core'
import { EVENTS_COUNTER, instrument } from '@twat-cache/otel'
import '@twat-cache/sqlite'

// Section 6 runs this file again in child processes: each asks for the same cold report.
if (process.argv[2] === 'report-worker') {
  let computed = false
  const report = bcache({ folderName: 'twat-cache-demo', namespace: 'demo-report', lock: true, l1: true })(async function report(day) {
    computed = true
    await new Promise((resolve) => setTimeout(resolve, 300)) // an expensive query
    return `report of ${day}`
  })
  const value = await report(process.argv[3])
  console.log(JSON.stringify({ value, computed }))
  report.engine.close()
  process.exit(0)
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
const ms = (start) => `${(performance.now() - start).toFixed(2)} ms`

async function time(label, call) {
  const start = performance.now()
  const value = await call()
  console.log(`  ${label.padEnd(34)} → ${JSON.stringify(value)}  (${ms(start)})`)
  return value
}

// Section 8 reads these: every cache event of this process, as OpenTelemetry metrics. A real
// app passes its SDK's provider (or registers it globally); the in-memory exporter stands in
// for Prometheus or OTLP here.
const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE)
const meterProvider = new MeterProvider({ readers: [new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 })] })
const stopMetrics = instrument({ meterProvider })

console.log('1. mcache: memoize a slow sync function in memory')
// The inner function has another name on purpose: its recursive calls must reach the cached
// `fib`, not the uncached function itself.
const fib = mcache({ maxsize: 500 })(function fibonacci(n) {
  return n < 2 ? n : fib(n - 1) + fib(n - 2)
})
await time('fib(78), cold (recursion is cached)', () => fib(78))
await time('fib(78), warm', () => fib(78))
console.log('  cacheInfo():', fib.cacheInfo())

console.log('\n2. mcache on an async function: 100 concurrent callers, one run')
let runs = 0
const fetchUser = mcache({ ttl: '1m' })(async function fetchUser(id) {
  runs++
  await sleep(50)
  return { id, name: `user-${id}` }
})
await time('100 × fetchUser(7) at once', async () => (await Promise.all(Array.from({ length: 100 }, () => fetchUser(7))))[0])
console.log(`  factory runs: ${runs}`)

console.log('\n3. bcache: results persisted in SQLite (folder "twat-cache-demo")')
const slowSquare = bcache({ folderName: 'twat-cache-demo', namespace: 'demo-square', ttl: '1d' })(function slowSquare(n) {
  const until = Date.now() + 200 // stands in for real work
  while (Date.now() < until);
  return n * n
})
const cold = performance.now()
await time('slowSquare(12)', () => slowSquare(12))
const wasHit = performance.now() - cold < 100
await time('slowSquare(12) again', () => slowSquare(12))
console.log(`  engine: ${slowSquare.engine.name}; first call was ${wasHit ? 'a hit from a previous run' : 'computed (run the demo again to see it served from disk)'}`)

console.log('\n4. stale-while-revalidate: a stale value at once, one refresh in the background')
let version = 0
const price = mcache({ ttl: 100, staleWhileRevalidate: '1m' })(async function price(item) {
  await sleep(30) // a slow upstream
  return `${item}: v${++version}`
})
const events = []
const stop = onCacheEvent((e) => e.name === 'price' && events.push(e.type))
await time('price("tea"), cold', () => price('tea'))
await sleep(120) // now stale: older than its 100 ms ttl
await time('price("tea"), stale: no waiting', () => price('tea'))
await sleep(50) // the background refresh has landed
await time('price("tea"), refreshed', () => price('tea'))
stop()
const { stale, refreshes } = price.cacheInfo()
console.log(`  cacheInfo(): stale=${stale} refreshes=${refreshes}; events seen by onCacheEvent: ${events.join(' → ')}`)

console.log('\n5. tags on SQLite: drop everything about one user, without scanning keys')
let renders = 0
const profile = bcache({ folderName: 'twat-cache-demo', namespace: 'demo-profile', tags: (_value, id) => [`user:${id}`] })(function profile(id, section) {
  renders++
  return `${section} of user ${id}`
})
for (const [id, section] of [[7, 'bio'], [7, 'posts'], [8, 'bio']]) profile(id, section)
const before = renders
await invalidateTags(['user:7'])
for (const [id, section] of [[7, 'bio'], [7, 'posts'], [8, 'bio']]) profile(id, section)
console.log(`  invalidateTags(['user:7']) → ${renders - before} of 3 entries recomputed (user 8's entry was kept)`)
profile.engine.close()

console.log('\n6. lock and l1 on SQLite: 4 processes ask for one cold key at once, one computes it')
const day = new Date().toISOString() // a key no earlier run has cached
const run = promisify(execFile)
const start = performance.now()
const answers = await Promise.all(
  Array.from({ length: 4 }, () => run(process.execPath, [fileURLToPath(import.meta.url), 'report-worker', day]).then(({ stdout }) => JSON.parse(stdout))),
)
const computedBy = answers.filter((a) => a.computed).length
console.log(`  ${answers.length} processes got ${JSON.stringify(answers[0].value)}; the function ran ${computedBy} time(s)  (${ms(start)})`)

console.log('\n7. getStats() for every cached function in this process')
const stats = getStats()
for (const s of stats.functions) console.log(`  ${s.name.padEnd(10)} engine=${s.engine.padEnd(7)} hits=${s.hits} misses=${s.misses} size=${s.size}`)
console.log(`  totals: hits=${stats.totals.hits} misses=${stats.totals.misses} stale=${stats.totals.stale}`)
slowSquare.engine.close()

console.log('\n8. metrics: the same events as OpenTelemetry counters (@twat-cache/otel)')
await meterProvider.forceFlush()
const byEvent = {}
for (const metric of exporter.getMetrics().flatMap((r) => r.scopeMetrics.flatMap((s) => s.metrics))) {
  if (metric.descriptor.name !== EVENTS_COUNTER) continue
  for (const point of metric.dataPoints) {
    const event = point.attributes['cache.event']
    byEvent[event] = (byEvent[event] ?? 0) + point.value
  }
}
console.log(`  ${EVENTS_COUNTER} by cache.event: ${Object.entries(byEvent).map(([event, n]) => `${event}=${n}`).join(' ')}`)
stopMetrics()
await meterProvider.shutdown()

console.log('\n9. the CLI: `twat-cache ls` lists what this demo keeps on disk')
const code = await cli(['ls'])
if (code !== 0) process.exitCode = code
