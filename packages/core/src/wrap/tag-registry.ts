import { warnOnce } from '../logger.js'
import type { AsyncTagMethods, Engine, SyncTagMethods, TagMark, TagState } from '../types.js'

/*
 * Where tag state lives for an engine (ARCHITECTURE.md §13-§14). Engines that declare
 * `capabilities.tags` keep it themselves, store-wide (a sqlite table, Redis keys, a tags file),
 * so every process sharing the store sees it. Every other engine uses the one registry below,
 * kept per realm: process-local engines (memory, lru, node-cache, cacheable) lose nothing by
 * it, since no other process sees their entries anyway.
 */

interface TagRecord {
  invalidatedAt: number
  expiredAt: number
  /** Dropped after this (epoch ms): no entry that could carry the tag lives longer. */
  until: number
}

export const NO_TAG_STATE: TagState = Object.freeze({ invalidatedAt: 0, expiredAt: 0 })

/** The registry's methods, with what callers may read of it. */
export type TagRegistry = SyncTagMethods & {
  readonly size: number
  /** Moves on every mark: an answer of `readTags` holds while it has not moved. */
  readonly version: number
}

/** Registries made by `createTagRegistry` (a `version` field elsewhere may mean anything). */
const registries = new WeakSet<object>()

/**
 * The newest marks among `tags` in `records` (tag → its marks): what `readTags` answers for an
 * engine that holds its tag records in a Map (the in-process registry, flat-cache's tags file).
 */
export function newestMarks(records: ReadonlyMap<string, TagState>, tags: readonly string[]): TagState {
  let invalidatedAt = 0
  let expiredAt = 0
  for (const tag of tags) {
    const record = records.get(tag)
    if (record === undefined) continue
    if (record.invalidatedAt > invalidatedAt) invalidatedAt = record.invalidatedAt
    if (record.expiredAt > expiredAt) expiredAt = record.expiredAt
  }
  return invalidatedAt === 0 && expiredAt === 0 ? NO_TAG_STATE : { invalidatedAt, expiredAt }
}

/** Whether `state` is a registry made here, whose `version` may be trusted. */
export const isTagRegistry = (state: object): state is TagRegistry => registries.has(state)

/** Store-wide tag state in a `Map`: what the registry uses, and any engine may reuse. */
export function createTagRegistry(now: () => number = Date.now): TagRegistry {
  const records = new Map<string, TagRecord>()
  let horizon = 0
  let version = 0
  let sweepAt = 1024
  const sweep = (at: number): void => {
    for (const [tag, record] of records) if (record.until <= at) records.delete(tag)
    // Amortised O(1) per mark: the next sweep waits until the live records double.
    sweepAt = Math.max(1024, records.size * 2)
  }
  const registry: TagRegistry = {
    get size() {
      return records.size
    },
    get version() {
      return version
    },
    readTags: (tags) => newestMarks(records, tags),
    markTags(tags, kind, at) {
      version++
      const until = horizon === Number.POSITIVE_INFINITY ? horizon : now() + horizon
      for (const tag of tags) {
        const record = records.get(tag) ?? { invalidatedAt: 0, expiredAt: 0, until }
        if (kind === 'invalidate') record.invalidatedAt = Math.max(record.invalidatedAt, at)
        else record.expiredAt = Math.max(record.expiredAt, at)
        record.until = Math.max(record.until, until)
        records.set(tag, record)
      }
      if (records.size >= sweepAt) sweep(now())
    },
    keepTags(lifetime) {
      if (lifetime > horizon) horizon = lifetime
    },
  }
  registries.add(registry)
  return registry
}

/**
 * The latest mark this process made (epoch ms; per copy of core): `noteMark` is called by
 * invalidateTags/expireTags, `passMark` by the tags step before a run may follow.
 */
let lastMark = 0

export function noteMark(at: number): void {
  // The latest call, not the largest value: after a clock step back, the wait is for the new time.
  lastMark = at
}

/**
 * Returns once the clock has left millisecond `at` (the latest mark that dropped or expired an
 * entry, or this process's latest mark), if it still reads `at`. Marks and `createdAt` are
 * whole milliseconds and an entry is dropped when created at or before a mark, so a run that
 * started in the mark's millisecond is conservatively dropped too; waiting here, on the miss
 * that precedes the run, makes that run's entry count as newer than the mark. Only a miss right
 * after a mark ever waits (≤ 1 ms); a clock that does not move (a fake or a Workers clock) is
 * not waited for past `PASS_MARK_SPINS` reads, and the entry is then recomputed once more later.
 */
export function passMark(at: number): void {
  for (let i = 0; i < PASS_MARK_SPINS && Date.now() === at; i++);
}

/** ~2 ms of `Date.now()` reads on a real clock. */
const PASS_MARK_SPINS = 100_000

/** This process's latest mark (epoch ms), 0 if none. */
export const latestMark = (): number => lastMark

const REGISTRY = Symbol.for('twat-cache.tags')
const holder = globalThis as { [REGISTRY]?: SyncTagMethods }

/** The realm's in-process tag registry (shared by every copy of core in this realm). */
export function processTags(): SyncTagMethods {
  return (holder[REGISTRY] ??= createTagRegistry())
}

/**
 * An engine that reads an entry and the state of `tags` in one command (redis: one `MGET`), so
 * a hit of a function with static tags costs one request. Optional: the tags step otherwise
 * sends the entry's read and the tag read together.
 */
export interface TaggedReads {
  getWithTags(key: string, tags: readonly string[]): Promise<readonly [stored: unknown, state: TagState]>
}

/** Tag methods of a sync or async engine. */
export type TagMethods = SyncTagMethods | AsyncTagMethods

/** Whether `engine` keeps tag state itself. */
export function hasTagMethods(engine: Engine): boolean {
  return engine.capabilities.tags === true && typeof engine.readTags === 'function' && typeof engine.markTags === 'function' && typeof engine.keepTags === 'function'
}

/**
 * Where `engine`'s tag state lives: the engine itself, or the process registry. A shared engine
 * without tag methods still works, with the weaker guarantee (said once): invalidations reach
 * only this process.
 */
export function tagStateOf(engine: Engine): TagMethods {
  if (hasTagMethods(engine)) return engine as TagMethods
  if (engine.capabilities.shared !== 'process') {
    warnOnce(
      `tags:process-only:${engine.name}`,
      'tags',
      `engine '${engine.name}' keeps no tag state (capabilities.tags), so invalidateTags/expireTags reach only this process's entries in it; other processes keep serving theirs until they expire`,
    )
  }
  return processTags()
}

export type { TagMark, TagState }
