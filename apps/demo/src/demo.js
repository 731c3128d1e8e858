// A short tour of twat-cache on its embedded defaults: memory and SQLite, no server needed.
// Run it twice: the second run is served from the SQLite file the first one wrote.
import { bcache, getStats, invalidateTags, mcache, onCacheEvent } from '@twat-cache/core'
import '@twat-cache/sqlite'

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
const ms = (start) => `${(performance.now() - start).toFixed(2)} ms`

async function time(label, call) {
  const start = performance.now()
  const value = await call()
  console.log(`  ${label.padEnd(34)} → ${JSON.stringify(value)}  (${ms(start)})`)
  return value
}

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

console.log('\n6. getStats() for every cached function in this process')
const stats = getStats()
for (const s of stats.functions) console.log(`  ${s.name.padEnd(10)} engine=${s.engine.padEnd(7)} hits=${s.hits} misses=${s.misses} size=${s.size}`)
console.log(`  totals: hits=${stats.totals.hits} misses=${stats.totals.misses} stale=${stats.totals.stale}`)
slowSquare.engine.close()
