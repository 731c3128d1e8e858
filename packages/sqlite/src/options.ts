import { parseEngineOptions } from '@twat-cache/core'
import * as z from 'zod/mini'

const FILE_NAME = /^[A-Za-z0-9._-]+$/

/**
 * `engineOptions` understood by the sqlite engine. Parsed once when the engine is created;
 * unknown fields are rejected so a typo does not silently fall back to a default.
 */
export const sqliteOptionsSchema = z.strictObject({
  /**
   * Database file inside the cache folder. Every namespace of the folder shares it.
   * @default 'cache.db'
   */
  fileName: z.optional(z.string().check(z.regex(FILE_NAME), z.refine((name) => !name.includes('..')))),
  /**
   * How long a write waits for another process's write to finish before failing, in
   * milliseconds. Writes are short (one row), so waits are normally a few milliseconds.
   * @default 5000
   */
  busyTimeout: z.optional(z.number().check(z.int(), z.minimum(0), z.maximum(2_147_483_647))),
  /**
   * `'normal'` survives a crash of the process (SIGKILL included) and loses at most the last
   * writes on power loss; `'full'` also survives power loss, at roughly 2-10× the write cost.
   * @default 'normal'
   */
  synchronous: z.optional(z.enum(['normal', 'full'])),
  /**
   * Expired rows are deleted once every this many writes to the file (one indexed DELETE), and
   * by a write that takes a namespace past `maxsize` while some row has expired.
   * @default 500
   */
  purgeEvery: z.optional(z.number().check(z.int(), z.minimum(1))),
  /**
   * For `lru` and `lfu`, reads record their access in memory and write it to the file with the
   * next write, after this many milliseconds, or every 1000 distinct keys, so reads stay reads.
   * @default 1000
   */
  accessFlushMs: z.optional(z.number().check(z.int(), z.minimum(0))),
  /**
   * What to do when the file is not a SQLite database or has damaged pages
   * (`SQLITE_NOTADB`, `SQLITE_CORRUPT`), at open or at any later call: `'reset'` moves it aside
   * to `<file>.corrupt-<epoch ms>` (one warning naming it), starts an empty cache, and the call
   * that hit the damage is a miss (or its write goes to the new file); other processes on the
   * folder follow to the new file. `'throw'` is the strict behaviour: a `ResourceError` naming
   * the file, and the file is left alone.
   * @default 'reset'
   */
  onCorrupt: z.optional(z.enum(['throw', 'reset'])),
})

export type SqliteEngineOptions = z.input<typeof sqliteOptionsSchema>

/** {@link SqliteEngineOptions} with defaults applied. */
export interface ResolvedSqliteOptions {
  readonly fileName: string
  readonly busyTimeout: number
  readonly synchronous: 'normal' | 'full'
  readonly purgeEvery: number
  readonly accessFlushMs: number
  readonly onCorrupt: 'throw' | 'reset'
}

const EXPECTED: Record<string, string> = {
  fileName: "expected a plain file name such as 'cache.db' (letters, digits, '.', '_', '-'; no slashes or '..')",
  busyTimeout: 'expected a whole number of milliseconds ≥ 0',
  synchronous: "expected 'normal' or 'full'",
  purgeEvery: 'expected a whole number ≥ 1',
  accessFlushMs: 'expected a whole number of milliseconds ≥ 0',
  onCorrupt: "expected 'throw' or 'reset'",
}

/** Validate `engineOptions`; every bad field is listed in one `ConfigurationError`. */
export function parseSqliteOptions(input: Record<string, unknown> | undefined): ResolvedSqliteOptions {
  const data = parseEngineOptions('sqlite', sqliteOptionsSchema, input, EXPECTED)
  return {
    fileName: data.fileName ?? 'cache.db',
    busyTimeout: data.busyTimeout ?? 5000,
    synchronous: data.synchronous ?? 'normal',
    purgeEvery: data.purgeEvery ?? 500,
    accessFlushMs: data.accessFlushMs ?? 1000,
    onCorrupt: data.onCorrupt ?? 'reset',
  }
}
