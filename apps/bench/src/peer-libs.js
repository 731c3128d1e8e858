// The contenders of the peer benchmark (peers.js): twat-cache's wrappers and each peer library,
// set up to memoize a function the way that library's README shows, with keys built the way the
// library builds them. Where a library takes no part in key building (it wants an explicit key)
// the key is JSON.stringify(args), the same as the Map floor's; that is noted per contender.
//
// A contender is { name, mode, ours, ownKeys, keys, make(fn, maxsize) → { call, close() } }, where
// `ownKeys` marks a library (or wrapper) that builds the key itself rather than taking ours. `maxsize`
// bounds the entries with the library's own bound where it has one; nothing here "fixes" a peer.
import { createRequire } from 'node:module'
import { acache, mcache } from '@twat-cache/core'
import { cachified } from '@epic-web/cachified'
import { BentoCache, bentostore } from 'bentocache'
import { memoryDriver } from 'bentocache/drivers/memory'
import { createCache } from 'cache-manager'
import { Cacheable, CacheableMemory, createKeyv } from 'cacheable'
import { LRUCache } from 'lru-cache'

// memoizee is CommonJS with a default export only.
const memoize = createRequire(import.meta.url)('memoizee')

const JSON_KEY = 'JSON.stringify(args) (library takes an explicit key)'
const noop = () => {}

/**
 * A Map that drops its oldest entry when full: the floor's bound (one branch per miss) and the
 * store handed to cachified, whose README memoizes over a plain Map.
 */
class BoundedMap extends Map {
  constructor(max) {
    super()
    this.max = max
  }
  set(key, value) {
    if (this.size >= this.max && !this.has(key)) this.delete(this.keys().next().value)
    return super.set(key, value)
  }
}

/** The floor: a hand-written memoizer with no features, keyed by JSON.stringify(args). */
function mapMemo(fn, maxsize) {
  const map = new BoundedMap(maxsize)
  const call = (...args) => {
    const key = JSON.stringify(args)
    const hit = map.get(key)
    if (hit !== undefined) return hit
    const value = fn(...args)
    map.set(key, value)
    return value
  }
  return { call, close: noop }
}

const ours = (wrapper) => (fn, maxsize) => {
  const call = wrapper({ maxsize })(fn)
  return { call, close: () => call.engine.close(), engine: call.engine.name }
}

/** Sync contenders, each memoizing a sync function. */
export const SYNC = [
  { name: 'Map + JSON.stringify', mode: 'sync', floor: true, keys: 'JSON.stringify(args)', make: mapMemo },
  { name: 'mcache', mode: 'sync', ours: true, ownKeys: true, keys: "stableKey(args) (twat-cache's own)", make: ours(mcache) },
  {
    name: 'lru-cache memo()',
    mode: 'sync',
    keys: JSON_KEY,
    make(fn, maxsize) {
      const lru = new LRUCache({ max: maxsize, memoMethod: (_key, _stale, { context }) => fn(...context) })
      return { call: (...args) => lru.memo(JSON.stringify(args), { context: args }), close: noop }
    },
  },
  {
    name: 'memoizee',
    mode: 'sync',
    keys: 'normalizer JSON.stringify(args) (its README, for object arguments)',
    make(fn, maxsize) {
      return { call: memoize(fn, { max: maxsize, normalizer: (args) => JSON.stringify([...args]) }), close: noop }
    },
  },
  {
    name: 'cacheable CacheableMemory.wrap',
    mode: 'sync',
    ownKeys: true,
    keys: "fn.name + '::' + djb2(JSON.stringify(args)), 32-bit (its own)",
    make(fn, maxsize) {
      const cache = new CacheableMemory({ lruSize: maxsize })
      return { call: cache.wrap(fn), close: noop }
    },
  },
]

