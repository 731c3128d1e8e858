import { mcache } from '@twat-cache/core'
const SETS=1000
const sets = Array.from({ length: SETS }, (_, id) => [id, { a: id * 2, b: id % 13 }])
const f = (id, o) => id * 3 + o.a - o.b
const opts = process.argv[2] === 'swr' ? { ttl: '1h', staleWhileRevalidate: '1h' } : {}
const call = mcache({ engine: 'memory', maxsize: SETS * 2, ...opts })(f)
let sum = 0
for (let i = 0; i < 2e7; i++) { const s = sets[i % SETS]; sum += call(s[0], s[1]) }
console.log(sum)
