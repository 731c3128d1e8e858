process.env.BENCH_CLOCK ??= 'wall'
const h = await import('../src/harness.js')
const { startRedis } = await import('../src/redis.js')
const { acache, mcache } = await import('@twat-cache/core')
await import('@twat-cache/redis')
const SETS = 1000
const sets = Array.from({ length: SETS }, (_, id) => [id, { a: id * 2, b: id % 13 }])
const fAsync = async (id, o) => ({ id, sum: id * 3 + o.a - o.b })
const step = 'const s = sets[i % sets.length]; sum += (await call(s[0], { a: s[1].a, b: s[1].b })).sum'
const server = await startRedis()
const redis = { host: '127.0.0.1', port: server.port }
const calls = {
  mcache: mcache({ maxsize: SETS * 2 })(fAsync),
  l1: acache({ engine: 'redis', redis, namespace: 'x-l1', l1: { maxsize: SETS * 2 } })(fAsync),
}
for (let r = 0; r < 3; r++) for (const c of Object.values(calls)) for (const [id, o] of sets) await c(id, { ...o })
await new Promise((r) => setTimeout(r, 200))
for (const [id, o] of sets) await calls.l1(id, { ...o })
console.log('l1 size', calls.l1.engine.l1.size())
const mk = (name, call) => { const loop = h.compileLoop(step, true); return { name, run: (n, s) => loop(call, sets, n, s) } }
const res = await h.race([mk('mcache', calls.mcache), mk('l1', calls.l1)])
h.printRace('L1 vs mcache', res, { baseline: 'mcache' })
await calls.l1.engine.close()
await server.stop()
