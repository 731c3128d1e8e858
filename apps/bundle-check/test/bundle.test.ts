import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { gzipSync } from 'node:zlib'
import { type Metafile, build } from 'esbuild'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BUILD_TIMEOUT_MS, ROOT, ensureBuilt, nodeBuiltinReferences } from './build.js'

/**
 * ARCHITECTURE.md §11: a consumer importing only `mcache`, min+gzip. Issues 2 and 16 set 8 KB
 * before §12-§15 put freshness (stale windows, timeouts, revalidate), tags, cache events and
 * the options of `l1`/`lock` on every wrapper's path: measured 12,896 B with all of them (tier
 * and lock code itself stays out; only acache/bcache/fcache/ucache carry it), 13,424 B after
 * the hit/miss speed work of the second 2026-12-03 session (then-based settle, inline L1 hits,
 * the tag step's cached answers), 13,582 B after the third (tags-function hints in the tag
 * step), 14,187 B after the fourth session's audit fixes (one `hardTimeout` budget per call,
 * plain functions reading envelopes as values, the memory engine's shrinking and per-call ttl
 * check, jitter and tag checks), 15,472 B after the fifth session's correctness fixes (keys of
 * Headers/FormData and of instances with hidden state, numbered namespaces for factory closures,
 * runs in flight dropped by cacheDelete/cacheClear, the key-option and set-ttl checks, warnings
 * for options nothing uses, getStats' FinalizationRegistry). The budget (15.5 KB) still catches growth.
 */
const MCACHE_BUDGET_BYTES = 15.5 * 1024
/**
 * Issue 15 (12 KB, set before the same features): `acache` with idb or cloudflare-kv, min+gzip;
 * measured 17,010 and 17,331 B, 17,665 and 17,991 B, 18,275 and 18,616 B (the same audit
 * fixes), now 19,672 and 20,439 B (the same correctness fixes; cloudflare-kv's clear() at the
 * Workers operation limit).
 */
const PERSISTENT_EDGE_BUDGET_BYTES = 20.5 * 1024

interface Bundle {
  code: string
  gzipBytes: number
  /** Source files with code in the output, relative to the repo root. */
  inputs: string[]
  file: string
}

let workDir: string

/** Bundle `source` as a browser consumer would: ESM, minified, tree-shaken, built packages. */
async function bundleConsumer(name: string, source: string): Promise<Bundle> {
  const result = await build({
    stdin: { contents: source, resolveDir: join(ROOT, 'apps/bundle-check'), sourcefile: `${name}.js`, loader: 'js' },
    absWorkingDir: ROOT,
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    minify: true,
    treeShaking: true,
    write: false,
    metafile: true,
    logLevel: 'silent',
    // The root tsconfig.json maps @twat-cache/* to sources for the type checker; esbuild would
    // follow those paths. A consumer has no such mapping: resolve through package.json exports.
    tsconfigRaw: '{}',
  })
  const code = result.outputFiles[0]!.text
  const file = join(workDir, `${name}.mjs`)
  writeFileSync(file, code)
  // Files esbuild read but tree-shook away entirely are listed with 0 bytes: only count code kept.
  const output = Object.values((result.metafile as Metafile).outputs)[0]!
  const inputs = Object.entries(output.inputs)
    .filter(([, kept]) => kept.bytesInOutput > 0)
    .map(([input]) => input)
  return { code, gzipBytes: gzipSync(code, { level: 9 }).length, inputs, file }
}

// Globals a browser or an edge runtime does not have: the bundle runs without them.
const NODE_ONLY_GLOBALS = ['process', 'Buffer', 'global', 'setImmediate', 'clearImmediate', 'require', 'module']

/**
 * Import `bundle` in a fresh Node process with the Node-only globals removed, and run `script`
 * against it (bound to `m`); the script prints its findings as JSON.
 */
function runBundle(bundle: Bundle, script: string, removed: readonly string[] = NODE_ONLY_GLOBALS): unknown {
  const program = [
    `for (const name of ${JSON.stringify(removed)}) delete globalThis[name]`,
    `const m = await import(${JSON.stringify(pathToFileURL(bundle.file).href)})`,
    script,
  ].join(';\n')
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', program], { encoding: 'utf8' })
  return JSON.parse(out)
}

const MCACHE_ONLY = `
import { mcache } from '@twat-cache/core'
let runs = 0
export const runCount = () => runs
export const square = mcache({ maxsize: 100 })(function square(n) { runs++; return n * n })
export const area = mcache()(async function area(box) { runs++; await new Promise((r) => setTimeout(r, 5)); return box.w * box.h })
export const tiny = mcache({ maxsize: 2 })(function tiny(n) { runs++; return -n })
`