/** Async contenders, each memoizing an async function. */
export const ASYNC = [
  { name: 'Map of promises', mode: 'async', floor: true, keys: 'JSON.stringify(args)', make: mapMemo },
  { name: 'mcache (async fn)', mode: 'async', ours: true, ownKeys: true, keys: "stableKey(args) (twat-cache's own)", make: ours(mcache) },
  { name: 'acache', mode: 'async', ours: true, ownKeys: true, keys: "stableKey(args) (twat-cache's own)", make: ours(acache) },
  {
    name: 'lru-cache fetch()',
    mode: 'async',
    keys: JSON_KEY,
    make(fn, maxsize) {
      const lru = new LRUCache({ max: maxsize, fetchMethod: (_key, _stale, { context }) => fn(...context) })
      return { call: (...args) => lru.fetch(JSON.stringify(args), { context: args }), close: noop }
    },
  },
  {
    name: 'memoizee promise',
    mode: 'async',
    keys: 'normalizer JSON.stringify(args) (its README, for object arguments)',
    make(fn, maxsize) {
      const call = memoize(fn, { promise: true, max: maxsize, normalizer: (args) => JSON.stringify([...args]) })
      return { call, close: noop }
    },
  },
  {
    name: 'cache-manager wrap',
    mode: 'async',
    keys: JSON_KEY,
    make(fn, maxsize) {
      // Its README's in-memory store with a bound: cacheable's CacheableMemory through Keyv.
      const cache = createCache({ stores: [createKeyv({ lruSize: maxsize })] })
      return { call: (...args) => cache.wrap(JSON.stringify(args), () => fn(...args)), close: () => cache.disconnect() }
    },
  },
  {
    name: 'bentocache getOrSet',
    mode: 'async',
    keys: JSON_KEY,
    make(fn, maxsize) {
      // One memory tier (lru-cache underneath; entries serialized by default, as documented).
      const bento = new BentoCache({ default: 'memory', stores: { memory: bentostore().useL1Layer(memoryDriver({ maxItems: maxsize })) } })
      return {
        call: (...args) => bento.getOrSet({ key: JSON.stringify(args), factory: () => fn(...args) }),
        close: () => bento.disconnectAll(),
      }
    },
  },
  {
    name: 'cacheable wrap',
    mode: 'async',
    ownKeys: true,
    keys: "fn.name + '::' + djb2(JSON.stringify(args)), 32-bit (its own)",
    make(fn, maxsize) {
      const cache = new Cacheable({ primary: createKeyv({ lruSize: maxsize }) })
      return { call: cache.wrap(fn), close: () => cache.disconnect() }
    },
  },
  {
    name: 'cacheable get + set',
    mode: 'async',
    keys: JSON_KEY,
    make(fn, maxsize) {
      // The cache-aside pattern by hand: no coalescing, so no stampede protection.
      const cache = new Cacheable({ primary: createKeyv({ lruSize: maxsize }) })
      const call = async (...args) => {
        const key = JSON.stringify(args)
        const hit = await cache.get(key)
        if (hit !== undefined) return hit
        const value = await fn(...args)
        await cache.set(key, value)
        return value
      }
      return { call, close: () => cache.disconnect() }
    },
  },
  {
    name: 'cachified (Map)',
    mode: 'async',
    keys: JSON_KEY,
    make(fn, maxsize) {
      const cache = new BoundedMap(maxsize)
      return { call: (...args) => cachified({ key: JSON.stringify(args), cache, getFreshValue: () => fn(...args) }), close: noop }
    },
  },
]

/**
 * Other ways a library offers to build keys, shown only in the key-building checks: memoizee's
 * defaults (arguments compared by reference) and its primitive mode (arguments as strings).
 */
export const KEY_MODES = [
  {
    name: 'memoizee, default options',
    mode: 'sync',
    ownKeys: true,
    // It finds an argument list by scanning every cached one (100k entries took 18 s here), and
    // distinct objects never compare equal by reference, so the N-set check is left out.
    skipCollisions: '0 (by reference; linear scan, not run)',
    keys: 'arguments compared by reference (===)',
    make: (fn, maxsize) => ({ call: memoize(fn, { max: maxsize }), close: noop }),
  },
  {
    name: 'memoizee { primitive: true }',
    mode: 'sync',
    ownKeys: true,
    keys: 'String(arg) joined (its "primitive mode")',
    make: (fn, maxsize) => ({ call: memoize(fn, { max: maxsize, primitive: true }), close: noop }),
  },
]
