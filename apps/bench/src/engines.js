// Issue 3: for each in-process engine, the memoized hit and miss paths of `mcache` against the
// raw library doing the same job with the same key building (core's `stableKey`), and heap
// bytes per entry for 100k small entries. Target: on the hit path the wrapper adds at most 15%
// over raw library + key building (mcache ≥ 0.87× raw).
import { MISS, createEngine, createMemoryEngine, mcache, stableKey } from '@twat-cache/core'
import { engineMemo } from './engine-memo.js'
import { compileLoop, heapGrowth, pairedRatio, printRace, race, recordTable } from './harness.js'

const SETS = 1_000
const HEAP_ENTRIES = 100_000
const sets = Array.from({ length: SETS }, (_, id) => [id, { a: id * 2, b: id % 13 }])
const f = (id, o) => id * 3 + o.a - o.b
const fAsync = async (id, o) => id * 3 + o.a - o.b
/** A small entry for the heap figure: one short object per key. */
const small = (i) => ({ i })

/**
 * Memoizers over a raw store, written out per engine so each calls its library directly.
 * `bound` caps entries at `maxsize` the way the library itself offers (or, where it offers
 * nothing but a throw, by a ring of keys: one array write per miss), so the miss path
 * includes eviction for every contender, as it does for mcache.
 */
function ring(maxsize, drop) {
  const keys = new Array(maxsize)
  let next = 0
  return (key) => {
    const old = keys[next]
    if (old !== undefined) drop(old)
    keys[next] = key
    next = (next + 1) % maxsize
  }
}

/** Engines, in chain order. `load` imports the package (registering it) and the raw library. */
const ENGINES = [
  {
    name: 'memory',
    pkg: '@twat-cache/core',
    mode: 'sync',
    async load() {
      return {
        rawMemo(fn, maxsize) {
          const engine = createMemoryEngine({ maxsize, policy: 'lru' })
          return (...args) => {
            const key = stableKey(args)
            const hit = engine.get(key)
            if (hit !== MISS) return hit
            const value = fn(...args)
            engine.set(key, value)
            return value
          }
        },
        rawLabel: 'createMemoryEngine get/set',
      }
    },
  },
  {
    name: 'lru',
    pkg: '@twat-cache/lru',
    mode: 'sync',
    async load() {
      await import('@twat-cache/lru')
      const { LRUCache } = await import('lru-cache')
      return {
        rawMemo(fn, maxsize) {
          const cache = new LRUCache({ max: maxsize })
          return (...args) => {
            const key = stableKey(args)
            const hit = cache.get(key)
            if (hit !== undefined) return hit
            const value = fn(...args)
            cache.set(key, value)
            return value
          }
        },
        rawLabel: 'lru-cache get/set',
      }
    },
  },
  {
    name: 'node-cache',
    pkg: '@twat-cache/node-cache',
    mode: 'sync',
    // Its LRU order is kept by the engine on top of node-cache; 'fifo' shows what that costs.
    variants: { "policy 'fifo'": { policy: 'fifo' } },
    async load() {
      await import('@twat-cache/node-cache')
      const { NodeCache } = await import('@cacheable/node-cache')
      return {
        rawMemo(fn, maxsize) {
          // Configured as the engine configures it (no clones, no sweep timer, statistics off),
          // so the ratio shows what the engine's glue costs. node-cache throws at maxKeys
          // instead of evicting, so the raw contender evicts by ring.
          const cache = new NodeCache({ stdTTL: 0, checkperiod: 0, useClones: false, maxKeys: -1 })
          if (cache._stats && typeof cache._stats.enabled === 'boolean') cache._stats.enabled = false
          const evict = ring(maxsize, (key) => cache.del(key))
          return (...args) => {
            const key = stableKey(args)
            const hit = cache.get(key)
            if (hit !== undefined) return hit
            const value = fn(...args)
            cache.set(key, value)
            evict(key)
            return value
          }
        },
        rawLabel: 'node-cache get/set',
      }
    },
  },
  {
    name: 'cacheable',
    pkg: '@twat-cache/cacheable',
    mode: 'async',
    async load() {
      await import('@twat-cache/cacheable')
      const { Cacheable, createKeyv } = await import('cacheable')
      return {
        rawMemo(fn, maxsize) {
          // The primary the engine builds: cacheable's LRU, live values, one shard, no sweep timer.
          const primary = createKeyv({ lruSize: maxsize, useClone: false, storeHashSize: 1, checkInterval: 0 })
          const cache = new Cacheable({ primary, nonBlocking: false })
          return async (...args) => {
            const key = stableKey(args)
            const hit = await cache.get(key)
            if (hit !== undefined) return hit
            const value = await fn(...args)
            await cache.set(key, value)
            return value
          }
        },
        rawLabel: 'cacheable get/set',
      }
    },
  },
]

const hitStep = (isAsync) => `const s = sets[i % sets.length]; sum += ${isAsync ? 'await ' : ''}call(s[0], s[1])`
// Every call a new id: a miss, a run of f, a set and (once full) an eviction.
const missStep = (isAsync) => `const s = sets[i % sets.length]; sum += ${isAsync ? 'await ' : ''}call(i + 1e9, s[1])`

