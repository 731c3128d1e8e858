// Issue 4: the memoized hit and miss paths of `bcache` (sqlite engine) and `fcache` (flat-cache
// engine) against the raw libraries doing the same job in the same run: better-sqlite3 with
// prepared statements and flat-cache, both storing what core's `encodeValue` writes and reading
// it back with `decodeValue`, both building keys with core's `stableKey`. So the ratios show
// what the engine and the wrapper add, not a difference in serialization or key building.
// Target: memoized hit ≥ 0.8× raw.
//
//   node apps/bench/src/persistent.js            (after `pnpm turbo run build`)
//
// Rows per table: the raw library; the engine alone (`stableKey` + `engine.get`/`set`, no
// wrapper); the memoized function `cached(id, {a, b})`. Every contender gets its own file in a
// temp dir, removed at the end.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { bcache, fcache, stableKey } from '@twat-cache/core'
import { decodeValue, encodeValue } from '@twat-cache/core/node'
import { engineMemo } from './engine-memo.js'
import * as defaultHarness from './harness.js'

const SETS = 1_000
const sets = Array.from({ length: SETS }, (_, id) => [id, { a: id * 2, b: id % 13 }])
/** A small object per argument set: what a typical cached lookup returns (31 bytes encoded). */
const f = (id, o) => ({ id, sum: id * 3 + o.a - o.b, tag: `v${id}` })
const HIT_TARGET = 0.8

const hitStep = 'const s = sets[i % sets.length]; sum += call(s[0], s[1]).sum'
// Fresh keys: `i` is the contender's own operation counter, which only grows (warm-up and every
// round continue it), and each contender has its own file, so id i + 1e9 was never cached.
const missStep = 'const s = sets[i % sets.length]; sum += call(i + 1e9, s[1]).sum'

/** Remembers the last `size` keys written; returns the one that falls out (ring eviction). */
function ring(size) {
  const keys = new Array(size)
  let next = 0
  return (key) => {
    const old = keys[next]
    keys[next] = key
    next = (next + 1) % size
    return old
  }
}

/**
 * Raw better-sqlite3, as a careful hand-written cache would use it: WAL and synchronous=NORMAL
 * (the engine's settings), prepared statements, one IMMEDIATE transaction per write that also
 * deletes the entry written `maxsize` writes ago, so misses pay for a bounded cache as the
 * engine's do.
 */
function rawSqliteMemo(Database, fn, file, maxsize) {
  const db = new Database(file)
  db.pragma('journal_mode = WAL')
  db.pragma('synchronous = NORMAL')
  db.exec('CREATE TABLE IF NOT EXISTS cache (key TEXT PRIMARY KEY, value BLOB NOT NULL)')
  const select = db.prepare('SELECT value FROM cache WHERE key = ?').pluck(true)
  const upsert = db.prepare('INSERT INTO cache (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value')
  const remove = db.prepare('DELETE FROM cache WHERE key = ?')
  const evicted = ring(maxsize)
  const write = db.transaction((key, bytes) => {
    upsert.run(key, bytes)
    const old = evicted(key)
    if (old !== undefined) remove.run(old)
  }).immediate
  const memo = (...args) => {
    const key = stableKey(args)
    const bytes = select.get(key)
    if (bytes !== undefined) return decodeValue(bytes)
    const value = fn(...args)
    write(key, encodeValue(value))
    return value
  }
  memo.close = () => db.close()
  return memo
}

/**
 * Raw flat-cache configured as the engine configures it (no clones, flat-cache's LRU bounded at
 * `maxsize`, one Map instead of 16 hashed ones), holding encoded bytes, read through its public
 * `get`. `live` instead keeps flat-cache's defaults and stores the objects themselves: what a
 * user gets without a serializer (informational, no target).
 */
function rawFlatMemo(FlatCache, fn, dir, maxsize, live = false) {
  const flat = live
    ? new FlatCache({ cacheDir: dir, cacheId: 'raw-live.json', lruSize: maxsize })
    : new FlatCache({ cacheDir: dir, cacheId: 'raw.json', useClone: false, lruSize: maxsize })
  if (!live) flat.cache.storeHashSize = 1
  const memo = live
    ? (...args) => {
        const key = stableKey(args)
        const hit = flat.get(key)
        if (hit !== undefined) return hit
        const value = fn(...args)
        flat.set(key, value)
        return value
      }
    : (...args) => {
        const key = stableKey(args)
        const bytes = flat.get(key)
        if (bytes !== undefined) return decodeValue(bytes)
        const value = fn(...args)
        flat.set(key, encodeValue(value))
        return value
      }
  memo.flat = flat
  memo.close = () => {}
  return memo
}

