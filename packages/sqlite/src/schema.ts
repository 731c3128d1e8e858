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
  -- Bytes of the encoded value as stored (inline or out of line): what maxBytes bounds.
  size       INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (namespace, key)
) WITHOUT ROWID;`

const VALUES = `
CREATE TABLE IF NOT EXISTS ${VALUES_TABLE} (
  id    INTEGER PRIMARY KEY,
  value BLOB    NOT NULL
);`

const COUNT_TRIGGERS = `
CREATE TRIGGER IF NOT EXISTS twat_cache_count_insert AFTER INSERT ON ${TABLE} BEGIN
  INSERT INTO twat_cache_counts (namespace, entries, bytes) VALUES (new.namespace, 1, new.size)
    ON CONFLICT (namespace) DO UPDATE SET entries = entries + 1, bytes = bytes + new.size;
END;
CREATE TRIGGER IF NOT EXISTS twat_cache_count_delete AFTER DELETE ON ${TABLE} BEGIN
  UPDATE twat_cache_counts SET entries = entries - 1, bytes = bytes - old.size WHERE namespace = old.namespace;
END;
CREATE TRIGGER IF NOT EXISTS twat_cache_count_resize AFTER UPDATE OF size ON ${TABLE} BEGIN
  UPDATE twat_cache_counts SET bytes = bytes - old.size + new.size WHERE namespace = new.namespace;
END;`

const REST = `${VALUES}
CREATE INDEX IF NOT EXISTS ${TABLE}_expiry ON ${TABLE} (expires_at) WHERE expires_at IS NOT NULL;
-- With the primary key appended (WITHOUT ROWID), this covers the choice of eviction victims.
CREATE INDEX IF NOT EXISTS ${TABLE}_rank ON ${TABLE} (namespace, rank, seq);
-- Entry counts and stored bytes per namespace, kept exact by triggers (in the writer's
-- transaction, so across processes too): the maxsize and maxBytes checks on every write are a
-- key lookup, not a scan.
CREATE TABLE IF NOT EXISTS twat_cache_counts (
  namespace TEXT PRIMARY KEY,
  entries   INTEGER NOT NULL,
  bytes     INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
${COUNT_TRIGGERS}
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
`

/**
 * v2 → v3: entries record their stored size and the counts table sums it (for `maxBytes`). The
 * count triggers are replaced (they now keep `bytes` too) and the counts recomputed.
 */
const MIGRATE_TO_V3 = `
DROP TRIGGER IF EXISTS twat_cache_count_insert;
DROP TRIGGER IF EXISTS twat_cache_count_delete;
${COUNT_TRIGGERS}
UPDATE ${TABLE} SET size = CASE WHEN value_id IS NULL THEN length(value) ELSE (SELECT length(value) FROM ${VALUES_TABLE} WHERE id = value_id) END;
DELETE FROM twat_cache_counts;
INSERT INTO twat_cache_counts (namespace, entries, bytes) SELECT namespace, COUNT(*), SUM(size) FROM ${TABLE} GROUP BY namespace;
`

/** Add a column unless the table has it already (a v1 file migrated in this run does). */
function addColumn(db: Database.Database, table: string, column: string, definition: string): void {
  const columns = db.pragma(`table_info(${table})`) as { name: string }[]
  if (!columns.some((c) => c.name === column)) db.exec(`ALTER TABLE ${table} ADD COLUMN ${column} ${definition}`)
}

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
    if (found === 1 || found === 2) {
      addColumn(db, TABLE, 'size', 'INTEGER NOT NULL DEFAULT 0')
      addColumn(db, 'twat_cache_counts', 'bytes', 'INTEGER NOT NULL DEFAULT 0')
    }
    db.exec(entriesTable(TABLE) + REST)
    if (found === 1 || found === 2) db.exec(MIGRATE_TO_V3)
    db.pragma(`application_id = ${APPLICATION_ID}`)
    db.pragma(`user_version = ${SCHEMA_VERSION}`)
  }).immediate()
}
