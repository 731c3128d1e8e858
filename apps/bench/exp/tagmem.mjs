const h = await import('../src/harness.js')
const { mcache } = await import('@twat-cache/core')
const { contender, checkSameResults, f, SETS } = await import('../src/hot-path.js')
const cs = [contender('none', mcache({ maxsize: SETS * 2 })(f), false), contender('tags3', mcache({ maxsize: SETS * 2, tags: ['tenant:1', 'kind:f', 'version:3'] })(f), false), contender('envelope', mcache({ maxsize: SETS * 2, revalidate: () => 0 })(f), false)]
await checkSameResults(cs, false)
h.printRace('mem', await h.race(cs), { baseline: 'none' })
