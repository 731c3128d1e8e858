import type Database from 'better-sqlite3'
import { EngineError } from '@twat-cache/core'
import { SCHEMA_VERSION } from './version.js'


/** The entries table, named so it cannot collide with anything else in a shared file. */
export const TABLE = 'twat_cache_entries'

/** Where values longer than {@link INLINE_VALUE_MAX} bytes are stored, one row each. */
export const VALUES_TABLE = 'twat_cache_values'

/**
 * Encoded values up to this many bytes are stored in the entry row, longer ones in
 * {@link VALUES_TABLE}. A `WITHOUT ROWID` table keeps whole rows in its interior pages too, so
 * large rows there cost fan-out: measured with better-sqlite3 12 on 5,000 and 50,000 rows, a
 * lookup in it beats the v1 rowid table by 5-20% up to ~300 bytes, is even at ~500, and is 2-3×
 * slower above ~1 KB, where rows spill to overflow pages. An out-of-line value costs a second
 * search, what every lookup cost in v1.
 */
export const INLINE_VALUE_MAX = 400

/** Marks the file as a twat-cache database (`PRAGMA application_id`, "twC1"). */
export const APPLICATION_ID = 0x74774331

const entriesTable = (name: string) => `
CREATE TABLE IF NOT EXISTS ${name} (
  namespace  TEXT    NOT NULL,
  key        TEXT    NOT NULL,
  -- The encoded value when it is at most ${INLINE_VALUE_MAX} bytes, else NULL and value_id is set.
  value      BLOB,
  value_id   INTEGER,
  -- Unix milliseconds; NULL never expires.
  expires_at INTEGER,
  -- Eviction order, lowest goes first: last use (lru), insertion (fifo), reads (lfu), random (rr).
  rank       INTEGER NOT NULL,
  -- When the key was first written (a tick, see engine.ts): breaks rank ties, orders keys().
  seq        INTEGER NOT NULL,
  PRIMARY KEY (namespace, key)
) WITHOUT ROWID;`

const VALUES = `
CREATE TABLE IF NOT EXISTS ${VALUES_TABLE} (
  id    INTEGER PRIMARY KEY,
  value BLOB    NOT NULL
);`

const REST = `${VALUES}
CREATE INDEX IF NOT EXISTS ${TABLE}_expiry ON ${TABLE} (expires_at) WHERE expires_at IS NOT NULL;
-- With the primary key appended (WITHOUT ROWID), this covers the choice of eviction victims.
CREATE INDEX IF NOT EXISTS ${TABLE}_rank ON ${TABLE} (namespace, rank, seq);
-- Entry counts per namespace, kept exact by triggers (in the writer's transaction, so across
-- processes too): the maxsize check on every write is a key lookup, not a COUNT(*) scan.
CREATE TABLE IF NOT EXISTS twat_cache_counts (
  namespace TEXT PRIMARY KEY,
  entries   INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TRIGGER IF NOT EXISTS twat_cache_count_insert AFTER INSERT ON ${TABLE} BEGIN
  INSERT INTO twat_cache_counts (namespace, entries) VALUES (new.namespace, 1)
    ON CONFLICT (namespace) DO UPDATE SET entries = entries + 1;
END;
CREATE TRIGGER IF NOT EXISTS twat_cache_count_delete AFTER DELETE ON ${TABLE} BEGIN
  UPDATE twat_cache_counts SET entries = entries - 1 WHERE namespace = old.namespace;
END;
-- An out-of-line value goes with its entry: deleted, expired, evicted or overwritten.
CREATE TRIGGER IF NOT EXISTS twat_cache_value_delete AFTER DELETE ON ${TABLE}
  WHEN old.value_id IS NOT NULL BEGIN
  DELETE FROM ${VALUES_TABLE} WHERE id = old.value_id;
END;
CREATE TRIGGER IF NOT EXISTS twat_cache_value_replace AFTER UPDATE OF value_id ON ${TABLE}
  WHEN old.value_id IS NOT NULL AND old.value_id IS NOT new.value_id BEGIN
  DELETE FROM ${VALUES_TABLE} WHERE id = old.value_id;
END;
`

/**
 * v1 → v2: copy every row into the new layout, then swap the tables. Large values move out of
 * line, keeping the old rowid as their id (unique, so no lookup is needed); the rowid also
 * becomes `seq`, which keeps the old insertion order and sorts before every new tick. Dropping
 * the v1 table drops its indexes and triggers; the counts are recomputed rather than trusted.
 */
const MIGRATE_FROM_V1 = `${VALUES}
${entriesTable(`${TABLE}_v2`)}
INSERT INTO ${VALUES_TABLE} (id, value)
  SELECT rowid, value FROM ${TABLE} WHERE length(value) > ${INLINE_VALUE_MAX};
INSERT INTO ${TABLE}_v2 (namespace, key, value, value_id, expires_at, rank, seq)
  SELECT namespace, key,
         CASE WHEN length(value) > ${INLINE_VALUE_MAX} THEN NULL ELSE value END,
         CASE WHEN length(value) > ${INLINE_VALUE_MAX} THEN rowid END,
         expires_at, rank, rowid
  FROM ${TABLE};
DROP TABLE ${TABLE};
ALTER TABLE ${TABLE}_v2 RENAME TO ${TABLE};
DELETE FROM twat_cache_counts;
INSERT INTO twat_cache_counts (namespace, entries) SELECT namespace, COUNT(*) FROM ${TABLE} GROUP BY namespace;
`

/**
 * Create the tables of an empty file, or migrate an older layout, inside one IMMEDIATE
 * transaction. Refuses a file written by a newer layout without touching it.
 */
export function ensureSchema(db: Database.Database): void {
  const version = (): number => {
    const found = db.pragma('user_version', { simple: true }) as number
    if (found > SCHEMA_VERSION) {
      throw new EngineError(
        `${db.name} was written by a newer @twat-cache/sqlite (schema ${found}, this one knows ${SCHEMA_VERSION}): upgrade @twat-cache/sqlite, or use another folderName`,
      )
    }
    return found
  }
  if (version() === SCHEMA_VERSION) return
  // IMMEDIATE: two processes setting up the file at once must not both try. The second one in
  // reads the version again under the lock and finds the work done.
  db.transaction(() => {
    const found = version()
    if (found === SCHEMA_VERSION) return
    if (found === 1) db.exec(MIGRATE_FROM_V1)
    db.exec(entriesTable(TABLE) + REST)
    db.pragma(`application_id = ${APPLICATION_ID}`)
    db.pragma(`user_version = ${SCHEMA_VERSION}`)
  }).immediate()
}
