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
