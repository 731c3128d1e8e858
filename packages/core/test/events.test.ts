import { afterEach, describe, expect, it, vi } from 'vitest'
import {
  type CacheEvent,
  CACHE_EVENT_TYPES,
  acache,
  emitCacheEvent,
  eventKeyHash,
  hasCacheListeners,
  hash128,
  mcache,
  onCacheEvent,
  setLogger,
  setLogLevel,
} from '../src/index.js'

const stops: (() => void)[] = []
const listen = (listener: (event: CacheEvent) => void) => {
  const stop = onCacheEvent(listener)
  stops.push(stop)
  return stop
}

afterEach(() => {
  for (const stop of stops.splice(0)) stop()
  setLogger(console, 'warn')
})

describe('onCacheEvent', () => {
  it('reports whether anyone listens, and unsubscribes', () => {
    expect(hasCacheListeners()).toBe(false)
    const seen: string[] = []
    const stop = listen((e) => seen.push(e.type))
    expect(hasCacheListeners()).toBe(true)
    emitCacheEvent({ type: 'hit', name: 'f', engine: 'memory' })
    stop()
    stop() // a second call is harmless
    expect(hasCacheListeners()).toBe(false)
    emitCacheEvent({ type: 'miss', name: 'f', engine: 'memory' })
    expect(seen).toEqual(['hit'])
  })

  it('delivers every event type in emit order, to listeners in subscription order', () => {
    const seen: string[] = []
    listen((e) => seen.push(`a:${e.type}`))
    listen((e) => seen.push(`b:${e.type}`))
    for (const type of CACHE_EVENT_TYPES) emitCacheEvent({ type, name: 'f', engine: 'sqlite' })
    expect(seen).toEqual(CACHE_EVENT_TYPES.flatMap((t) => [`a:${t}`, `b:${t}`]))
  })

  it('replaces the raw key by a short hash and keeps the other fields', () => {
    const events: CacheEvent[] = []
    listen((e) => events.push(e))
    const error = new Error('boom')
    emitCacheEvent({ type: 'miss', name: 'fib', engine: 'lru', key: '[30]', durationMs: 12.5 })
    emitCacheEvent({ type: 'error', name: 'fib', engine: 'lru', error })
    expect(events).toEqual([
      { type: 'miss', name: 'fib', engine: 'lru', key: hash128('[30]').slice(0, 12), durationMs: 12.5 },
      { type: 'error', name: 'fib', engine: 'lru', error },
    ])
    expect(events[0]!.key).toBe(eventKeyHash('[30]'))
    expect(events[0]!.key).not.toContain('30')
  })

  it('subscribing one function twice calls it twice; each stop removes one', () => {
    let calls = 0
    const listener = () => calls++
    const first = listen(listener)
    listen(listener)
    emitCacheEvent({ type: 'set', name: 'f', engine: 'memory' })
    first()
    emitCacheEvent({ type: 'set', name: 'f', engine: 'memory' })
    expect(calls).toBe(3)
  })

  it('lets a listener unsubscribe during an emit without skipping the others', () => {
    const seen: string[] = []
    const stopA = listen(() => {
      seen.push('a')
      stopA()
    })
    listen(() => seen.push('b'))
    emitCacheEvent({ type: 'hit', name: 'f', engine: 'memory' })
    emitCacheEvent({ type: 'hit', name: 'f', engine: 'memory' })
    expect(seen).toEqual(['a', 'b', 'b'])
  })

  it('survives a throwing listener, still calls the rest, and logs once per listener', () => {
    const warnings: string[] = []
    const record = (message: string) => warnings.push(message)
    setLogger({ debug: record, info: record, warn: record, error: record })
    setLogLevel('warn')
    const seen: string[] = []
    listen(() => {
      throw new Error('listener bug')
    })
    listen((e) => seen.push(e.type))
    expect(() => {
      emitCacheEvent({ type: 'hit', name: 'f', engine: 'memory' })
      emitCacheEvent({ type: 'miss', name: 'f', engine: 'memory' })
    }).not.toThrow()
    expect(seen).toEqual(['hit', 'miss'])
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toMatch(/\[twat-cache:events\].*'hit'.*listener bug/)
  })

  it('a throwing listener never changes what a cached call returns or throws (mcache, acache)', async () => {
    setLogger({ debug() {}, info() {}, warn() {}, error() {} })
    const seen: string[] = []
    listen((e) => {
      seen.push(e.type)
      throw new Error('listener bug')
    })
    let runs = 0
    const double = mcache()((n: number) => (runs++, n * 2))
    expect([double(2), double(2)]).toEqual([4, 4])
    const fail = acache()(async (n: number): Promise<number> => {
      throw new Error(`run failed ${n}`)
    })
    await expect(fail(1)).rejects.toThrow('run failed 1')
    const load = acache()(async (n: number) => (runs++, n + 1))
    expect([await load(1), await load(1)]).toEqual([2, 2])
    expect(runs).toBe(2)
    expect(seen).toEqual(expect.arrayContaining(['miss', 'set', 'hit', 'error']))
  })

  it('a caller that joins a run in flight is a hit for events as for cacheInfo()', async () => {
    const types: string[] = []
    let runs = 0
    const loadUser = mcache()(async function loadUser(id: number) {
      runs++
      await new Promise((resolve) => setTimeout(resolve, 5))
      return { id }
    })
    // By the function's own name: vite renames it (`loadUser2`).
    listen((e) => e.name === loadUser.name && types.push(e.type))
    // Ten callers at once: one runs the function, nine share its promise.
    await Promise.all(Array.from({ length: 10 }, () => loadUser(7)))
    expect(runs).toBe(1)
    const { hits, misses } = loadUser.cacheInfo()
    expect({ hits, misses }).toEqual({ hits: 9, misses: 1 })
    expect(types.filter((t) => t === 'hit')).toHaveLength(hits)
    expect(types.filter((t) => t === 'miss')).toHaveLength(misses)
  })

  it('a run that fails is an error event, counted by cacheInfo() as a miss and an error', async () => {
    const types: string[] = []
    const load = mcache()(async function load(_id: number): Promise<number> {
      throw new Error('upstream down')
    })
    listen((e) => e.name === load.name && types.push(e.type))
    await expect(load(1)).rejects.toThrow('upstream down')
    expect(types).toEqual(['error'])
    expect(load.cacheInfo()).toMatchObject({ hits: 0, misses: 1, errors: 1 })
  })

  it('rejects a listener that is not a function', () => {
    expect(() => onCacheEvent('nope' as never)).toThrow(/expects a function, got string/)
  })

  it('shares listeners across copies of core in one realm (global symbol)', async () => {
    const seen: string[] = []
    listen((e) => seen.push(e.type))
    // A second copy of the module, as a duplicated dependency would load it.
    vi.resetModules()
    const copy = await import('../src/events.js')
    expect(copy.hasCacheListeners()).toBe(true)
    copy.emitCacheEvent({ type: 'refresh', name: 'f', engine: 'memory' })
    expect(seen).toEqual(['refresh'])
  })
})