function check(name, call) {
  for (const [id, o] of sets) {
    const got = call(id, o)
    const want = f(id, o)
    if (got.sum !== want.sum || got.tag !== want.tag) throw new Error(`${name} returned ${JSON.stringify(got)} for f(${id})`)
  }
}

/** Engines under test: how to build the raw memoizer, the engine alone, and the memoized function. */
function specs(libs, root) {
  let folder = 0
  /** A fresh cache folder per contender: no contender reads another's entries. */
  const place = () => ({ cacheDir: root, folderName: `c${++folder}` })
  return [
    {
      name: 'sqlite',
      wrapper: 'bcache',
      raw: { label: 'raw better-sqlite3', make: (maxsize) => rawSqliteMemo(libs.Database, f, join(root, `raw-${++folder}.db`), maxsize) },
      engine: (maxsize) => engineMemo(libs.createSqliteEngine({ ...place(), namespace: 'bench-engine', maxsize }), f),
      cached: (maxsize, extra = {}) => bcache({ engine: 'sqlite', ...place(), namespace: 'bench-bcache', maxsize, ...extra })(f),
      // lru (the default) records each read in memory and writes the order once a second;
      // fifo records nothing, which shows what that bookkeeping costs.
      variants: { "policy 'fifo'": { policy: 'fifo' } },
    },
    {
      name: 'flat-cache',
      wrapper: 'fcache',
      raw: { label: 'raw flat-cache', make: (maxsize) => rawFlatMemo(libs.FlatCache, f, join(root, `raw-${++folder}`), maxsize) },
      info: { label: 'raw flat-cache, defaults, live objects', make: (maxsize) => rawFlatMemo(libs.FlatCache, f, join(root, `raw-${++folder}`), maxsize, true) },
      engine: (maxsize) => engineMemo(libs.createFlatCacheEngine({ ...place(), namespace: 'bench-engine', maxsize }), f),
      cached: (maxsize, extra = {}) => fcache({ engine: 'flat-cache', ...place(), namespace: 'bench-fcache', maxsize, ...extra })(f),
      variants: {},
    },
  ]
}

function contender(h, name, call, step) {
  const loop = h.compileLoop(step, false)
  return { name, call, run: (n, start) => loop(call, sets, n, start) }
}

async function benchEngine(h, spec) {
  const label = `${spec.wrapper} (${spec.name})`
  const engineLabel = `engine '${spec.name}' get/set`
  const open = []
  const lineup = (maxsize, step) => {
    const rows = []
    const add = (name, call) => {
      open.push(call)
      rows.push(contender(h, name, call, step))
    }
    add(spec.raw.label, spec.raw.make(maxsize))
    if (spec.info) add(spec.info.label, spec.info.make(maxsize))
    add(engineLabel, spec.engine(maxsize))
    const cached = spec.cached(maxsize)
    if (cached.engine.name !== spec.name) throw new Error(`${spec.wrapper}({ engine: '${spec.name}' }) used '${cached.engine.name}'`)
    add(label, cached)
    for (const [name, extra] of Object.entries(spec.variants)) add(`${label} ${name}`, spec.cached(maxsize, extra))
    return { rows, cached }
  }
  const closeAll = async () => {
    for (const call of open.splice(0)) await (call.engine ? call.engine.close() : call.close())
  }

  const hit = lineup(SETS * 2, hitStep)
  for (const row of hit.rows) check(row.name, row.call) // fills every cache: the timed loop only hits
  const hitResults = await h.race(hit.rows)
  // The second ratio column (against the engine alone) is what the wrapper adds.
  h.printRace(`${spec.name}: hit (sync fn, ${SETS} cached argument sets of f(id, {a, b}) → small object)`, hitResults, {
    baseline: spec.raw.label,
    compare: [engineLabel],
    targets: { [label]: { ok: (row, base) => h.pairedRatio(row, base) >= HIT_TARGET, text: `≥ ${HIT_TARGET.toFixed(2)}× raw` } },
    chart: `${spec.name} hit`,
  })
  const info = hit.cached.cacheInfo()
  if (info.misses !== SETS) throw new Error(`${label} missed ${info.misses} times on the hit path, expected ${SETS} (the warm-up)`)
  await closeAll()

  const miss = lineup(SETS, missStep)
  const missResults = await h.race(miss.rows)
  h.printRace(`${spec.name}: miss (every call a new id, i + 1e9; get → run f → encode → set, ${SETS} entries kept)`, missResults, {
    baseline: spec.raw.label,
    compare: [engineLabel],
  })
  if (miss.cached.cacheInfo().hits !== 0) throw new Error(`${label} hit on the miss path: the keys were not fresh`)
  await closeAll()
}

