import { ConfigurationError, EngineClosedError } from '../errors.js'
import { setTtlError } from '../set-ttl.js'
import { MISS, type SetOptions } from '../types.js'
import { estimateHeapSize } from './heap-size.js'
import { ENGINE_NAME, MEMORY_CAPABILITIES, type MemoryEngine, type MemoryEngineOptions } from './types.js'

export { ENGINE_NAME, MEMORY_CAPABILITIES, type MemoryEngine, type MemoryEngineOptions, type MemoryEngineStats } from './types.js'

/**
 * Same as config's `DEFAULT_MAXSIZE` (a test keeps them equal). Not imported: config.ts builds
 * its option rule table at load, which a bundle using only the engine should not carry.
 */
const DEFAULT_MAXSIZE = 1000

/**
 * Slots `size()` and `stats()` examine for expired entries: bounded work however large the
 * cache, so calling `cacheInfo()` per request stays O(1). Small caches are swept whole.
 */
const SWEEP = 64
/** Slots examined per new key while some entry has a ttl, so dead entries go even if never read. */
const SWEEP_ON_SET = 2
/** LFU use counts stop here instead of wrapping around in their Uint32Array. */
const MAX_COUNT = 0xffffffff

type Links = Uint32Array
const noop = (_s: number): void => {}

/** A copy of `a` with room for `cap` slots (fewer than it has when shrinking: slots past `cap` are free). */
function resized<A extends Uint32Array | Float64Array>(a: A, cap: number): A {
  const b = new (a.constructor as new (length: number) => A)(cap)
  b.set(a.length > cap ? a.subarray(0, cap) : a)
  return b
}
/** Below this many slots the typed arrays never shrink: a few KB, not worth copying. */
const MIN_SHRINK = 1024

/**
 * The built-in memory engine: O(1) per operation for every policy, no timers, values stored as
 * they are (no copy).
 *
 * Storage is a struct of arrays, so each policy pays only for what it uses (measured in
 * apps/bench `memory` suite: ~64 bytes of overhead per entry for lru, against ~117 for the
 * object-per-entry layout it replaced and ~65 for lru-cache):
 * - `map`: key → slot number (a small integer, so the Map holds no object per entry);
 * - `keys[s]`, `vals[s]`: the entry in slot `s`; slots `1..n` are in use and stay dense (a
 *   removal moves the last slot into the hole), which lets `rr` pick a random victim in O(1)
 *   and needs no free list;
 * - `next`/`prev` (Uint32Array, lru, fifo and lfu): one circular doubly linked list through the
 *   slots, around slot 0 as the sentinel (`next[0]` is the next victim, `prev[0]` the newest);
 * - `counts` (Uint32Array, lfu only): uses per entry; the list is sorted by count, and within a
 *   count by the time the entry reached it, with `tails` (count → last slot of that run) to
 *   insert in O(1). So the victim is the least used and, among those, the one that reached
 *   that count first (O(1) LFU, after Shah, Mitra & Matani 2010, with runs in one list);
 * - `exp` (Float64Array): absolute expiry per slot, 0 = never; made only once an entry has a ttl;
 * - `sizes` (Float64Array): estimated bytes per slot; made only with `maxBytes`.
 * Typed arrays grow by 1.5× up to `maxsize + 1` slots and, once removals leave them three
 * quarters empty, shrink to 1.5× the entries, as plain arrays do.
 *
 * Expiry is lazy: an expired entry is dropped when it is read or overwritten, when it would be
 * evicted, and by bounded sweeps (a few slots per new key, {@link SWEEP} per `size()` or
 * `stats()`, all of them per `keys()`). So `size()` may still count an expired entry of a large
 * cache that nothing touched since it expired; `get`, `has` and `keys()` never return one.
 *
 * After `close()` (or `Symbol.dispose`) the store is empty and every operation throws
 * `EngineClosedError`; closing again is a no-op.
 */
