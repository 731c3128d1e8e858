import { spawn } from 'node:child_process'
import { acache } from '@twat-cache/core'
import { decodeValue } from '@twat-cache/core/node'
import { createRedisEngine } from '@twat-cache/redis/engine'
import '@twat-cache/redis'
import { Redis } from 'ioredis'
import { engineMemo } from './src/engine-memo.js'
import { stableKey } from '@twat-cache/core'
const port = 46379
const srv = spawn('redis-server', ['--port', String(port), '--save', '', '--appendonly', 'no'], { stdio: 'ignore' })
await new Promise((r) => setTimeout(r, 300))
const fn = async (id, o) => ({ id, sum: id * 3 + o.a - o.b, tag: `v${id}` })
const redis = { host: '127.0.0.1', port }
const a = acache({ engine: 'redis', redis, namespace: 'bench-acache' })(fn)
const e = engineMemo(createRedisEngine({ redis, namespace: 'bench-engine' }), fn)
const rawOf = (opts, p) => { const c = new Redis({ port, ...opts }); return async (...args) => { const k = p + stableKey(args); const b = await c.getBuffer(k); if (b) return decodeValue(b); const v = await fn(...args); return v } }
const r1 = rawOf({}, 'twat-cache:bench-acache:')
const r2 = rawOf({ connectTimeout: 3000, commandTimeout: 2000, maxRetriesPerRequest: 1, enableOfflineQueue: false }, 'twat-cache:bench-acache:')
const all = { raw: r1, rawopt: r2, e, a }
for (let i = 0; i < 1000; i++) { await a(i, { a: i * 2, b: i % 13 }); await e(i, { a: i * 2, b: i % 13 }) }
const res = Object.fromEntries(Object.keys(all).map((k) => [k, []]))
for (let r = 0; r < 15; r++) for (const [n, f] of Object.entries(all)) {
  const c0 = process.cpuUsage(); const t0 = performance.now()
  for (let i = 0; i < 3000; i++) await f(i % 1000, { a: (i % 1000) * 2, b: (i % 1000) % 13 })
  const c = process.cpuUsage(c0); res[n].push([(performance.now() - t0) / 3, (c.user + c.system) / 3000])
}
const med = (xs) => xs.sort((x, y) => x - y)[xs.length >> 1]
for (const n of Object.keys(all)) console.log(n.padEnd(8), 'wall us', med(res[n].map((x) => x[0])).toFixed(2), 'cpu us', med(res[n].map((x) => x[1])).toFixed(2), 'paired wall vs raw', med(res[n].map((x, i) => res.raw[i][0] / x[0])).toFixed(3))
srv.kill(); process.exit(0)
