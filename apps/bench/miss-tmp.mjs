import { mcache } from '@twat-cache/core'
const SETS=1000
const sets = Array.from({ length: SETS }, (_, id) => [id, { a: id * 2, b: id % 13 }])
const fAsync = async (id, o) => id * 3 + o.a - o.b
const f = (id, o) => id * 3 + o.a - o.b
function mapMemo(fn, max = Infinity) { const map = new Map(); return (...args) => { const key = JSON.stringify(args); const hit = map.get(key); if (hit !== undefined) return hit; const value = fn(...args); if (map.size >= max) map.delete(map.keys().next().value); map.set(key, value); return value } }
const which = process.argv[2] ?? 'miss'
async function missLoop(call, n, start) { let sum = 0; for (let i = start; i < start + n; i++) { const s = sets[i % SETS]; sum += await call(i + 1e9, s[1]) } return sum }
function hitLoop(call, n, start) { let sum = 0; for (let i = start; i < start + n; i++) { const s = sets[i % SETS]; sum += call(s[0], s[1]) } return sum }
const c = which === 'miss' ? { Map: mapMemo(fAsync, SETS), mcache: mcache({ engine: 'memory', maxsize: SETS })(fAsync) } : { Map: mapMemo(f), mcache: mcache({ engine: 'memory', maxsize: SETS*2 })(f), swr: mcache({ engine: 'memory', maxsize: SETS*2, ttl: '1h', staleWhileRevalidate: '1h' })(f) }
let start = 0
const ratios = {}
for (let round = 0; round < 31; round++) {
  const out = []; const rate = {}
  for (const [name, call] of Object.entries(c)) {
    const n = 50000; const t0 = performance.now()
    if (which === 'miss') await missLoop(call, n, start); else hitLoop(call, n, 0)
    start += n
    rate[name] = n / (performance.now() - t0) / 1000
  }
  if (round >= 3) for (const k in rate) (ratios[k] ??= []).push(rate[k] / rate.Map)
}
for (const k in ratios) { const r = ratios[k].sort((a, b) => a - b); console.log(k, 'median ratio', r[r.length >> 1].toFixed(3), r.map((x) => x.toFixed(2)).join(' ')) }