export function createMemoryEngine(options: MemoryEngineOptions = {}): MemoryEngine {
  const { maxsize = DEFAULT_MAXSIZE, maxBytes = 1, ttl = 1, policy = 'lru' } = options
  // `x % 1` is 0 for whole numbers and NaN for Infinity: both pass.
  const problems = [
    !(maxsize >= 1 && !(maxsize % 1)) && `maxsize must be a whole number ≥ 1 or Infinity, got ${maxsize}`,
    !(maxBytes >= 1) && `maxBytes must be a number ≥ 1, got ${maxBytes}`,
    !(ttl > 0) && `ttl must be a positive number of milliseconds (or Infinity), got ${ttl}`,
    !MEMORY_CAPABILITIES.policies.includes(policy) && `unknown policy '${String(policy)}': use 'lru', 'lfu', 'fifo' or 'rr'`,
  ].filter(Boolean)
  if (problems.length > 0) throw new ConfigurationError(`memory engine: ${problems.join('; ')}`, { issues: problems as string[] })
  return memoryEngineFromConfig(options)
}

/**
 * {@link createMemoryEngine} for options already validated (an `EngineConfig` from
 * `createCacheConfig`): what the registered definition calls, so the checks and their messages
 * stay out of browser bundles that only use `mcache`.
 */
