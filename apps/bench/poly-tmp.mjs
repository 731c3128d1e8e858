import { mcache } from '@twat-cache/core'
const SETS=1000
const sets = Array.from({ length: SETS }, (_, id) => [id, { a: id * 2, b: id % 13 }])
const f = (id, o) => id * 3 + o.a - o.b
function mapMemo(fn) { const map = new Map(); return (...args) => { const key = JSON.stringify(args); const hit = map.get(key); if (hit !== undefined) return hit; const value = fn(...args); map.set(key, value); return value } }
const plain = mcache({ maxsize: SETS * 2 })(f)
const all = [mcache({ maxsize: SETS * 2, ttl: '1h', staleWhileRevalidate: '1h' })(f), mcache({ maxsize: SETS * 2, ttl: 1, staleWhileRevalidate: '1h', revalidate: () => new Promise(() => {}) })(f), mcache({ maxsize: SETS * 2 })(f)]; const pick = (process.argv[3] ?? '').split(',').filter(Boolean).map(Number); const others = process.argv[2] === 'poly' ? all.filter((_, i) => !pick.length || pick.includes(i)) : []
const map = mapMemo(f)
const loopSrc = 'let sum = 0; for (let i = 0; i < n; i++) { const s = sets[i % 1000]; sum += call(s[0], s[1]) } return sum'
const mk = () => new Function('call', 'sets', 'n', loopSrc)
const c = { Map: [map, mk()], plain: [plain, mk()], ...Object.fromEntries(others.map((o, i) => ['o' + i, [o, mk()]])) }
const ratios = []
for (let r = 0; r < 25; r++) {
  const rate = {}
  for (const [name, [call, loop]] of Object.entries(c)) { const t = performance.now(); loop(call, sets, 100000); rate[name] = 1e5 / (performance.now() - t) }
  if (r > 4) ratios.push(rate.plain / rate.Map)
}
ratios.sort((a, b) => a - b); console.log(process.argv[2] ?? 'mono', 'plain/Map median', ratios[ratios.length >> 1].toFixed(3))