const MCACHE_WITH_LRU = `
import { mcache } from '@twat-cache/core'
import '@twat-cache/lru'
let runs = 0
export const runCount = () => runs
export const square = mcache({ maxsize: 100 })(function square(n) { runs++; return n * n })
`

const ACACHE_WITH_IDB = `
import { acache } from '@twat-cache/core'
import '@twat-cache/idb'
export const getUser = acache({ ttl: '10m', maxsize: 500 })(async function getUser(id) { return { id } })
`

const ACACHE_WITH_KV = `
import { acache } from '@twat-cache/core'
import '@twat-cache/cloudflare'
export default {
  async fetch(request, env) {
    const getUser = acache({ ttl: '10m', engineOptions: { kv: env.CACHE } })(async function getUser(id) { return { id } })
    return Response.json(await getUser('1'))
  },
}
`

beforeAll(() => {
  ensureBuilt(['core', 'lru', 'idb', 'cloudflare'])
  workDir = mkdtempSync(join(tmpdir(), 'twat-bundle-'))
}, BUILD_TIMEOUT_MS)

afterAll(() => {
  if (workDir) rmSync(workDir, { recursive: true, force: true })
})

describe('a browser consumer importing only mcache', () => {
  let bundle: Bundle
  beforeAll(async () => {
    bundle = await bundleConsumer('mcache-only', MCACHE_ONLY)
    console.log(`bundle mcache-only: ${bundle.gzipBytes} bytes min+gzip (${bundle.code.length} bytes min; budget ${MCACHE_BUDGET_BYTES})`)
  })

  it('bundles the built output of @twat-cache/core', () => {
    expect(bundle.inputs.some((input) => input.startsWith('packages/core/dist/'))).toBe(true)
    expect(bundle.inputs.some((input) => input.startsWith('packages/core/src/'))).toBe(false)
  })

  it('has no Node built-in import', () => {
    expect(nodeBuiltinReferences(bundle.code)).toEqual([])
    expect(bundle.inputs.filter((input) => input.startsWith('packages/core/dist/node/'))).toEqual([])
  })

  it(`is at most ${MCACHE_BUDGET_BYTES} bytes min+gzip`, () => {
    expect(bundle.gzipBytes).toBeLessThanOrEqual(MCACHE_BUDGET_BYTES)
  })

  it('does not pull in the full zod build (zod/mini at most)', () => {
    expect(bundle.inputs.filter((input) => /\/zod\/v4\/classic\//.test(input))).toEqual([])
    expect(bundle.inputs.filter((input) => /\/zod\/v3\//.test(input))).toEqual([])
  })

  it('leaves out the selection-by-data helpers', () => {
    const core = bundle.inputs.filter((input) => input.startsWith('packages/core/dist/'))
    expect(core.filter((input) => /select|smart|hybrid|data-size|result-type/.test(input))).toEqual([])
    // A literal from the selection helpers (ARCHITECTURE.md §10) would survive minification.
    expect(bundle.code).not.toContain('very_large')
  })

  it('runs: hits, misses, key stability, LRU eviction and a shared in-flight promise', () => {
    const result = runBundle(
      bundle,
      `
      const out = {}
      out.first = [m.square(3), m.square(3), m.square(4)]
      out.afterSquares = m.runCount()
      m.square('3') // a string argument is another key than the number
      out.afterString = m.runCount()
      out.info = m.square.cacheInfo()
      const before = m.runCount()
      const areas = await Promise.all(Array.from({ length: 50 }, () => m.area({ w: 5, h: 4 })))
      out.areas = [...new Set(areas)]
      out.concurrentRuns = m.runCount() - before
      out.reordered = await m.area({ h: 4, w: 5 }) // same object, keys in another order: a hit
      out.afterReorder = m.runCount() - before
      out.tiny = [m.tiny(1), m.tiny(2), m.tiny(1), m.tiny(3)] // 2 is least recently used now
      const t = m.runCount()
      m.tiny(1); m.tiny(3)
      out.tinyHitsAfterEviction = m.runCount() - t
      m.tiny(2)
      out.tinyEvictedRerun = m.runCount() - t
      await m.square.cacheClear()
      const c = m.runCount()
      m.square(3)
      out.afterClear = m.runCount() - c
      console.log(JSON.stringify(out))
      `,
    )
    expect(result).toEqual({
      first: [9, 9, 16],
      afterSquares: 2,
      afterString: 3,
      info: { hits: 1, misses: 3, stale: 0, refreshes: 0, errors: 0, size: 3, maxsize: 100, engine: 'memory' },
      areas: [20],
      concurrentRuns: 1,
      reordered: 20,
      afterReorder: 1,
      tiny: [-1, -2, -1, -3],
      tinyHitsAfterEviction: 0,
      tinyEvictedRerun: 1,
      afterClear: 1,
    })
  })
})

describe('a browser consumer importing mcache and registering @twat-cache/lru', () => {
  let bundle: Bundle
  beforeAll(async () => {
    bundle = await bundleConsumer('mcache-lru', MCACHE_WITH_LRU)
    console.log(`bundle mcache + @twat-cache/lru: ${bundle.gzipBytes} bytes min+gzip (${bundle.code.length} bytes min; no budget)`)
  })

  it('has no Node built-in import', () => {
    expect(nodeBuiltinReferences(bundle.code)).toEqual([])
    expect(bundle.inputs.some((input) => input.startsWith('packages/lru/dist/'))).toBe(true)
  })

  it('keeps the registering side effect and serves mcache from lru', () => {
    const result = runBundle(
      bundle,
      `console.log(JSON.stringify({ values: [m.square(7), m.square(7)], runs: m.runCount(), info: m.square.cacheInfo() }))`,
    )
    expect(result).toEqual({ values: [49, 49], runs: 1, info: { hits: 1, misses: 1, stale: 0, refreshes: 0, errors: 0, size: 1, maxsize: 100, engine: 'lru' } })
  })
})

describe.each([
  ['idb', '@twat-cache/idb', ACACHE_WITH_IDB],
  ['cloudflare-kv', '@twat-cache/cloudflare', ACACHE_WITH_KV],
])('a consumer of acache registering %s', (engine, pkg, source) => {
  let bundle: Bundle
  beforeAll(async () => {
    bundle = await bundleConsumer(`acache-${engine}`, source)
    console.log(`bundle acache + ${pkg}: ${bundle.gzipBytes} bytes min+gzip (${bundle.code.length} bytes min; budget ${PERSISTENT_EDGE_BUDGET_BYTES})`)
  })

  it('bundles the built engine and no Node built-in', () => {
    expect(bundle.inputs.some((input) => input.startsWith(`packages/${pkg.slice('@twat-cache/'.length)}/dist/`))).toBe(true)
    expect(nodeBuiltinReferences(bundle.code)).toEqual([])
    expect(bundle.inputs.filter((input) => input.startsWith('packages/core/dist/node/'))).toEqual([])
  })

  it(`is at most ${PERSISTENT_EDGE_BUDGET_BYTES} bytes min+gzip`, () => {
    expect(bundle.gzipBytes).toBeLessThanOrEqual(PERSISTENT_EDGE_BUDGET_BYTES)
  })

  it('keeps the registering side effect', () => {
    expect(bundle.code).toContain(JSON.stringify(engine))
  })
})

/**
 * Issue 15: the same minimal consumer (memoize `a => a * 2` in memory, call it twice) written
 * for the peers users compare us with, bundled the same way. Reported, not budgeted: the
 * figures go to docs/comparison.md. Each bundle is run, so a size is never of code that breaks.
 */
const PEER_CONSUMERS: ReadonlyArray<[name: string, source: string]> = [
  [
    'ocache',
    `import { defineCachedFunction } from 'ocache'
let runs = 0
const double = defineCachedFunction(async (a) => (runs++, a * 2), { maxAge: 60 })
export async function check() { return { values: [await double(3), await double(3)], runs } }`,
  ],
  [
    '@epic-web/cachified',
    `import { cachified } from '@epic-web/cachified'
let runs = 0
const cache = new Map()
const double = (a) => cachified({ key: String(a), cache, ttl: 60_000, getFreshValue: () => (runs++, a * 2) })
export async function check() { return { values: [await double(3), await double(3)], runs } }`,
  ],
]

describe('the same minimal consumer written for the peers', () => {
  const sizes: string[] = []
  afterAll(() => console.log(`peer bundles (min+gzip): ${sizes.join(', ')}`))

  it.each(PEER_CONSUMERS)('%s bundles for the browser and runs', async (name, source) => {
    const bundle = await bundleConsumer(`peer-${name.replace(/\W/g, '-')}`, source)
    sizes.push(`${name} ${bundle.gzipBytes} B`)
    expect(nodeBuiltinReferences(bundle.code)).toEqual([])
    // Run with Node's globals: ocache 0.3's browser bundle reads `global` (its problem to fix, not
    // a reason to leave it out of the comparison).
    expect(runBundle(bundle, 'console.log(JSON.stringify(await m.check()))', [])).toEqual({ values: [6, 6], runs: 1 })
  }, BUILD_TIMEOUT_MS)
})
