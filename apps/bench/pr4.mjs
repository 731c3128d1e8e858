import { spawn } from 'node:child_process'
import { acache } from '@twat-cache/core'
import '@twat-cache/redis'
const port = 46379
const srv = spawn('redis-server', ['--port', String(port), '--save', '', '--appendonly', 'no'], { stdio: 'ignore' })
await new Promise((r) => setTimeout(r, 300))
const fn = async (id, o) => ({ id, sum: id * 3 + o.a - o.b, tag: `v${id}` })
const redis = { host: '127.0.0.1', port }
const TAGS = ['user:1', 'org:2', 'plan:3']
const all = {
  plain: acache({ engine: 'redis', redis, namespace: 'p' })(fn),
  tagged: acache({ engine: 'redis', redis, namespace: 't', tags: TAGS })(fn),
  swr: acache({ engine: 'redis', redis, namespace: 's', ttl: '1h', staleWhileRevalidate: '1h' })(fn),
}
for (const f of Object.values(all)) for (let i = 0; i < 1000; i++) await f(i, { a: i * 2, b: i % 13 })
const res = Object.fromEntries(Object.keys(all).map((k) => [k, []]))
for (let r = 0; r < 11; r++) for (const [n, f] of Object.entries(all)) {
  const c0 = process.cpuUsage(); const t0 = performance.now()
  for (let i = 0; i < 3000; i++) await f(i % 1000, { a: (i % 1000) * 2, b: (i % 1000) % 13 })
  const c = process.cpuUsage(c0); res[n].push([(performance.now() - t0) / 3, (c.user + c.system) / 3000])
}
const med = (xs) => xs.sort((x, y) => x - y)[xs.length >> 1]
for (const n of Object.keys(all)) console.log(n.padEnd(8), 'wall us', med(res[n].map((x) => x[0])).toFixed(2), 'cpu us', med(res[n].map((x) => x[1])).toFixed(2), 'paired wall vs plain', med(res[n].map((x, i) => res.plain[i][0] / x[0])).toFixed(3))
srv.kill(); process.exit(0)
