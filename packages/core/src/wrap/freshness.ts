import { toMilliseconds } from '../duration.js'
import { CacheValueError } from '../errors.js'
import { log } from '../logger.js'
import { MISS, type SetOptions } from '../types.js'
import { type Envelope, NEVER, envelope, isEnvelope, isMarked } from './envelope.js'
import { emit, listening, since, startClock } from './events-emit.js'
import { type AnyFunction, type Entries, type StepContext, type Store, failed, isThenable } from './pipeline.js'
import { resolveTags } from './tags-resolve.js'

/**
 * Returned by `revalidate` to say "the stored value is still right": the entry keeps its value
 * and its TTL restarts (ETag-style conditional refresh, ARCHITECTURE.md §12).
 */
export const notModified: unique symbol = Symbol.for('twat-cache.notModified') as never
export type NotModified = typeof notModified

/** What `revalidate` receives as its first argument. */
export interface PreviousEntry<V = unknown> {
  readonly value: V
  readonly createdAt: number
  readonly expiresAt: number
}

/** A background refresh is queued (as a microtask) but has not started yet. */
const SCHEDULED = Symbol('scheduled')

/** `then` for values that may or may not be promises: sync stores stay sync. */
const after = (result: unknown, next: (value: unknown) => unknown): unknown => (isThenable(result) ? Promise.resolve(result).then(next) : next(result))

/** The options that make a function store envelopes instead of bare values. */
export function needsEnvelope(config: StepContext['config']): boolean {
  return (
    config.staleWhileRevalidate !== undefined ||
    config.staleIfError !== undefined ||
    config.revalidate !== undefined ||
    config.tags !== undefined
  )
}

/**
 * The config an engine is created with. With envelopes, the wrapper owns expiry: the engine
 * gets no default TTL, and each write says how long to keep the entry (until `staleUntil`).
 */
export function engineView<C extends StepContext['config']>(config: C): C {
  return needsEnvelope(config) && config.ttl !== undefined ? { ...config, ttl: undefined } : config
}

/** Distinct "not cached" warnings one cached function logs, at most (each failure is still counted in `errors`). */
const MAX_VALUE_WARNINGS = 10

/**
 * How one cached function reads and writes its entries (the `Entries` stage of pipeline.ts).
 *
 * A function without §12's options stores bare values and serves what it reads. With a stale
 * window, `revalidate` or tags it stores envelopes, and a read is one of:
 *
 * | entry | answer |
 * |---|---|
 * | fresh (before `expiresAt`) | the value |
 * | stale, within `staleWhileRevalidate` | the value at once; one background refresh per key |
 * | stale, within `staleIfError` only | a refresh the caller waits for; the stale value if it fails (or passes `timeout`) |
 * | past `staleUntil`, not an envelope | a miss |
 */
