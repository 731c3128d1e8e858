/// <reference lib="dom" />
import { parseEngineOptions } from '@twat-cache/core'
// zod/mini, not zod: this package is bundled for browsers (~4 KB vs ~90 KB).
import * as z from 'zod/mini'

/** The database every `idb` engine of an origin opens unless told otherwise. */
export const DEFAULT_DB_NAME = 'twat-cache'

/**
 * `engineOptions` of the `idb` engine, validated once when the engine is created. `maxsize` and
 * `ttl` come from the cache options.
 */
export const idbEngineOptionsSchema = z.strictObject({
  /**
   * The IndexedDB database name. Every engine of an origin with the same name shares one
   * database (entries are kept apart by namespace).
   * @default 'twat-cache'
   */
  dbName: z.optional(z.string().check(z.minLength(1))),
  /**
   * The `IDBFactory` to open the database with (a worker's or an iframe's `indexedDB`).
   * @default globalThis.indexedDB
   */
  indexedDB: z.optional(z.custom<IDBFactory>((v) => typeof v === 'object' && v !== null && typeof (v as IDBFactory).open === 'function')),
})

export type IdbEngineOptions = z.output<typeof idbEngineOptionsSchema>

/** Validate `engineOptions`; every bad field is listed in one `ConfigurationError`. */
export function parseIdbEngineOptions(input: unknown): IdbEngineOptions {
  return parseEngineOptions('idb', idbEngineOptionsSchema, input, {
    dbName: 'a non-empty database name',
    indexedDB: 'an IDBFactory (an object with open())',
  })
}
