import { mcache } from '@twat-cache/core'
const SETS=1000
const sets = Array.from({ length: SETS }, (_, id) => [id, { a: id * 2, b: id % 13 }])
const fAsync = async (id, o) => id * 3 + o.a - o.b
const call = mcache({ engine: 'memory', maxsize: SETS })(fAsync)
let sum = 0
for (let i = 0; i < 3e6; i++) { const s = sets[i % SETS]; sum += await call(i + 1e9, s[1]) }
console.log(sum)
