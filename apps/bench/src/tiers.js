// Issue 13: tiers and the lock, on a real redis-server on a free loopback port.
//
// 1. Hits of `f(id, { a, b })` with a fresh options object each call: `mcache`, `acache` with
//    `l1` in front of Redis, plain `acache` on Redis, raw ioredis GET + decode, and bentocache
//    (L1 + Redis + its bus; Redis only). Targets: L1 hit ≥ 0.9× mcache and ≥ 10× bentocache's
//    L1+Redis hit; plain Redis hit ≥ 0.9× raw and ahead of bentocache's Redis-only hit.
//    Both sides of the L1 comparison are the same async function, so both callers get a promise
//    per call: mcache's is one `Promise.resolve` of the hit; an L1 hit is a read of the same
//    memory engine plus the coherence check (a flag), and whatever the pipeline adds for an
//    async engine (the engine's `get` must return a promise; `getNow` reads L1 inline).
// 2. Invalidation latency, A's write → B's L1 miss, over 1,000 writes (p50, p99; target
//    p99 ≤ 5 ms), and the two transports measured raw: client tracking (what l1 uses) against a
//    pub/sub message sent after each write (what a bus does), with the write throughput of each.
// 3. The cold-key stampede with `lock`: 4 engines (own connections, own lease step) × 250
//    callers; elapsed minus the factory's time, p50 over 20 fresh keys (target ≤ 50 ms).
//
//   node apps/bench/src/tiers.js                 (after `pnpm turbo run build`)

import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

process.env.BENCH_CLOCK ??= 'wall'
const defaultHarness = await import('./harness.js')
const { rawMemo, redisServerMissing, withRedisServer } = await import('./redis.js')

const SETS = 1_000
const sets = Array.from({ length: SETS }, (_, id) => [id, { a: id * 2, b: id % 13 }])
const fAsync = async (id, o) => ({ id, sum: id * 3 + o.a - o.b, tag: `v${id}` })
// A fresh options object per call, as real callers build them.
const step = 'const s = sets[i % sets.length]; sum += (await call(s[0], { a: s[1].a, b: s[1].b })).sum'

const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))]
const now = () => Number(process.hrtime.bigint()) / 1e6
const until = async (check, limitMs = 2000) => {
  const start = now()
  while (!check()) {
    if (now() - start > limitMs) throw new Error(`not within ${limitMs} ms`)
    await new Promise((r) => setImmediate(r))
  }
}

