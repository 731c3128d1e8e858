process.env.BENCH_CLOCK ??= 'wall'
const h = await import('../src/harness.js')
const { startRedis } = await import('../src/redis.js')
const { acache } = await import('@twat-cache/core')
await import('@twat-cache/redis')
const { contender, checkSameResults, fAsync, SETS } = await import('../src/hot-path.js')
const server = await startRedis()
const url = `redis://127.0.0.1:${server.port}`
const o = { engine: 'redis', redis: { url }, maxsize: SETS * 2 }
const fns = [acache({ ...o, namespace: 'p' })(fAsync), acache({ ...o, namespace: 't', tags: ['tenant:1', 'kind:f', 'version:3'] })(fAsync), acache({ ...o, namespace: 'fn', tags: () => ['tenant:1', 'kind:f', 'version:3'] })(fAsync)]
const cs = [contender('none', fns[0], true), contender('static3', fns[1], true), contender('fn3', fns[2], true)]
await checkSameResults(cs, true)
h.printRace('redis', await h.race(cs), { baseline: 'none' })
await Promise.all(fns.map((f) => f.engine.close()))
await server.stop()
