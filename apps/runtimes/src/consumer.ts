/**
 * What a frontend or edge app does with twat-cache: memoize with `mcache`, served by the `lru`
 * engine that importing `@twat-cache/lru` registers. The tests bundle this file as a user's
 * bundler would and run it in Node, in Chromium and in workerd; they compare every run with
 * the same expectations (test/expected.ts).
 */
import { mcache } from '@twat-cache/core'
import '@twat-cache/lru'

/** What one call of {@link runConsumer} reports; counters cover the life of the module. */
export interface ConsumerResult {
  /** fib(30), fib(10), fib(30), area({ w: 2, h: 3 }), area({ h: 3, w: 2 }). */
  values: number[]
  /** Hits of both cached functions together, from `cacheInfo()`. */
  hits: number
  /** Misses of both cached functions together, from `cacheInfo()`. */
  misses: number
  /** The engine serving them (both must agree, or the names are joined with `,`). */
  engine: string
  /** How many times a function body really ran. */
  computed: number
  /** How many times runConsumer has been called in this module instance. */
  runs: number
}

let computed = 0
let runs = 0

// Recursion goes through the cached binding, so every fib(k) body runs once: fib(30) costs 31
// body calls instead of 2.7 million (and would time out a page or a worker uncached).
const fib = mcache({ maxsize: 64 })(function fibonacci(n: number): number {
  computed++
  return n < 2 ? n : fib(n - 1) + fib(n - 2)
})

// Object arguments: the default key sorts property names, so both spellings share one entry.
const area = mcache({ maxsize: 16 })(function area(box: { w: number; h: number }): number {
  computed++
  return box.w * box.h
})

/** Call the cached functions with a fixed set of arguments and report what the cache saw. */
export function runConsumer(): ConsumerResult {
  runs++
  const values = [fib(30), fib(10), fib(30), area({ w: 2, h: 3 }), area({ h: 3, w: 2 })]
  const infos = [fib.cacheInfo(), area.cacheInfo()]
  return {
    values,
    hits: infos[0]!.hits + infos[1]!.hits,
    misses: infos[0]!.misses + infos[1]!.misses,
    engine: [...new Set(infos.map((info) => info.engine))].join(','),
    computed,
    runs,
  }
}