async function hits(h, lib, port) {
  const { Redis, acache, mcache, BentoCache, bentostore, memoryDriver, redisDriver, redisBusDriver } = lib
  const redis = { host: '127.0.0.1', port }
  const raw = new Redis(redis)
  const rawCall = rawMemo(lib, raw, 'twat-cache:bench-raw:', fAsync)
  const bentoL1 = new BentoCache({
    default: 'tiered',
    stores: { tiered: bentostore().useL1Layer(memoryDriver({ maxItems: SETS * 2 })).useL2Layer(redisDriver({ connection: redis })).useBus(redisBusDriver({ connection: redis })) },
  })
  const bentoL2 = new BentoCache({ default: 'redis', stores: { redis: bentostore().useL2Layer(redisDriver({ connection: redis })) } })
  const bento = (cache, prefix) => (id, o) => cache.getOrSet({ key: `${prefix}:${JSON.stringify([id, o])}`, factory: () => fAsync(id, o) })
  const calls = {
    mcache: mcache({ maxsize: SETS * 2 })(fAsync),
    l1: acache({ engine: 'redis', redis, namespace: 'bench-l1', l1: { maxsize: SETS * 2 } })(fAsync),
    plain: acache({ engine: 'redis', redis, namespace: 'bench-plain' })(fAsync),
    raw: rawCall,
    bentoL1: bento(bentoL1, 'l1'),
    bentoL2: bento(bentoL2, 'l2'),
  }
  // Fill every cache, then read once more so L1 holds what the fill's own invalidations dropped.
  for (let round = 0; round < 2; round++) for (const call of Object.values(calls)) for (const [id, o] of sets) await call(id, { ...o })
  await until(() => calls.l1.engine.l1.size() === SETS, 5000)
  const contender = (name, call) => {
    const loop = h.compileLoop(step, true)
    return { name, call, run: (n, start) => loop(call, sets, n, start) }
  }
  /** Race [baseline, ours, peer]: ours' target is against the baseline; ours against the peer is recorded too. */
  const trio = async (title, [base, ours, peer], text, peerTarget) => {
    const results = await h.race([base, ours, peer].map(([name, call]) => contender(name, call)), { rounds: h.NETWORK_ROUNDS })
    h.printRace(title, results, {
      baseline: base[0],
      compare: [peer[0]],
      targets: { [ours[0]]: { ok: (r, row) => h.pairedRatio(r, row) >= 0.9, text } },
    })
    const ratio = h.pairedRatio(results[1], results[2])
    const label = `${ours[0]} against ${peer[0]}`
    h.recordTarget(label, peerTarget.text, `${ratio.toFixed(2)}×`, peerTarget.ok(ratio))
    console.log(`${label}: ${ratio.toFixed(2)}× (target ${peerTarget.text})`)
  }
  await trio(
    'tiers: L1 hit in front of Redis, f(id, { a, b }) with a fresh object per call',
    [['mcache hit (async f)', calls.mcache], ['acache l1 → redis, L1 hit', calls.l1], ['bentocache L1 + redis + bus', calls.bentoL1]],
    '≥ 0.90× mcache',
    { text: '≥ 10×', ok: (ratio) => ratio >= 10 },
  )
  await trio(
    'tiers: plain Redis hit, one caller, fresh options object per call',
    [['raw ioredis GET + decode', calls.raw], ['acache redis (no l1) hit', calls.plain], ['bentocache redis only', calls.bentoL2]],
    '≥ 0.90× raw',
    { text: '> 1×', ok: (ratio) => ratio > 1 },
  )
  await Promise.all([calls.l1.engine.close(), calls.plain.engine.close(), bentoL1.disconnectAll(), bentoL2.disconnectAll(), raw.quit()])
}

async function invalidation(h, lib, port) {
  const { Redis, createRedisEngine, createTieredEngine, MISS } = lib
  const WRITES = 1_000
  const redis = { host: '127.0.0.1', port }
  const a = createRedisEngine({ redis, namespace: 'bench-inv' })
  const b = createTieredEngine(createRedisEngine({ redis, namespace: 'bench-inv' }), { maxsize: 10 })
  await a.set('k', 0)
  // B's watch goes live on its first read.
  for (let i = 0; i < 1000 && b.l1.get('k') === MISS; i++) {
    await b.get('k')
    await new Promise((r) => setTimeout(r, 2))
  }
  const l1Miss = []
  for (let i = 1; i <= WRITES; i++) {
    // Fill B's L1 (its own promotion may be dropped by the write before: read until it sticks).
    while (b.l1.get('k') === MISS) await b.get('k')
    const start = now()
    await a.set('k', i)
    await until(() => b.l1.get('k') === MISS)
    l1Miss.push(now() - start)
  }
  await Promise.all([a.close(), b.close()])

  // The two transports, raw: tracking (no extra command per write) against PUBLISH after each SET.
  const conn = () => new Redis({ ...redis, protocol: 2 })
  const [tracker, subscriber, writer] = [conn(), conn(), conn()]
  const id = await tracker.client('ID')
  await tracker.call('CLIENT', 'TRACKING', 'on', 'REDIRECT', String(id), 'BCAST', 'PREFIX', 'bench-raw:')
  await tracker.subscribe('__redis__:invalidate')
  await subscriber.subscribe('bench-bus')
  let heard = 0
  tracker.on('messageBuffer', () => heard++)
  subscriber.on('messageBuffer', () => heard++)
  const viaTracking = []
  const viaBus = []
  for (let i = 0; i < WRITES; i++) {
    let seen = heard
    let start = now()
    await writer.set('bench-raw:k', i)
    await until(() => heard > seen)
    viaTracking.push(now() - start)
    seen = heard
    start = now()
    await writer.set('bench-other:k', i)
    await writer.publish('bench-bus', 'bench-other:k')
    await until(() => heard > seen)
    viaBus.push(now() - start)
  }
  // Write cost: 5,000 writes each way, one caller.
  const timeWrites = async (write) => {
    const start = now()
    for (let i = 0; i < 5000; i++) await write(i)
    return (5000 / (now() - start)) * 1000
  }
  const trackedWrites = await timeWrites((i) => writer.set('bench-raw:w', i))
  const busWrites = await timeWrites((i) => writer.set('bench-other:w', i).then(() => writer.publish('bench-bus', 'bench-other:w')))
  for (const c of [tracker, subscriber, writer]) c.disconnect()

  const rows = [
    ['l1 (tracking): A’s write → B’s L1 miss', l1Miss],
    ['raw tracking: SET → invalidation message', viaTracking],
    ['raw bus: SET + PUBLISH → message', viaBus],
  ].map(([name, samples]) => {
    const sorted = [...samples].sort((x, y) => x - y)
    return [name, `${pct(sorted, 50).toFixed(3)} ms`, `${pct(sorted, 99).toFixed(3)} ms`]
  })
  console.log(`\ninvalidation latency over ${WRITES} writes on loopback (wall clock, includes the write's round trip)`)
  for (const r of rows) console.log(`  ${r[0].padEnd(44)} p50 ${r[1].padStart(10)}   p99 ${r[2].padStart(10)}`)
  console.log(`  writes/s, one caller: SET (tracked) ${Math.round(trackedWrites)}, SET + PUBLISH ${Math.round(busWrites)}`)
  h.recordTable('tiers: invalidation latency (1,000 writes, loopback)', ['path', 'p50', 'p99'], rows)
  const p99 = pct([...l1Miss].sort((x, y) => x - y), 99)
  h.recordTarget('l1 invalidation p99', '≤ 5 ms', `${p99.toFixed(2)} ms`, p99 <= 5)
}

