// Issue 5: the memoized hit through the redis engine (`acache` on an async function) against raw
// ioredis `GET` + the same deserialization (`decodeValue` from '@twat-cache/core/node') and the
// same key building (core's `stableKey`), in the same run, on a real redis-server started here on
// a free loopback port. Target: hit ≥ 0.9× raw. Then throughput with 100 concurrent callers
// (the engine auto-pipelines) against sequential raw calls and raw calls at the same concurrency.
//
//   node apps/bench/src/redis.js                 (after `pnpm turbo run build`)
//
// Skipped, with a note, when redis-server is not installed.

import { Buffer } from 'node:buffer'
import { spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createConnection, createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { engineMemo } from './engine-memo.js'

// A Redis call waits on a socket and on another process: CPU time of this process would leave
// the round trip out and turn "throughput" into "client CPU per call". So this suite times wall
// clock unless BENCH_CLOCK says otherwise; the harness reads it once, when first imported, hence
// the dynamic import after setting it.
process.env.BENCH_CLOCK ??= 'wall'
const defaultHarness = await import('./harness.js')

const SETS = 1_000
const CALLERS = 100
const HIT_TARGET = 0.9
const HOST = '127.0.0.1'
const sets = Array.from({ length: SETS }, (_, id) => [id, { a: id * 2, b: id % 13 }])
const fAsync = async (id, o) => ({ id, sum: id * 3 + o.a - o.b, tag: `v${id}` })

// ---- a throw-away redis-server -------------------------------------------------------------

function freePort() {
  return new Promise((done, fail) => {
    const server = createServer()
    server.once('error', fail)
    server.listen(0, HOST, () => {
      const { port } = server.address()
      server.close(() => done(port))
    })
  })
}

/** One PING over a plain socket: true once the server answers `+PONG`. */
function pong(port) {
  return new Promise((done) => {
    const socket = createConnection({ host: HOST, port })
    let reply = ''
    const finish = (ok) => {
      socket.destroy()
      done(ok)
    }
    socket.setTimeout(500, () => finish(false))
    socket.once('error', () => finish(false))
    socket.once('connect', () => socket.write('PING\r\n'))
    socket.on('data', (chunk) => {
      reply += chunk
      if (reply.includes('\r\n')) finish(reply.startsWith('+PONG'))
    })
  })
}

/** redis-server on a free loopback port, no persistence, killed when this process exits. */
export async function startRedis() {
  const dir = mkdtempSync(join(tmpdir(), 'twat-bench-redis-'))
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort()
    const child = spawn('redis-server', ['--port', String(port), '--bind', HOST, '--save', '', '--appendonly', 'no', '--dir', dir], {
      stdio: 'ignore',
    })
    let exited = false
    child.once('exit', () => (exited = true))
    const kill = () => child.kill('SIGKILL')
    process.once('exit', kill)
    const deadline = Date.now() + 10_000
    while (!exited && Date.now() < deadline && !(await pong(port))) await defaultHarness.sleep(20)
    if (!exited && Date.now() < deadline) {
      return {
        port,
        async stop() {
          process.off('exit', kill)
          if (child.exitCode === null && child.signalCode === null) {
            const gone = new Promise((done) => child.once('exit', done))
            child.kill('SIGTERM')
            await gone
          }
          rmSync(dir, { recursive: true, force: true })
        },
      }
    }
    // The port was taken in the meantime (the server exited), or it never answered: next port.
    kill()
    process.off('exit', kill)
  }
  rmSync(dir, { recursive: true, force: true })
  throw new Error('redis-server did not start (5 attempts)')
}

/** True (after saying so) when there is no redis-server to run a suite against. */
export function redisServerMissing() {
  if (spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0) return false
  console.log('skipped: redis-server is not on PATH (apt-get install -y redis-server)')
  return true
}

/** Runs `body(server)` against a fresh redis-server, stopped afterwards whatever happens. */
export async function withRedisServer(body) {
  const server = await startRedis()
  try {
    await body(server)
  } finally {
    await server.stop()
  }
}

// ---- contenders ----------------------------------------------------------------------------

/**
 * Raw ioredis: GET the key, decode the bytes; on a miss run the function and SET the encoded
 * value. Keys are `stableKey(args)` under a prefix of the same length as the engine's.
 */
export function rawMemo(lib, client, prefix, fn) {
  const { stableKey, decodeValue, encodeValue } = lib
  return async (...args) => {
    const key = prefix + stableKey(args)
    const bytes = await client.getBuffer(key)
    if (bytes !== null) return decodeValue(bytes)
    const value = await fn(...args)
    const encoded = encodeValue(value)
    await client.set(key, Buffer.from(encoded.buffer, encoded.byteOffset, encoded.byteLength))
    return value
  }
}

/** One caller awaiting each call in turn. */
const sequentialStep = 'const s = sets[i % sets.length]; sum += (await call(s[0], s[1])).sum'
/**
 * `CALLERS` calls started together on distinct keys, awaited with Promise.all, then the next
 * batch. The step consumes CALLERS operations at once (the harness runs multiples of 10,000).
 */
const concurrentStep = `
  const batch = new Array(${CALLERS})
  for (let j = 0; j < ${CALLERS}; j++) { const s = sets[(i + j) % sets.length]; batch[j] = call(s[0], s[1]) }
  for (const r of await Promise.all(batch)) sum += r.sum
  i += ${CALLERS - 1}`

function contender(h, name, call, step) {
  const loop = h.compileLoop(step, true)
  return { name, call, run: (n, start) => loop(call, sets, n, start) }
}

