/** What holds in Node, where there is no IndexedDB: registration, the chain predicate, and errors that say what to do. */
import { ConfigurationError, EngineNotAvailableError, createCacheConfig, getEngine, registerEngine, unregisterEngine } from '@twat-cache/core'
import { describe, expect, it } from 'vitest'

describe('@twat-cache/idb in Node', () => {
  it('the /engine subpath does not register; the package entry does, and the chains skip it without IndexedDB', async () => {
    unregisterEngine('idb')
    const { createIdbEngine } = await import('@twat-cache/idb/engine')
    expect(getEngine('idb')).toBeUndefined()
    const { idbEngineDefinition } = await import('@twat-cache/idb')
    // Already imported by an earlier test in this worker: register it the way the import does.
    if (!getEngine('idb')) registerEngine(idbEngineDefinition)
    const definition = getEngine('idb')!
    expect(definition.packageName).toBe('@twat-cache/idb')
    const config = { ...createCacheConfig({}), namespace: 'n' }
    expect(definition.usable!(config)).toBe(false)
    const factory = { open() {} }
    expect(definition.usable!({ ...createCacheConfig({ engineOptions: { indexedDB: factory } }), namespace: 'n' })).toBe(true)
    expect(() => createIdbEngine({})).toThrow(EngineNotAvailableError)
  })

  it('rejects options it cannot honour before touching IndexedDB', async () => {
    const { createIdbEngine } = await import('@twat-cache/idb/engine')
    expect(() => createIdbEngine({ policy: 'lfu' })).toThrow(ConfigurationError)
    expect(() => createIdbEngine({ maxBytes: 100 })).toThrow(/maxBytes/)
    expect(() => createIdbEngine({ engineOptions: { dbName: '' } })).toThrow(/engineOptions.dbName: a non-empty database name/)
    expect(() => createIdbEngine({ engineOptions: { nope: 1 } })).toThrow(/unknown option 'engineOptions.nope'/)
  })
})
