// Issue 12 (tags): what tags cost on the hit path, and what an invalidation costs as the store
// grows.
//
// - Hit of an entry with 3 static tags against the same function without tags: ≥ 0.8× on
//   memory (the tag check is one read of the in-process registry, kept while no mark moved it),
//   ≥ 0.9× on redis. On redis the entry and its static tags' state are one MGET (static tags are
//   known before the entry is read), so a tagged hit is one command and one round trip; a tags
//   *function*'s tags are known from the stored entry, so a hit is one MGET only for keys whose
//   tags this process already saw (all of them here, after the fill; measured too, without a
//   target). The tagged function stores an envelope (value, times, tags) where the
//   untagged one stores the bare value: reading it (the freshness stage) is part of the cost.
// - `invalidateTags` with 100,000 tagged entries stored against 100, on memory, sqlite and redis,
//   beside bentocache (`deleteByTag`; memory and redis: its sqlite store needs knex or kysely)
//   and cacheable (`tags.invalidateTag`, in-memory: no shared store is installed here). Tag state is
//   one record per tag, so the twat-cache columns should not grow with the entries.
//
// Redis needs redis-server on PATH (else those rows are skipped, with a note). This suite times
// wall clock (importing redis.js chooses it): the round trip is what the redis rows measure.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { spawnSync } from 'node:child_process'
import { startRedis } from './redis.js'
import { acache, invalidateTags, mcache } from '@twat-cache/core'
import '@twat-cache/sqlite'
import '@twat-cache/redis'
import { Cacheable } from 'cacheable'
import { BentoCache, bentostore } from 'bentocache'
import { memoryDriver } from 'bentocache/drivers/memory'
import { redisDriver } from 'bentocache/drivers/redis'
import { pairedRatio, printRace, race, recordTable, recordTarget, NETWORK_ROUNDS } from './harness.js'
import { SETS, checkSameResults, contender, f, fAsync, ratioTarget } from './hot-path.js'

const TAGS = ['tenant:1', 'kind:f', 'version:3']
const SMALL = 100
const LARGE = 100_000
const CALLS = 300 // invalidations timed per store size

const hasRedis = spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0

async function memoryHits() {
  const contenders = [
    contender('mcache, no tags', mcache({ maxsize: SETS * 2 })(f), false),
    contender('mcache, 3 tags', mcache({ maxsize: SETS * 2, tags: TAGS })(f), false),
  ]
  await checkSameResults(contenders, false)
  const results = await race(contenders)
  printRace(`memory: sync hit, ${SETS} cached argument sets`, results, {
    baseline: 'mcache, no tags',
    targets: { 'mcache, 3 tags': ratioTarget('memory hit with 3 tags', pairedRatio(results[1], results[0]), 0.8, 'no tags') },
  })
}

async function redisHits(url) {
  const options = { engine: 'redis', redis: { url }, maxsize: SETS * 2 }
  const plain = acache({ ...options, namespace: 'hit-plain' })(fAsync)
  const tagged = acache({ ...options, namespace: 'hit-tags', tags: TAGS })(fAsync)
  const byFunction = acache({ ...options, namespace: 'hit-tags-fn', tags: () => TAGS })(fAsync)
  const contenders = [
    contender('acache redis, no tags', plain, true),
    contender('acache redis, 3 static tags', tagged, true),
    contender('acache redis, tags function', byFunction, true),
  ]
  await checkSameResults(contenders, true)
  const results = await race(contenders, { rounds: NETWORK_ROUNDS })
  printRace(`redis: async hit, ${SETS} cached argument sets, one caller`, results, {
    baseline: 'acache redis, no tags',
    targets: { 'acache redis, 3 static tags': ratioTarget('redis hit with 3 static tags (one round trip)', pairedRatio(results[1], results[0]), 0.9, 'no tags') },
  })
  await Promise.all([plain.engine.close(), tagged.engine.close(), byFunction.engine.close()])
}

/** Median time of one call of `invalidate(i)` over `CALLS` calls, in microseconds. */
async function timeInvalidation(invalidate) {
  for (let i = 0; i < 20; i++) await invalidate(i) // warm-up
  const times = []
  for (let i = 0; i < CALLS; i++) {
    const t0 = performance.now()
    await invalidate(i)
    times.push(performance.now() - t0)
  }
  times.sort((a, b) => a - b)
  return times[Math.floor(times.length / 2)] * 1000
}

const tagOf = (i) => `user:${i % 50}`