export function memoryEngineFromConfig(options: MemoryEngineOptions): MemoryEngine {
  const maxsize = options.maxsize ?? DEFAULT_MAXSIZE
  const bounded = options.maxBytes !== undefined
  const maxBytes = options.maxBytes ?? Infinity
  const policy = options.policy ?? 'lru'
  const defaultTtl = options.ttl
  const now = options.now ?? (() => Date.now())
  const random = options.random ?? Math.random
  const lfu = policy === 'lfu'
  const linked = policy !== 'rr'

  const map = new Map<string, number>()
  const tails = new Map<number, number>()
  let keys: string[] = []
  let vals: unknown[] = []
  let next: Links = new Uint32Array(0)
  let prev: Links = next
  let counts: Links | undefined
  let exp: Float64Array | undefined
  let sizes: Float64Array | undefined
  let n = 0
  let cap = 1
  let total = 0
  let hits = 0
  let misses = 0
  let evictions = 0
  let cursor = 0
  let closed = false

  const reset = (): void => {
    map.clear()
    tails.clear()
    keys = ['']
    vals = [undefined]
    n = total = 0
    cap = 1
    // Slot 0 is the list's sentinel, linked to itself.
    next = new Uint32Array(1)
    prev = new Uint32Array(1)
    counts = lfu ? new Uint32Array(1) : undefined
    sizes = bounded ? new Float64Array(1) : undefined
    exp = undefined
  }
  reset()

  const check = (): void => {
    if (closed) throw new EngineClosedError(ENGINE_NAME)
  }

  // The list: link `s` after slot `after`, or take it out.
  const link = (s: number, after: number): void => {
    const before = next[after]!
    next[after] = s
    prev[s] = after
    next[s] = before
    prev[before] = s
  }
  const unlink = (s: number): void => {
    const p = prev[s]!
    const q = next[s]!
    next[p] = q
    prev[q] = p
  }
  const toNewest = (s: number): void => {
    if (prev[0] !== s) {
      unlink(s)
      link(s, prev[0]!)
    }
  }

  // LFU: the run of entries used `c` times ends at tails.get(c).
  const leaveRun = (s: number): void => {
    const c = counts![s]!
    if (tails.get(c) !== s) return
    const p = prev[s]!
    if (p !== 0 && counts![p] === c) tails.set(c, p)
    else tails.delete(c)
  }
  /** One more use: `s` goes to the end of the next run up (where it already is if that run is empty and it ends its own). */
  const promote = (s: number): void => {
    const c = counts![s]!
    if (c === MAX_COUNT) return
    const after = tails.get(c + 1) ?? tails.get(c)!
    leaveRun(s)
    if (after !== s) {
      unlink(s)
      link(s, after)
    }
    counts![s] = c + 1
    tails.set(c + 1, s)
  }

  /** A use by `get`, and a use by an overwrite (an overwrite re-queues in fifo, as in cachetools). */
  const read = lfu ? promote : policy === 'lru' ? toNewest : noop
  const write = lfu ? promote : linked ? toNewest : noop
  /** Put a new entry in the order: storing counts as one use. */
  const order = lfu
    ? (s: number): void => {
        link(s, tails.get(1) ?? 0)
        counts![s] = 1
        tails.set(1, s)
      }
    : linked
      ? (s: number): void => link(s, prev[0]!)
      : noop
  const disorder = lfu
    ? (s: number): void => {
        leaveRun(s)
        unlink(s)
      }
    : linked
      ? unlink
      : noop

  /** The next entry to evict, never `except` (there is always another when this is called). */
  const victim = (except: number): number => {
    if (!linked) {
      // Clamp: a user-supplied random() may return exactly 1.
      const s = 1 + Math.min(n - 1, Math.floor(random() * n))
      return s === except ? (s % n) + 1 : s
    }
    const s = next[0]!
    return s === except ? next[s]! : s
  }

  /** Forget the entry in slot `s`, leaving the slot to be refilled. */
  const release = (s: number): void => {
    map.delete(keys[s]!)
    disorder(s)
    if (sizes) total -= sizes[s]!
  }

  /** Remove the entry in slot `s`: the last slot moves into it, so slots 1..n stay dense. */
  const drop = (s: number): void => {
    release(s)
    const last = n--
    const key = keys.pop()!
    const value = vals.pop()
    if (s === last) return shrink()
    keys[s] = key
    vals[s] = value
    map.set(key, s)
    if (exp) exp[s] = exp[last]!
    if (sizes) sizes[s] = sizes[last]!
    // Take the last slot's place in the list: in after it, then it out.
    if (linked) {
      link(s, last)
      unlink(last)
    }
    if (counts) {
      const c = (counts[s] = counts[last]!)
      if (tails.get(c) === last) tails.set(c, s)
    }
    shrink()
  }

  /**
   * After many removals, give memory back as plain arrays do: down to 1.5× the entries once they
   * fill a quarter of the slots. A shrink copies n slots after at least 2n removals: O(1) amortized.
   */
  const shrink = (): void => {
    if (n < cap >> 2 && cap > MIN_SHRINK) resize(n + (n >> 1) + 16)
  }

  /** Give the typed arrays room for `size` slots (slots past n are free, so they may go). */
  const resize = (size: number): void => {
    cap = size
    if (linked) {
      next = resized(next, cap)
      prev = resized(prev, cap)
    }
    if (counts) counts = resized(counts, cap)
    if (exp) exp = resized(exp, cap)
    if (sizes) sizes = resized(sizes, cap)
  }

  /** A new slot at the end, growing the typed arrays by 1.5× (at most maxsize + 1 slots). */
  const append = (): number => {
    if (++n >= cap) resize(Math.min(maxsize + 1, cap + (cap >> 1) + 16))
    return n
  }

  /** Whether slot `s` (with an expiry array) has expired; an expired entry is dropped on the way. */
  const dead = (s: number): boolean => {
    if (!expired(s)) return false
    drop(s)
    return true
  }
  /** Whether slot `s` holds an expired entry, left in place (only once `exp` exists). */
  const expired = (s: number): boolean => {
    const expires = exp![s]!
    return expires !== 0 && expires <= now()
  }

  /** Examine up to `steps` slots, walking up from a cursor kept between calls, dropping the expired. */
  const sweep = (steps: number): void => {
    const t = now()
    for (; steps > 0 && n > 0; steps--) {
      if (cursor < 1 || cursor > n) cursor = 1
      const expires = exp![cursor]!
      // A drop moves the last slot, not yet seen, into this one: the cursor stays to look at it.
      if (expires !== 0 && expires <= t) drop(cursor)
      else cursor++
    }
  }

  /** The policy's victim `s` makes room; an expired one is reclaimed, not counted as an eviction. */
  const evicted = (s: number): void => {
    if (exp === undefined || !expired(s)) evictions++
  }
  const evict = (s: number): void => {
    evicted(s)
    drop(s)
  }

  const expiryOf = (setOptions: SetOptions | undefined): number => {
    const ttl = setOptions?.ttl ?? defaultTtl
    if (ttl === undefined || ttl === Infinity) return 0
    if (typeof ttl === 'number') {
      // A ttl of 0 or less means "already expired": the entry is not stored.
      if (ttl > 0) return now() + ttl
      if (ttl <= 0) return -1
    }
    // NaN or a non-number (a duration string, even a numeric one: `now() + '5'` would be a
    // string): dropping or mangling the entry would hide the mistake.
    throw setTtlError(ENGINE_NAME, ttl)
  }

  // The hot path of the whole library: one Map lookup, no allocation, and the clock only for
  // entries that have a ttl. A closed engine is empty, so only the miss path checks `closed`.
  function get(key: string): unknown {
    const s = map.get(key)
    if (s === undefined || (exp !== undefined && dead(s))) {
      check()
      misses++
      return MISS
    }
    hits++
    read(s)
    return vals[s]
  }

  function set(key: string, value: unknown, setOptions?: SetOptions): void {
    check()
    const expires = expiryOf(setOptions)
    const size = sizes ? estimateHeapSize(key) + estimateHeapSize(value) : 0
    let s = map.get(key)
    // An expired entry is gone: the key comes back as a new entry (for lfu, with one use).
    if (s !== undefined && exp !== undefined && dead(s)) s = undefined
    if (expires === -1 || size > maxBytes) {
      if (s !== undefined) drop(s)
      return
    }
    if (s === undefined) {
      // Before this entry may make the expiry array: without ttls the clock is never read.
      if (exp) sweep(SWEEP_ON_SET)
      while (total + size > maxBytes) evict(victim(0))
      if (n >= maxsize) {
        // Full: the victim's slot takes the new entry, with no move.
        s = victim(0)
        evicted(s)
        release(s)
      } else s = append()
      keys[s] = key
      map.set(key, s)
      order(s)
      if (sizes) sizes[s] = 0
    } else write(s)
    vals[s] = value
    if (expires !== 0) exp ??= new Float64Array(cap)
    if (exp) exp[s] = expires
    if (sizes) {
      total += size - sizes[s]!
      sizes[s] = size
      // A bigger value for a stored key: evict others (never this one) until the bound holds.
      while (total > maxBytes) {
        const other = victim(s)
        if (s === n) s = other // the drop moves the last slot, this entry, into the victim's
        evict(other)
      }
    }
  }

  function remove(key: string): boolean {
    check()
    const s = map.get(key)
    if (s === undefined || (exp !== undefined && dead(s))) return false
    drop(s)
    return true
  }

  function close(): void {
    if (!closed) reset()
    closed = true
  }

  const engine: MemoryEngine = {
    name: ENGINE_NAME,
    capabilities: MEMORY_CAPABILITIES,
    get,
    set,
    delete: remove,
    clear() {
      check()
      reset()
    },
    close,
    has(key) {
      check()
      const s = map.get(key)
      return s !== undefined && !(exp !== undefined && dead(s))
    },
    size() {
      check()
      if (exp) sweep(SWEEP)
      return n
    },
    stats() {
      return { hits, misses, size: engine.size(), maxsize, evictions }
    },
    keys() {
      check()
      if (exp) {
        // From slot 1, each step drops an entry or passes one not seen yet: n steps see them all.
        cursor = 1
        sweep(n)
      }
      return keys.slice(1)
    },
    [Symbol.dispose]: close,
    async [Symbol.asyncDispose]() {
      close()
    },
  }
  return engine
}
