/**
 * End to end: a real cached function, real engines, the real metrics SDK. The exported counters
 * must equal the function's own `cacheInfo()`.
 *
 * The wrappers emit events (core's wrap/pipeline.ts and freshness.ts); the first case fails if
 * that wiring is lost.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type CacheEvent, bcache, mcache, onCacheEvent } from '@twat-cache/core'
import '@twat-cache/sqlite'
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest'
import { instrument } from '../src/index.js'
import { type Sdk, count, startSdk } from './metrics.js'

/** Whether a cached function emits anything: call one once and listen. */
function detectWiring(): boolean {
  const seen: CacheEvent[] = []
  const stop = onCacheEvent((e) => seen.push(e))
  try {
    const probe = mcache({ maxsize: 1 })((n: number) => n + 1)
    probe(1)
    probe(1)
  } finally {
    stop()
  }
  return seen.length > 0
}

it('the wrappers emit cache events', () => {
  expect(detectWiring()).toBe(true)
})

const dir = mkdtempSync(join(tmpdir(), 'twat-otel-'))
let sdk: Sdk
let stop: () => void
beforeEach(() => {
  sdk = startSdk()
  stop = instrument({ meterProvider: sdk.provider })
})
afterEach(async () => {
  stop()
  await sdk.shutdown()
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe.each([
  { label: 'memory (mcache)', wrap: <F extends (n: number) => number>(f: F) => mcache({ maxsize: 100 })(f), engine: undefined },
  { label: 'sqlite (bcache)', wrap: <F extends (n: number) => number>(f: F) => bcache({ cacheDir: dir, maxsize: 100 })(f), engine: 'sqlite' },
])('counters equal cacheInfo() on $label', ({ wrap, engine }) => {
  it('hits and misses', async () => {
    const square = wrap(function square(n: number) {
      return n * n
    })
    for (const n of [1, 2, 3, 1, 2, 1, 4, 4]) square(n)
    const info = square.cacheInfo()
    expect(info).toMatchObject({ hits: 4, misses: 4 })
    if (engine) expect(info.engine).toBe(engine)
    const { counts, durations } = await sdk.collect()
    // The function's own name: a bundler may rename it (vite makes it `square2` here).
    const mine = { 'cache.name': square.name, 'cache.engine': info.engine }
    expect(count(counts, { ...mine, 'cache.event': 'hit' })).toBe(info.hits)
    expect(count(counts, { ...mine, 'cache.event': 'miss' })).toBe(info.misses)
    // Every miss ran the function once, and its run time was recorded.
    const runs = durations.filter((p) => p.attributes['cache.name'] === square.name && p.attributes['cache.event'] === 'miss')
    expect(runs.reduce((n, p) => n + p.value.count, 0)).toBe(info.misses)
    await square.cacheClear()
  })
})