async function stampede(h, lib, port) {
  const { acache } = lib
  const redis = { host: '127.0.0.1', port }
  const FACTORY_MS = 100
  const ROUNDS = 20
  let runs = 0
  const factory = async (key) => {
    runs++
    await new Promise((r) => setTimeout(r, FACTORY_MS))
    return key
  }
  // Four cached functions on four engines: as four processes would, they share only Redis.
  const fns = Array.from({ length: 4 }, () => acache({ engine: 'redis', redis, namespace: 'bench-lock', lock: { ttl: 10_000, wait: 10_000 } })(factory))
  await Promise.all(fns.map((f) => f('warm')))
  runs = 0
  const overhead = []
  for (let round = 0; round < ROUNDS; round++) {
    const key = `cold-${round}-${Date.now()}`
    const start = now()
    await Promise.all(fns.flatMap((f) => Array.from({ length: 250 }, () => f(key))))
    overhead.push(now() - start - FACTORY_MS)
  }
  await Promise.all(fns.map((f) => f.engine.close()))
  const sorted = overhead.sort((x, y) => x - y)
  console.log(`\nlock stampede: 4 engines × 250 callers, factory ${FACTORY_MS} ms, ${ROUNDS} cold keys: ${runs} factory runs`)
  console.log(`  elapsed − factory time: p50 ${pct(sorted, 50).toFixed(1)} ms, max ${sorted.at(-1).toFixed(1)} ms (target p50 ≤ 50 ms)`)
  h.recordTarget('lock stampede: elapsed − factory time, p50', '≤ 50 ms', `${pct(sorted, 50).toFixed(1)} ms`, pct(sorted, 50) <= 50 && runs === ROUNDS)
}

export async function run(h = defaultHarness) {
  console.log('== tiers: l1 in front of Redis, invalidation latency, lock stampede (issue 13) ==')
  if (redisServerMissing()) return
  const [{ Redis }, core, node, redisPkg, bento, bentoMemory, bentoRedis] = await Promise.all([
    import('ioredis'),
    import('@twat-cache/core'),
    import('@twat-cache/core/node'),
    import('@twat-cache/redis'),
    import('bentocache'),
    import('bentocache/drivers/memory'),
    import('bentocache/drivers/redis'),
  ])
  const lib = { Redis, ...core, ...node, ...redisPkg, ...bento, ...bentoMemory, ...bentoRedis }
  await withRedisServer(async (server) => {
    await hits(h, lib, server.port)
    await invalidation(h, lib, server.port)
    await stampede(h, lib, server.port)
  })
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await run()
  defaultHarness.printChecksum()
}
