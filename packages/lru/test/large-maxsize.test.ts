/**
 * A large `maxsize` must cost memory only as entries arrive (issue 17.1: lru-cache used to
 * allocate its arrays for `maxsize` slots up front: `2 ** 31` ran out of memory, `2 ** 32` threw
 * `RangeError`, `1e7` took 161 MB before the first call). Each size runs in its own child
 * process, bundled from source with esbuild, with a small heap limit so the old behaviour fails
 * fast instead of swapping; the assertion is on heap growth, never on time.
 */
import { execFile } from 'node:child_process'
import { rmSync } from 'node:fs'
import { dirname } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createLruEngine, LRU_PREALLOCATE_LIMIT } from '../src/engine.js'
import { MISS } from '../../core/src/types.js'
import { bundleForNode } from '../../core/test/fixtures/node-bundle.js'

const run = promisify(execFile)

const CHILD = `
import { mcache } from '@twat-cache/core'
import '@twat-cache/lru'

const maxsize = Number(process.argv[2])
const used = () => {
  globalThis.gc()
  const m = process.memoryUsage()
  return m.heapUsed + m.arrayBuffers
}
const before = used()
const double = mcache({ maxsize })(function double(x) { return x * 2 })
const results = [double(21), double(21)]
const idle = used() - before
for (let i = 0; i < 1000; i++) double(i)
console.log(JSON.stringify({ engine: double.engine.name, results, idle, size: double.cacheInfo().size, maxsize: double.cacheInfo().maxsize }))
`

describe('a large maxsize on the lru engine', () => {
  let bundle = ''

  beforeAll(async () => {
    bundle = await bundleForNode({ source: CHILD })
  })
  afterAll(() => {
    if (bundle) rmSync(dirname(bundle), { recursive: true, force: true })
  })

  it.for([2 ** 31, 2 ** 32, 1e7])('mcache({ maxsize: %d }) uses lru and allocates nothing up front', async (maxsize) => {
    const { stdout } = await run(process.execPath, ['--expose-gc', '--max-old-space-size=256', bundle, String(maxsize)], { timeout: 60_000 })
    const report = JSON.parse(stdout.trim().split('\n').pop()!) as { engine: string; results: number[]; idle: number; size: number; maxsize: number }
    expect(report.engine).toBe('lru')
    expect(report.results).toEqual([42, 42])
    expect(report.maxsize).toBe(maxsize)
    expect(report.size).toBe(1000)
    // One cached function with one entry: a few kilobytes, never megabytes.
    expect(report.idle).toBeLessThan(1024 * 1024)
  })
})

describe('the entry bound above the pre-allocation limit', () => {
  const maxsize = LRU_PREALLOCATE_LIMIT + 10

  it('still evicts the least recently used entry at maxsize', () => {
    const engine = createLruEngine({ maxsize })
    for (let i = 0; i < maxsize; i++) engine.set(`k${i}`, i)
    engine.get('k0')
    engine.set('new', 1)
    engine.set('newer', 2)
    expect(engine.size!()).toBe(maxsize)
    expect(engine.get('k0')).toBe(0)
    expect(engine.get('k1')).toBe(MISS)
    expect(engine.get('k2')).toBe(MISS)
    expect(engine.get('newer')).toBe(2)
  })

  it('bounds the count and the bytes together when maxBytes is set', () => {
    const engine = createLruEngine({ maxsize, maxBytes: 2 ** 40 })
    for (let i = 0; i < maxsize + 5; i++) engine.set(`k${i}`, i)
    expect(engine.size!()).toBe(maxsize)
    expect(engine.get('k4')).toBe(MISS)
    expect(engine.get('k5')).toBe(5)
    // An overwrite at the bound evicts nothing.
    engine.set('k5', 'again')
    expect(engine.size!()).toBe(maxsize)
    expect(engine.get('k6')).toBe(6)
  })
})