/** Wall ms of `write()`, median of `n`: disk writes wait on I/O, which CPU time would leave out. */
function medianMs(h, n, write) {
  const times = []
  for (let i = 0; i < n; i++) {
    const t0 = performance.now()
    write(i)
    times.push(performance.now() - t0)
  }
  return h.median(times)
}

/**
 * flat-cache writes its file on a debounce, which never fires inside the timed loops (a sync
 * loop does not yield to the event loop), so the write is measured here on its own: the
 * engine's atomic flush against flat-cache's own `save()`, 1,000 entries each.
 */
function flatCacheWrites(h, libs, root) {
  const N = 30
  const engine = libs.createFlatCacheEngine({ cacheDir: root, folderName: 'writes', namespace: 'flush', maxsize: SETS })
  const raw = new libs.FlatCache({ cacheDir: join(root, 'raw-writes'), cacheId: 'raw.json', lruSize: SETS })
  for (const [id, o] of sets) {
    engine.set(stableKey([id, o]), f(id, o))
    raw.set(stableKey([id, o]), f(id, o))
  }
  const ours = medianMs(h, N, (i) => {
    engine.set('touch', i)
    engine.flush()
  })
  const theirs = medianMs(h, N, (i) => {
    raw.set('touch', i)
    raw.save()
  })
  engine.close()
  const title = `flat-cache: writing the file with ${SETS} small entries (wall ms, median of ${N}; outside the timed loops above)`
  const rows = [
    ['engine flush (JSON + base64 entries, temp file + rename)', `${ours.toFixed(2)} ms`],
    ['raw FlatCache#save() (flatted, writeFileSync in place)', `${theirs.toFixed(2)} ms`],
  ]
  console.log(`\n${title}`)
  for (const [name, ms] of rows) console.log(`  ${name.padEnd(58)} ${ms.padStart(9)}`)
  // recordTable (for the generated report) is newer than the rest of the harness.
  h.recordTable?.(title, ['writer', 'ms per write'], rows)
}

async function load() {
  const [{ default: Database }, { FlatCache }, sqlite, flat] = await Promise.all([
    import('better-sqlite3'),
    import('flat-cache'),
    import('@twat-cache/sqlite'), // registers the engine
    import('@twat-cache/flat-cache'),
  ])
  return { Database, FlatCache, createSqliteEngine: sqlite.createSqliteEngine, createFlatCacheEngine: flat.createFlatCacheEngine }
}

export async function run(h = defaultHarness) {
  console.log('== persistent engines: bcache / fcache vs raw better-sqlite3 / flat-cache (issue 4) ==')
  let libs
  try {
    libs = await load()
  } catch (error) {
    const code = error && typeof error === 'object' && 'code' in error ? ` (${error.code})` : ''
    console.log(`skipped: a persistent engine package is not built or cannot load${code}: ${String(error?.message ?? error).split('\n')[0]}`)
    return
  }
  const root = mkdtempSync(join(tmpdir(), 'twat-bench-persistent-'))
  console.log(`files in ${root} (removed at the end); same keys (stableKey), same serializer (encodeValue/decodeValue) on every side`)
  try {
    for (const spec of specs(libs, root)) await benchEngine(h, spec)
    flatCacheWrites(h, libs, root)
  } finally {
    rmSync(root, { recursive: true, force: true })
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await run()
  defaultHarness.printChecksum()
}