async function check(name, call) {
  for (const [id, o] of sets) {
    const got = await call(id, o)
    const want = await fAsync(id, o)
    if (got.sum !== want.sum || got.tag !== want.tag) throw new Error(`${name} returned ${JSON.stringify(got)} for f(${id})`)
  }
}

async function bench(h, lib, port) {
  const { Redis, acache, createRedisEngine } = lib
  const clients = []
  const client = (options = {}) => {
    const c = new Redis({ host: HOST, port, lazyConnect: true, ...options })
    clients.push(c)
    return c
  }
  // The options the engine gives ioredis (see packages/redis/src/options.ts), auto-pipelining
  // aside: the engine turns it off for a lone caller. A row with them tells a cost of the
  // client's configuration (a timer per command for commandTimeout) from one of the engine.
  const engineClientOptions = { connectTimeout: 3000, commandTimeout: 2000, maxRetriesPerRequest: 1, enableOfflineQueue: false }
  const rawDefault = client()
  const rawEngineOptions = client(engineClientOptions)
  const rawPipelined = client({ enableAutoPipelining: true })
  for (const c of clients) await c.connect()

  const redis = { host: HOST, port }
  // Prefixes of equal length on every side, so no side moves more bytes per key.
  const engine = createRedisEngine({ redis, namespace: 'bench-engine' })
  const cached = acache({ engine: 'redis', redis, namespace: 'bench-acache' })(fAsync)
  if (cached.engine.name !== 'redis') throw new Error(`acache({ engine: 'redis' }) used '${cached.engine.name}'`)
  const rawPrefix = (tag) => `twat-cache:bench-${tag}:`.padEnd(engine.prefix.length, '_')

  const calls = {
    raw: rawMemo(lib, rawDefault, rawPrefix('raw1'), fAsync),
    rawEngineOptions: rawMemo(lib, rawEngineOptions, rawPrefix('raw2'), fAsync),
    rawPipelined: rawMemo(lib, rawPipelined, rawPrefix('raw3'), fAsync),
    engine: engineMemo(engine, fAsync),
    cached,
  }
  for (const [name, call] of Object.entries(calls)) await check(name, call) // fills every cache

  const RAW = 'raw ioredis GET + decode'
  const ACACHE = 'acache (redis)'
  const ENGINE = "engine 'redis' get/set"
  const hits = await h.race([
    contender(h, RAW, calls.raw, sequentialStep),
    contender(h, 'raw ioredis, engine client options', calls.rawEngineOptions, sequentialStep),
    contender(h, ENGINE, calls.engine, sequentialStep),
    contender(h, ACACHE, calls.cached, sequentialStep),
  ], { rounds: h.NETWORK_ROUNDS })
  // The second ratio column (against the engine alone) is what the wrapper adds.
  h.printRace(`redis: hit, one caller awaiting each call (${SETS} cached argument sets of f(id, {a, b}) → small object)`, hits, {
    baseline: RAW,
    compare: [ENGINE],
    targets: { [ACACHE]: { ok: (row, base) => h.pairedRatio(row, base) >= HIT_TARGET, text: `≥ ${HIT_TARGET.toFixed(2)}× raw` } },
    chart: 'redis hit',
  })

  const SEQ = 'raw ioredis, sequential'
  const PIPE = `raw ioredis ×${CALLERS}, auto-pipelined`
  const ACACHE_N = `acache (redis) ×${CALLERS}`
  const throughput = await h.race([
    contender(h, SEQ, calls.raw, sequentialStep),
    contender(h, `raw ioredis ×${CALLERS}`, calls.raw, concurrentStep),
    contender(h, PIPE, calls.rawPipelined, concurrentStep),
    contender(h, `engine 'redis' get/set ×${CALLERS}`, calls.engine, concurrentStep),
    contender(h, ACACHE_N, calls.cached, concurrentStep),
  ])
  // Issue 5 asks for this comparison without a number; "> sequential raw" is the least it must show.
  h.printRace(`redis: hit throughput, ${CALLERS} concurrent callers on distinct keys (Promise.all batches)`, throughput, {
    baseline: SEQ,
    compare: [PIPE],
    targets: { [ACACHE_N]: { ok: (r, base) => h.pairedRatio(r, base) > 1, text: '> sequential raw' } },
  })

  const info = cached.cacheInfo()
  if (info.misses !== SETS) throw new Error(`acache missed ${info.misses} times, expected ${SETS} (the warm-up): the hit path was not measured`)
  await Promise.all([engine.close(), cached.engine.close(), ...clients.map((c) => c.quit())])
}

export async function run(h = defaultHarness) {
  console.log('== redis engine: acache vs raw ioredis (issue 5) ==')
  if (redisServerMissing()) return
  if (h.CLOCK !== 'wall') console.log(`note: timed in ${h.CLOCK} time of this process, so the round trip is left out (BENCH_CLOCK=wall to include it)`)
  let lib
  try {
    const [{ Redis }, core, node, redisPkg] = await Promise.all([
      import('ioredis'),
      import('@twat-cache/core'),
      import('@twat-cache/core/node'),
      import('@twat-cache/redis'), // registers the engine
    ])
    lib = { Redis, ...core, ...node, createRedisEngine: redisPkg.createRedisEngine }
  } catch (error) {
    console.log(`skipped: @twat-cache/redis is not built or cannot load: ${String(error?.message ?? error).split('\n')[0]}`)
    return
  }
  await withRedisServer(async (server) => {
    console.log(`redis-server on ${HOST}:${server.port} (no persistence); same keys (stableKey), same decodeValue on every side`)
    await bench(h, lib, server.port)
  })
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await run()
  defaultHarness.printChecksum()
}