/** Each contender: `fill(n)` stores n tagged entries, `invalidate(i)` drops one tag's entries. */
function contenders(root, url) {
  const list = []
  const twat = (name, make) =>
    list.push({
      name,
      async setup(n) {
        const fn = make(n)
        for (let i = 0; i < n; i += 1000) await Promise.all(Array.from({ length: Math.min(1000, n - i) }, (_, k) => fn(i + k)))
        const engine = fn.engine
        return { invalidate: (i) => invalidateTags([tagOf(i)], { engine }), close: () => engine.close() }
      },
    })
  let run = 0
  const tagged = (options) => (n) => acache({ ...options, namespace: `inv-${++run}`, maxsize: n * 2, tags: (_v, i) => [tagOf(i)] })(async (i) => ({ i }))
  twat('twat-cache memory', tagged({ engine: 'memory' }))
  twat('twat-cache sqlite', tagged({ engine: 'sqlite', cacheDir: root }))
  if (url) twat('twat-cache redis', tagged({ engine: 'redis', redis: { url } }))
  const bento = (name, store) =>
    list.push({
      name,
      async setup(n) {
        const cache = new BentoCache({ default: 's', stores: { s: store() } })
        const ns = cache.namespace(`inv-${++run}`)
        for (let i = 0; i < n; i += 1000) {
          await Promise.all(Array.from({ length: Math.min(1000, n - i) }, (_, k) => ns.getOrSet({ key: `k${i + k}`, factory: () => ({ i: i + k }), tags: [tagOf(i + k)] })))
        }
        return { invalidate: (i) => ns.deleteByTag({ tags: [tagOf(i)] }), close: () => cache.disconnectAll() }
      },
    })
  bento('bentocache memory', () => bentostore().useL1Layer(memoryDriver({ maxItems: LARGE * 2 })))
  if (url) bento('bentocache redis', () => bentostore().useL2Layer(redisDriver({ connection: { host: new URL(url).hostname, port: Number(new URL(url).port) } })))
  list.push({
    name: 'cacheable memory',
    async setup(n) {
      const cache = new Cacheable({ tags: true })
      for (let i = 0; i < n; i++) await cache.set(`k${i}`, { i }, { tags: [tagOf(i)] })
      return { invalidate: (i) => cache.tags.invalidateTag(tagOf(i)), close: () => cache.disconnect?.() }
    },
  })
  return list
}

async function invalidations(root, url) {
  const rows = []
  for (const c of contenders(root, url)) {
    const micros = []
    for (const n of [SMALL, LARGE]) {
      const store = await c.setup(n)
      micros.push(await timeInvalidation(store.invalidate))
      await store.close()
    }
    const [small, large] = micros
    console.log(`  ${c.name.padEnd(22)} ${small.toFixed(0).padStart(8)} µs with ${SMALL}   ${large.toFixed(0).padStart(8)} µs with ${LARGE.toLocaleString('en')}   ×${(large / small).toFixed(2)}`)
    rows.push([c.name, `${small.toFixed(0)} µs`, `${large.toFixed(0)} µs`, `${(large / small).toFixed(2)}×`])
    if (c.name.startsWith('twat-cache')) {
      // "The same time ± noise": within 2× (the machine is shared; a scan would be ~1000×).
      const ok = large / small <= 2
      recordTarget(`invalidateTags, ${c.name}: ${LARGE.toLocaleString('en')} entries vs ${SMALL}`, '≤ 2× (no scan of the keys)', `${(large / small).toFixed(2)}×`, ok)
    }
  }
  recordTable(
    `invalidateTags: median time of one call (one tag of 50) with ${SMALL} vs ${LARGE.toLocaleString('en')} tagged entries stored`,
    ['contender', `${SMALL} entries`, `${LARGE.toLocaleString('en')} entries`, 'ratio'],
    rows,
    "twat-cache's invalidateTags does not wait for the clock: a call right after it, in the mark's millisecond, waits on its miss (≤ 1 ms) so its new entry counts as newer than the mark; no call is made here, so that wait is in none of these figures.",
  )
}

export async function run() {
  console.log('== tags: tagged hits and invalidateTags against store size (issue 12) ==')
  const root = mkdtempSync(join(tmpdir(), 'twat-bench-tags-'))
  const server = hasRedis ? await startRedis() : undefined
  if (!server) console.log('note: redis-server is not on PATH; the redis rows are skipped (apt-get install -y redis-server)')
  const url = server ? `redis://127.0.0.1:${server.port}` : undefined
  try {
    await memoryHits()
    if (url) await redisHits(url)
    console.log(`\ninvalidateTags, median of ${CALLS} calls`)
    await invalidations(root, url)
  } finally {
    await server?.stop()
    rmSync(root, { recursive: true, force: true })
  }
}
