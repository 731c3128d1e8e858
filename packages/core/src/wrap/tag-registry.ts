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

/** Store-wide tag state in a `Map`: what the registry uses, and any engine may reuse. */
export function createTagRegistry(now: () => number = Date.now): SyncTagMethods & { readonly size: number } {
  const records = new Map<string, TagRecord>()
  let horizon = 0
  let sweepAt = 1024
  const sweep = (at: number): void => {
    for (const [tag, record] of records) if (record.until <= at) records.delete(tag)
    // Amortised O(1) per mark: the next sweep waits until the live records double.
    sweepAt = Math.max(1024, records.size * 2)
  }
  return {
    get size() {
      return records.size
    },
    readTags(tags) {
      let invalidatedAt = 0
      let expiredAt = 0
      for (const tag of tags) {
        const record = records.get(tag)
        if (record === undefined) continue
        if (record.invalidatedAt > invalidatedAt) invalidatedAt = record.invalidatedAt
        if (record.expiredAt > expiredAt) expiredAt = record.expiredAt
      }
      return invalidatedAt === 0 && expiredAt === 0 ? NO_TAG_STATE : { invalidatedAt, expiredAt }
    },
    markTags(tags, kind, at) {
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
}

const REGISTRY = Symbol.for('twat-cache.tags')
const holder = globalThis as { [REGISTRY]?: SyncTagMethods }

/** The realm's in-process tag registry (shared by every copy of core in this realm). */
export function processTags(): SyncTagMethods {
  return (holder[REGISTRY] ??= createTagRegistry())
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
