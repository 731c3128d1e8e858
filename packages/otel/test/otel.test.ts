import { emitCacheEvent, hasCacheListeners, resetWarnings, setLogger } from '@twat-cache/core'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { instrument } from '../src/index.js'
import { type Sdk, count, startSdk } from './metrics.js'

// The wrappers do not emit events on this branch yet, so these tests drive the metrics with
// emitCacheEvent directly; cache-info.test.ts checks the whole path once they do.
let sdk: Sdk
let stop: (() => void) | undefined

beforeEach(() => {
  sdk = startSdk()
})
afterEach(async () => {
  stop?.()
  stop = undefined
  await sdk.shutdown()
})

describe('instrument()', () => {
  it('counts every event type under one counter, split by cache.event, cache.name and cache.engine', async () => {
    stop = instrument({ meterProvider: sdk.provider })
    const fib = { name: 'fib', engine: 'sqlite' } as const
    emitCacheEvent({ type: 'miss', ...fib, key: 'k1', durationMs: 5 })
    emitCacheEvent({ type: 'set', ...fib, key: 'k1' })
    emitCacheEvent({ type: 'hit', ...fib, key: 'k1' })
    emitCacheEvent({ type: 'hit', ...fib, key: 'k1' })
    emitCacheEvent({ type: 'stale', ...fib, key: 'k1' })
    emitCacheEvent({ type: 'refresh', ...fib, key: 'k1', durationMs: 7 })
    emitCacheEvent({ type: 'delete', ...fib, key: 'k1' })
    emitCacheEvent({ type: 'hit', name: 'area', engine: 'lru', key: 'k2' })
    const { counts } = await sdk.collect()
    expect(count(counts, { 'cache.name': 'fib', 'cache.event': 'hit' })).toBe(2)
    for (const type of ['miss', 'set', 'stale', 'refresh', 'delete']) {
      expect(count(counts, { 'cache.name': 'fib', 'cache.event': type, 'cache.engine': 'sqlite' }), type).toBe(1)
    }
    expect(count(counts, { 'cache.name': 'area', 'cache.event': 'hit', 'cache.engine': 'lru' })).toBe(1)
    // Keys never become attributes.
    expect(counts.flatMap((p) => Object.keys(p.attributes)).filter((k) => k.includes('key'))).toEqual([])
  })

  it('records the run time of misses and refreshes in the histogram, and nothing else', async () => {
    stop = instrument({ meterProvider: sdk.provider })
    emitCacheEvent({ type: 'miss', name: 'slow', engine: 'memory', durationMs: 10 })
    emitCacheEvent({ type: 'miss', name: 'slow', engine: 'memory', durationMs: 30 })
    emitCacheEvent({ type: 'refresh', name: 'slow', engine: 'memory', durationMs: 20 })
    emitCacheEvent({ type: 'hit', name: 'slow', engine: 'memory', durationMs: 999 })
    const { durations } = await sdk.collect()
    const miss = durations.find((p) => p.attributes['cache.event'] === 'miss')!
    expect(miss.value.count).toBe(2)
    expect(miss.value.sum).toBe(40)
    expect(miss.attributes).toEqual({ 'cache.event': 'miss', 'cache.name': 'slow', 'cache.engine': 'memory' })
    const refresh = durations.find((p) => p.attributes['cache.event'] === 'refresh')!
    expect(refresh.value.sum).toBe(20)
    expect(durations.some((p) => p.attributes['cache.event'] === 'hit')).toBe(false)
  })

  it('names the error type on error events', async () => {
    stop = instrument({ meterProvider: sdk.provider })
    emitCacheEvent({ type: 'error', name: 'f', engine: 'redis', error: new RangeError('x') })
    const { counts } = await sdk.collect()
    expect(count(counts, { 'cache.event': 'error', 'error.type': 'RangeError', 'cache.engine': 'redis' })).toBe(1)
  })

  it('stops recording, and stops listening, when the returned function is called', async () => {
    const before = hasCacheListeners()
    stop = instrument({ meterProvider: sdk.provider })
    expect(hasCacheListeners()).toBe(true)
    emitCacheEvent({ type: 'hit', name: 'f', engine: 'memory' })
    stop()
    expect(hasCacheListeners()).toBe(before)
    emitCacheEvent({ type: 'hit', name: 'f', engine: 'memory' })
    const { counts } = await sdk.collect()
    expect(count(counts, { 'cache.event': 'hit' })).toBe(1)
  })

  it('uses the global meter provider when none is given', async () => {
    const { metrics } = await import('@opentelemetry/api')
    metrics.setGlobalMeterProvider(sdk.provider)
    try {
      stop = instrument()
      emitCacheEvent({ type: 'miss', name: 'g', engine: 'memory', durationMs: 1 })
      const { counts } = await sdk.collect()
      expect(count(counts, { 'cache.name': 'g', 'cache.event': 'miss' })).toBe(1)
    } finally {
      metrics.disable()
    }
  })

  it('with no provider at all, warns once and does not listen (cached calls pay nothing for events)', () => {
    const warnings: string[] = []
    resetWarnings()
    setLogger({ debug() {}, info() {}, warn: (m: string) => warnings.push(m), error: (m: string) => warnings.push(m) }, 'warn')
    try {
      const before = hasCacheListeners()
      const stops = [instrument(), instrument()]
      expect(hasCacheListeners()).toBe(before)
      for (const stopIt of stops) stopIt()
      expect(warnings).toHaveLength(1)
      expect(warnings[0]).toMatch(/no OpenTelemetry meter provider is registered.*pass \{ meterProvider \}/)
    } finally {
      setLogger(console, 'warn')
      resetWarnings()
    }
  })
})
