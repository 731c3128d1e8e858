import { stableKey } from '@twat-cache/core'
const sets = Array.from({ length: 1000 }, (_, id) => [id, { a: id * 2, b: id % 13 }])
const m = new Map(); for (const s of sets) m.set(stableKey(s), 1)
const m2 = new Map(); for (const s of sets) m2.set(JSON.stringify(s), 1)
function bench(name, fn) { const rs = []; for (let r = 0; r < 9; r++) { let t = performance.now(), x = 0; for (let i = 0; i < 2e6; i++) x += fn(sets[i % 1000]); rs.push((performance.now() - t) * 1e6 / 2e6) } rs.sort((a,b)=>a-b); console.log(name, rs[4].toFixed(1), 'ns') }
for (let k = 0; k < 2; k++) {
bench('stableKey+get', (a) => m.get(stableKey(a)))
bench('JSON+get', (a) => m2.get(JSON.stringify(a)))
bench('stableKey', (a) => stableKey(a).length)
bench('JSON', (a) => JSON.stringify(a).length)
}
