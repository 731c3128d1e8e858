/// <reference lib="dom" />
import { type OptionsSchema, parseEngineOptions } from '@twat-cache/core'

/** The database every `idb` engine of an origin opens unless told otherwise. */
export const DEFAULT_DB_NAME = 'twat-cache'

/** `engineOptions` of the `idb` engine. `maxsize` and `ttl` come from the cache options. */
export interface IdbEngineOptions {
  /**
   * The IndexedDB database name. Every engine of an origin with the same name shares one
   * database (entries are kept apart by namespace).
   * @default 'twat-cache'
   */
  dbName?: string | undefined
  /**
   * The `IDBFactory` to open the database with (a worker's or an iframe's `indexedDB`).
   * @default globalThis.indexedDB
   */
  indexedDB?: IDBFactory | undefined
}

/** Each field's check; a field left out (or `undefined`) takes its default. */
const FIELDS: Record<keyof IdbEngineOptions, (value: unknown) => boolean> = {
  dbName: (v) => typeof v === 'string' && v !== '',
  indexedDB: (v) => typeof v === 'object' && v !== null && typeof (v as IDBFactory).open === 'function',
}

/**
 * The schema `parseEngineOptions` reads, written by hand: zod/mini (as the Node engines use)
 * would add ~5 KB min+gzip to every page that caches in IndexedDB, a third of its budget.
 */
export const idbEngineOptionsSchema: OptionsSchema<IdbEngineOptions> = {
  def: { shape: FIELDS },
  safeParse(input) {
    if (typeof input !== 'object' || input === null || Array.isArray(input)) {
      return { success: false, error: { issues: [{ code: 'invalid_type', path: [], message: 'expected an object' }] } }
    }
    const record = input as Record<string, unknown>
    const unknownKeys = Object.keys(record).filter((key) => !Object.hasOwn(FIELDS, key))
    const issues: { code: string; path: string[]; keys?: string[]; message: string }[] = []
    if (unknownKeys.length > 0) issues.push({ code: 'unrecognized_keys', path: [], keys: unknownKeys, message: 'unknown option' })
    for (const [key, ok] of Object.entries(FIELDS)) {
      if (record[key] !== undefined && !ok(record[key])) issues.push({ code: 'invalid_value', path: [key], message: 'invalid value' })
    }
    return issues.length > 0 ? { success: false, error: { issues } } : { success: true, data: record as IdbEngineOptions }
  },
}

/** Validate `engineOptions`; every bad field is listed in one `ConfigurationError`. */
export function parseIdbEngineOptions(input: unknown): IdbEngineOptions {
  return parseEngineOptions('idb', idbEngineOptionsSchema, input, {
    dbName: 'a non-empty database name',
    indexedDB: 'an IDBFactory (an object with open())',
  })
}
