import { MISS, stableKey } from '@twat-cache/core'

/**
 * The engine alone, called as the wrappers call it (key building included, no wrapper), so a
 * suite can split an engine's own cost from what the wrapper adds. `close` closes the engine.
 */
export function engineMemo(engine, fn, isAsync = engine.capabilities.mode === 'async') {
  const memo = isAsync
    ? async (...args) => {
        const key = stableKey(args)
        const hit = await engine.get(key)
        if (hit !== MISS) return hit
        const value = await fn(...args)
        await engine.set(key, value)
        return value
      }
    : (...args) => {
        const key = stableKey(args)
        const hit = engine.get(key)
        if (hit !== MISS) return hit
        const value = fn(...args)
        engine.set(key, value)
        return value
      }
  memo.close = () => engine.close()
  return memo
}

/**
 * The floor for memoizing: a Map keyed by JSON.stringify(args), no features. With `max`, the
 * oldest key goes first (Maps iterate in insertion order), so its miss path evicts as mcache's
 * does and a long race does not fill the heap.
 */
export function mapMemo(fn, max = Number.POSITIVE_INFINITY) {
  const map = new Map()
  return (...args) => {
    const key = JSON.stringify(args)
    const hit = map.get(key)
    if (hit !== undefined) return hit
    const value = fn(...args)
    if (map.size >= max) map.delete(map.keys().next().value)
    map.set(key, value)
    return value
  }
}
