// Kept apart from schema.ts so the published types of `SCHEMA_VERSION` never reference
// better-sqlite3's (a devDependency: consumers with skipLibCheck off would fail).

/**
 * Version of the table layout, in `PRAGMA user_version`. An older file is migrated when it is
 * opened; a newer one is refused with a clear error.
 *
 * - 1: a rowid table with a `(namespace, key)` primary key.
 * - 2: the entries table is `WITHOUT ROWID` (a lookup is one B-tree search instead of two) and
 *   large values live in `twat_cache_values`; `seq` replaces the rowid as the insertion order.
 * - 3: entries record their stored `size` and `twat_cache_counts.bytes` sums it per namespace
 *   (for `maxBytes`).
 */
export const SCHEMA_VERSION = 3