function contender(name, call, step, isAsync) {
  const loop = compileLoop(step, isAsync)
  return { name, call, run: (n, start) => loop(call, sets, n, start) }
}

async function warm(call, isAsync) {
  for (const [id, o] of sets) {
    const got = isAsync ? await call(id, o) : call(id, o)
    if (got !== f(id, o)) throw new Error(`wrong result ${got} for f(${id})`)
  }
}

async function benchEngine(spec, lib) {
  const isAsync = spec.mode === 'async'
  const fn = isAsync ? fAsync : f
  const label = `mcache engine '${spec.name}'`
  const engines = []
  /** raw library, [engine alone], mcache, and any extra mcache variants, for one maxsize. */
  const lineup = (maxsize, step) => {
    const rows = [contender(lib.rawLabel, lib.rawMemo(fn, maxsize), step, isAsync)]
    if (spec.name !== 'memory') {
      const engine = createEngine({ engine: spec.name, maxsize, namespace: 'bench-engine' })
      engines.push(engine)
      rows.push(contender(`engine '${spec.name}' get/set`, engineMemo(engine, fn, isAsync), step, isAsync))
    }
    const cached = mcache({ engine: spec.name, maxsize })(fn)
    if (cached.engine.name !== spec.name) throw new Error(`mcache({ engine: '${spec.name}' }) used '${cached.engine.name}'`)
    engines.push(cached.engine)
    rows.push(contender(label, cached, step, isAsync))
    for (const [name, options] of Object.entries(spec.variants ?? {})) {
      const variant = mcache({ engine: spec.name, maxsize, ...options })(fn)
      engines.push(variant.engine)
      rows.push(contender(`${label} ${name}`, variant, step, isAsync))
    }
    return rows
  }

  const hitRows = lineup(SETS * 2, hitStep(isAsync))
  for (const row of hitRows) await warm(row.call, isAsync)
  const hit = await race(hitRows)
  printRace(`${spec.name}: hit (${isAsync ? 'async fn' : 'sync fn'}, ${SETS} cached argument sets)`, hit, {
    baseline: lib.rawLabel,
    targets: { [label]: { ok: (row, base) => pairedRatio(row, base) >= 1 / 1.15, text: '≥ 0.87× raw (≤ 15% added)' } },
  })
  const miss = await race(lineup(SETS, missStep(isAsync)))
  printRace(`${spec.name}: miss (every call a new key, ${SETS} entries kept)`, miss, { baseline: lib.rawLabel })
  for (const engine of engines) await engine.close()
}

/** Heap bytes per entry: 100k distinct calls of a function returning a small object. */
async function heapPerEntry(spec, lib, rows) {
  const isAsync = spec.mode === 'async'
  const fn = isAsync ? async (i) => small(i) : small
  const fill = (memo) => async () => {
    for (let i = 0; i < HEAP_ENTRIES; i++) {
      if (isAsync) await memo(i)
      else memo(i)
    }
    return memo
  }
  const raw = await heapGrowth(fill(lib.rawMemo(fn, HEAP_ENTRIES * 2)))
  if (!raw) return console.log(`  ${spec.name}: heap figures need node --expose-gc`)
  const ours = await heapGrowth(fill(mcache({ engine: spec.name, maxsize: HEAP_ENTRIES * 2 })(fn)))
  const per = (g) => Math.round(g.bytes / HEAP_ENTRIES)
  const added = per(ours) - per(raw)
  rows.push([spec.name, per(ours), lib.rawLabel, per(raw), `${added >= 0 ? '+' : ''}${added}`])
  console.log(
    `  ${spec.name.padEnd(10)}  mcache ${String(per(ours)).padStart(4)} B/entry   ${lib.rawLabel} ${String(per(raw)).padStart(4)} B/entry   (${added >= 0 ? '+' : ''}${added} B)`,
  )
  await ours.keep.engine.close()
}

export async function run() {
  console.log('== engines: mcache vs the raw library (issue 3) ==')
  const loaded = []
  for (const spec of ENGINES) {
    try {
      loaded.push([spec, await spec.load()])
    } catch (error) {
      const code = error && typeof error === 'object' && 'code' in error ? ` (${error.code})` : ''
      console.log(`\nskipped ${spec.name}: ${spec.pkg} is not built or cannot load${code}: ${String(error?.message ?? error).split('\n')[0]}`)
    }
  }
  for (const [spec, lib] of loaded) await benchEngine(spec, lib)
  const title = `heap bytes per entry, ${HEAP_ENTRIES.toLocaleString('en')} entries of f(i) → { i } (key building included for both)`
  console.log(`\n${title}`)
  const rows = []
  for (const [spec, lib] of loaded) await heapPerEntry(spec, lib, rows)
  if (rows.length) recordTable(title, ['engine', 'mcache B/entry', 'raw library', 'raw B/entry', 'added B'], rows)
}