export function entries(fn: AnyFunction, store: Store, context: StepContext): Entries {
  const { config, counters } = context
  const withEnvelope = needsEnvelope(config)
  const swr = config.staleWhileRevalidate ?? 0
  const window = Math.max(swr, config.staleIfError ?? 0)
  const tags = config.tags
  // Engines private to this process need no TTL of their own for envelopes: the envelope says
  // when an entry is dead, and `maxsize` bounds what lingers. Skipping it saves the engine's
  // clock read on every hit (measured: a fresh stale-while-revalidate hit went from 0.65× to
  // 0.8× a Map memo). Persistent and shared engines must drop entries themselves.
  const { persistent, shared } = context.engine.capabilities
  const engineExpires = persistent || shared !== 'process'
  const refreshing = new Map<string, unknown>()
  // One warning per failure episode: set by a failed refresh, cleared by a good one.
  let failing = false
  // Messages of values that could not be stored, warned once each. Kept here, not in the
  // process-wide `warnOnce` set: they carry user data (a ttl function's answer, a tags
  // function's error), so that set would grow with every distinct value. Capped per function.
  const valueWarnings = new Set<string>()

  /** The engine TTL, in ms, for a value; `undefined`: the engine's configured one; 0: do not store. */
  function ttlOf(value: unknown, args: unknown[]): number | undefined {
    let ttl = config.ttl
    if (config.ttlFunction) {
      let chosen: unknown
      try {
        chosen = (config.ttlFunction as (value: unknown, ...args: unknown[]) => unknown)(value, ...args)
      } catch (error) {
        throw new CacheValueError(`the ttl function threw (${error instanceof Error ? error.message : String(error)}); the value was returned but not cached`, { cause: error })
      }
      ttl = chosen === 0 ? 0 : toMilliseconds(chosen)
      if (ttl === undefined) throw new CacheValueError(`the ttl function returned ${String(chosen)}; expected a duration (ms or '30s'), or 0 to skip storing this value`)
    }
    // Scaled down by up to `jitter`, never to 0 (which would mean "do not store").
    if (ttl && config.jitter) ttl = Math.max(1, Math.ceil(ttl * (1 - config.jitter * Math.random())))
    return ttl
  }

  /** The stored form of a value and the engine options to write it with, or `undefined`: do not store. */
  function encode(value: unknown, args: unknown[], createdAt: number): [unknown, SetOptions | undefined] | undefined {
    const ttl = ttlOf(value, args)
    if (ttl === 0) return undefined
    if (!withEnvelope) return [value, ttl === config.ttl ? undefined : { ttl }]
    const now = Date.now()
    const expiresAt = ttl === undefined ? NEVER : now + ttl
    const staleUntil = ttl === undefined ? NEVER : expiresAt + window
    // The engine keeps the entry until `staleUntil`, so a stale value is still there to serve.
    const options = staleUntil === NEVER || !engineExpires ? undefined : { ttl: staleUntil - now }
    return [envelope(value, createdAt, expiresAt, staleUntil, resolveTags(tags, value, args)), options]
  }

  function write(key: string, value: unknown, args: unknown[], createdAt: number): unknown {
    let encoded: ReturnType<typeof encode>
    try {
      encoded = encode(value, args, createdAt)
    } catch (error) {
      if (!(error instanceof CacheValueError)) throw error
      failed(context, key, error)
      warnValue(error.message)
      return undefined
    }
    if (!encoded) return undefined
    return after(store.set(key, encoded[0], encoded[1]), () => wrote(key))
  }

  function warnValue(message: string): void {
    if (valueWarnings.has(message) || valueWarnings.size > MAX_VALUE_WARNINGS) return
    valueWarnings.add(message)
    const more = valueWarnings.size > MAX_VALUE_WARNINGS ? ` (further such warnings for '${context.name}' are not logged; each is counted in errors)` : ''
    log('warn', context.name, message + more)
  }

  /** `write` for bare values under the config's own TTL: the common miss, with nothing to encode. */
  function writeBare(key: string, value: unknown): unknown {
    const result = store.set(key, value)
    if (isThenable(result)) return Promise.resolve(result).then(() => wrote(key))
    wrote(key)
    return undefined
  }

  function wrote(key: string): void {
    counters.written++
    if (listening()) emit(context, 'set', key)
  }

  /** Runs `revalidate` (for an existing entry) or the function, stores, answers the value. */
  function refresh(key: string, self: unknown, args: unknown[], previous: Envelope | undefined): unknown {
    const running = refreshing.get(key)
    if (running !== undefined && running !== SCHEDULED) return running
    // This run replaces a queued background refresh (`cacheRefresh` came first): it stands down.
    if (running === SCHEDULED) refreshing.delete(key)
    counters.refreshes++
    const started = startClock()
    // The entry's `createdAt`, also when `notModified` keeps the value: it was confirmed as of
    // now, and tags marked before now must not make the kept entry stale again (§13).
    const startedAt = Date.now()
    const revalidate = config.revalidate as ((previous: PreviousEntry, ...args: unknown[]) => unknown) | undefined
    // Set once the run goes async; `forget` (cacheDelete, cacheClear) unregisters it.
    let pending: Promise<unknown> | undefined
    const store = (value: unknown): unknown => {
      const kept = value === notModified && previous !== undefined
      const answer = kept ? previous.value : value
      // Forgotten while it ran: the caller gets the value, the store does not.
      if (pending !== undefined && refreshing.get(key) !== pending) return answer
      return after(write(key, answer, args, startedAt), () => {
        if (failing) log('info', context.name, `refreshing '${context.name}' works again`)
        failing = false
        if (listening()) emit(context, 'refresh', key, since(started))
        return answer
      })
    }
    const fail = (error: unknown): never => {
      failed(context, key, error)
      if (!failing) {
        failing = true
        const reason = error instanceof Error ? error.message : String(error)
        log('warn', context.name, `refreshing '${context.name}' failed (${reason}); stale values are kept while their window lasts`)
      }
      throw error
    }
    let result: unknown
    try {
      result =
        previous !== undefined && revalidate
          ? revalidate({ value: previous.value, createdAt: previous.createdAt, expiresAt: previous.expiresAt }, ...args)
          : fn.apply(self, args)
      if (!isThenable(result)) {
        // A sync run: stored inline on a sync engine; an async engine's write may still fail.
        const stored = store(result)
        return isThenable(stored) ? Promise.resolve(stored).then(undefined, fail) : stored
      }
    } catch (error) {
      return fail(error)
    }
    pending = Promise.resolve(result)
      .then(store)
      .then(undefined, fail)
      .finally(() => {
        if (refreshing.get(key) === pending) refreshing.delete(key)
      })
    refreshing.set(key, pending)
    return pending
  }

  /** Stale-while-revalidate: refresh after this call returns; concurrent stale hits share it. */
  function background(key: string, self: unknown, args: unknown[], previous: Envelope): void {
    if (refreshing.has(key)) return
    refreshing.set(key, SCHEDULED)
    queueMicrotask(() => {
      if (refreshing.get(key) !== SCHEDULED) return
      refreshing.delete(key)
      try {
        const answer = refresh(key, self, args, previous)
        // Already counted and logged by `refresh`; the stale value stays.
        if (isThenable(answer)) answer.then(undefined, () => {})
      } catch {}
    })
  }

  function servedStale(key: string, previous: Envelope): unknown {
    counters.stale++
    if (listening()) emit(context, 'stale', key)
    return previous.value
  }

  /** Stale-if-error: the caller waits for a refresh; a failure (or `timeout`) answers the stale value. */
  function guarded(key: string, self: unknown, args: unknown[], previous: Envelope): unknown {
    let answer: unknown
    try {
      answer = refreshing.get(key) ?? refresh(key, self, args, previous)
    } catch {
      return servedStale(key, previous)
    }
    if (answer === SCHEDULED) return servedStale(key, previous)
    if (!isThenable(answer)) return answer
    return new Promise((resolve) => {
      let timer: ReturnType<typeof setTimeout> | undefined
      let done = false
      const finish = (value: () => unknown) => {
        if (done) return
        done = true
        clearTimeout(timer)
        resolve(value())
      }
      if (config.timeout !== undefined) timer = setTimeout(() => finish(() => servedStale(key, previous)), config.timeout)
      answer.then(
        (value) => finish(() => value),
        () => finish(() => servedStale(key, previous)),
      )
    })
  }

  // Bare values: the hit path's only stage, kept tiny so it inlines into the cached call.
  function servePlain(stored: unknown, key: string): unknown {
    counters.hits++
    if (listening()) emit(context, 'hit', key)
    return stored
  }

  /**
   * A plain function's reading of what a persistent or shared engine holds: it may be an
   * envelope written under other options (a release with a stale window, another process), so
   * an envelope is its value while fresh and untagged (its tags cannot be checked here), else a
   * miss; never the envelope object. Process-local engines only hold this function's entries.
   */
  function unwrap(stored: unknown): unknown {
    // An envelope of another format (a later release's, read after a rollback) is a miss too.
    if (!isEnvelope(stored)) return isMarked(stored) ? MISS : stored
    return stored.tags === undefined && (stored.expiresAt === NEVER || Date.now() < stored.expiresAt) ? stored.value : MISS
  }
  function servePlainShared(stored: unknown, key: string): unknown {
    const value = unwrap(stored)
    return value === MISS ? MISS : servePlain(value, key)
  }

  // A fresh envelope: the common case, kept small enough to inline; the rest is `serveAged`.
  function serve(stored: unknown, key: string, self: unknown, args: unknown[]): unknown {
    // Entries without a ttl never age: no clock read for them (tags-only and revalidate-only functions).
    if (isEnvelope(stored) && (stored.expiresAt === NEVER || Date.now() < stored.expiresAt)) {
      counters.hits++
      if (listening()) emit(context, 'hit', key)
      return stored.value
    }
    return serveAged(stored, key, self, args)
  }

  function serveAged(stored: unknown, key: string, self: unknown, args: unknown[]): unknown {
    // A bare value (written without these options, or by an older release) is a miss.
    if (!isEnvelope(stored)) return MISS
    const now = Date.now()
    if (now < stored.expiresAt) return servePlain(stored.value, key)
    if (now >= stored.staleUntil) return MISS
    if (now < stored.expiresAt + swr) {
      background(key, self, args, stored)
      return servedStale(key, stored)
    }
    return guarded(key, self, args, stored)
  }

  /** The stored entry while it may still be served (fresh or stale), else `undefined`. */
  const current = (stored: unknown): Envelope | undefined =>
    isEnvelope(stored) && Date.now() < stored.staleUntil ? stored : undefined

  return {
    serve: withEnvelope ? serve : engineExpires ? servePlainShared : servePlain,
    write: withEnvelope || config.ttlFunction || config.jitter || config.ttl === 0 ? write : writeBare,
    timed: withEnvelope,
    refresh: (key, self, args) => after(withEnvelope ? store.get(key) : MISS, (stored) => refresh(key, self, args, current(stored))),
    forget: (key) => (key === undefined ? refreshing.clear() : void refreshing.delete(key)),
    peek: (key) =>
      after(store.get(key), (stored) => {
        if (stored === MISS) return undefined
        if (withEnvelope) return current(stored)?.value
        const value = engineExpires ? unwrap(stored) : stored
        return value === MISS ? undefined : value
      }),
  }
}
