import type { SyncTagMethods, TagMark, TagState } from '@twat-cache/core'
import type { Connection } from './types.js'

/*
 * Store-wide tag state in the database file (ARCHITECTURE.md §13): one row per tag, shared by
 * every namespace and every process on the file. An entry's lookup reads all its tags in one
 * query; a mark writes one row per tag. Rows are kept as long as the longest lifetime of a
 * tagged entry (`horizon`, NULL = forever) and compacted a few at a time on later marks.
 */

const TAGS = 'twat_cache_tags'
const META = 'twat_cache_tag_meta'

const CREATE = `
CREATE TABLE IF NOT EXISTS ${TAGS} (
  tag TEXT PRIMARY KEY,
  invalidated_at INTEGER NOT NULL DEFAULT 0,
  expired_at INTEGER NOT NULL DEFAULT 0,
  until INTEGER
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS ${TAGS}_until ON ${TAGS} (until) WHERE until IS NOT NULL;
CREATE TABLE IF NOT EXISTS ${META} (name TEXT PRIMARY KEY, value INTEGER) WITHOUT ROWID;
`

const READ = `SELECT coalesce(max(invalidated_at), 0) AS invalidatedAt, coalesce(max(expired_at), 0) AS expiredAt
  FROM ${TAGS} WHERE tag IN (SELECT value FROM json_each(?))`
// NULL is "forever" in both `until` and the horizon, so it wins over any number.
const longer = (a: string, b: string) => `CASE WHEN ${a} IS NULL OR ${b} IS NULL THEN NULL ELSE max(${a}, ${b}) END`
const MARK = `INSERT INTO ${TAGS} (tag, invalidated_at, expired_at, until)
  SELECT value, ?, ?, ? FROM json_each(?) WHERE true
  ON CONFLICT (tag) DO UPDATE SET
    invalidated_at = max(invalidated_at, excluded.invalidated_at),
    expired_at = max(expired_at, excluded.expired_at),
    until = ${longer('until', 'excluded.until')}`
const HORIZON = `SELECT value FROM ${META} WHERE name = 'horizon'`
const KEEP = `INSERT INTO ${META} (name, value) VALUES ('horizon', ?)
  ON CONFLICT (name) DO UPDATE SET value = ${longer('value', 'excluded.value')}`
/**
 * Outdated rows removed per mark: 64 more than the mark wrote, so compaction keeps up with marks
 * of many tags (rows never pile up faster than they go) and costs O(tags) like the mark itself.
 */
const COMPACT = `DELETE FROM ${TAGS} WHERE tag IN (SELECT tag FROM ${TAGS} WHERE until IS NOT NULL AND until <= ? LIMIT ?)`
const COMPACT_EXTRA = 64

/** Runs `op` as the engine runs every operation (closed check, replaced file, errors). */
type Run = <T>(doing: string, now: number, isWrite: boolean, op: () => T) => T

/** The engine's tag methods over its connection. */
export function sqliteTagMethods(connection: Connection, run: Run): SyncTagMethods {
  let createdIn = -1
  const ensure = (): void => {
    if (createdIn === connection.epoch) return
    connection.db.exec(CREATE)
    createdIn = connection.epoch
  }
  return {
    readTags: (tags: readonly string[]): TagState =>
      run('read tags from', Date.now(), false, () => {
        ensure()
        return connection.statement(READ).get(JSON.stringify(tags)) as TagState
      }),
    markTags: (tags: readonly string[], kind: TagMark, at: number): void =>
      run('write tags to', Date.now(), true, () => {
        ensure()
        connection.db.transaction(() => {
          const now = Date.now()
          const horizon = connection.statement(HORIZON).get() as { value: number | null } | undefined
          const until = horizon === undefined ? now : horizon.value === null ? null : now + horizon.value
          connection.statement(MARK).run(kind === 'invalidate' ? at : 0, kind === 'expire' ? at : 0, until, JSON.stringify(tags))
          connection.statement(COMPACT).run(now, COMPACT_EXTRA + tags.length)
        }).immediate()
      }),
    keepTags: (lifetime: number): void =>
      run('write tags to', Date.now(), true, () => {
        ensure()
        connection.statement(KEEP).run(Number.isFinite(lifetime) ? Math.ceil(lifetime) : null)
      }),
  }
}
