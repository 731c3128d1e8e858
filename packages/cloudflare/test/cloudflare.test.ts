/**
 * The cloudflare-kv engine in workerd (through miniflare) on a real, persisted KV namespace:
 * values across requests and across isolates (a second workerd on the same storage), TTL below
 * and above KV's 60 s minimum, failing KV operations, and the wrappers' choice.
 */
import { ConfigurationError, createCacheConfig, getEngine, unregisterEngine } from '@twat-cache/core'
import type { Miniflare } from 'miniflare'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type KvWorld, call, kvWorld, skipWorkerd, workerdProblem } from './workers.js'

const APP = `
import { MISS, acache, setLogger, ucache } from '@twat-cache/core'
import { createCloudflareKvEngine } from '@twat-cache/cloudflare/engine'
// Named, not bare: the test bundles sources, and sideEffects lists only dist/index.js.
export { cloudflareKvEngineDefinition } from '@twat-cache/cloudflare'

const logs = []
setLogger({ debug() {}, info() {}, warn: (m) => logs.push(m), error: (m) => logs.push(m) })
const RICH = () => ({ when: new Date(5), tags: new Set(['a']), n: 10n, bytes: new Uint8Array([1, 2, 255]), nothing: undefined })
const describe = (v) => v === MISS ? 'MISS' : v && v.when instanceof Date
  ? { when: v.when.getTime(), tag: v.tags.has('a'), n: String(v.n), bytes: [...v.bytes], hasNothing: 'nothing' in v && v.nothing === undefined }
  : v
/** A binding in a KV outage: every call fails the way the runtime reports it (injected: miniflare's KV does not go down). */
const down = () => {
  const fail = (what) => () => Promise.reject(new Error('KV ' + what + ' failed: 503 Service Unavailable'))
  return { getWithMetadata: fail('GET'), put: fail('PUT'), delete: fail('DELETE'), list: fail('LIST') }
}
let runs = 0
export default {
  async fetch(request, env) {
    const { op, key, ttl, value } = await request.json()
    const engine = createCloudflareKvEngine({ namespace: 'app', engineOptions: { kv: op.endsWith('-down') ? down() : env.CACHE } })
    logs.length = 0
    let result
    switch (op) {
      case 'set-rich': await engine.set(key, RICH(), ttl === undefined ? undefined : { ttl }); result = null; break
      case 'set': await engine.set(key, value === 'HUGE' ? 'x'.repeat(26 * 1024 * 1024) : value, ttl === undefined ? undefined : { ttl }); result = null; break
      case 'get': case 'get-down': result = describe(await engine.get(key)); break
      case 'set-down': await engine.set(key, value); result = null; break
      case 'delete-down': result = await engine.delete(key).then(() => 'resolved', (e) => 'rejected: ' + e.message); break
      case 'clear-down': result = await engine.clear().then(() => 'resolved', (e) => 'rejected: ' + e.message); break
      case 'listed': result = (await env.CACHE.list({ prefix: 'twat-cache:app:' })).keys.map((k) => ({ name: k.name, expiration: k.expiration ?? null, metadata: k.metadata ?? null })); break
      case 'wrappers': {
        const fn = async (id) => { runs++; return { id } }
        const a = acache({ namespace: 'wrapped', engineOptions: { kv: env.CACHE } })(fn)
        const u = ucache({ namespace: 'wrapped-u', engineOptions: { kv: env.CACHE } })(fn)
        const before = runs
        await a(1); await a(1)
        result = { acache: a.engine.name, ucache: u.engine.name, runs: runs - before, now: Date.now() }
        break
      }
    }
    await engine.close()
    return Response.json({ result, logs })
  },
}
`

describe('registration (in Node)', () => {
  it('importing the package registers cloudflare-kv, usable only with a KV binding; /engine alone does not register', async () => {
    unregisterEngine('cloudflare-kv')
    await import('@twat-cache/cloudflare/engine')
    expect(getEngine('cloudflare-kv')).toBeUndefined()
    const { cloudflareKvEngineDefinition } = await import('@twat-cache/cloudflare')
    // The module may already be cached by an earlier import: register it the way import does.
    if (!getEngine('cloudflare-kv')) (await import('@twat-cache/core')).registerEngine(cloudflareKvEngineDefinition)
    const definition = getEngine('cloudflare-kv')!
    expect(definition.packageName).toBe('@twat-cache/cloudflare')
    const fakeFree = { getWithMetadata() {}, put() {}, delete() {}, list() {} }
    expect(definition.usable!({ ...createCacheConfig({}), namespace: 'n' })).toBe(false)
    expect(definition.usable!({ ...createCacheConfig({ engineOptions: { kv: fakeFree } }), namespace: 'n' })).toBe(true)
  })

  it('says what to do when the binding is missing or an option cannot be honoured', async () => {
    const { createCloudflareKvEngine } = await import('@twat-cache/cloudflare/engine')
    expect(() => createCloudflareKvEngine({})).toThrow(/engineOptions: \{ kv: env\.CACHE \}/)
    const kv = { getWithMetadata() {}, put() {}, delete() {}, list() {} }
    expect(() => createCloudflareKvEngine({ policy: 'lru', engineOptions: { kv } })).toThrow(ConfigurationError)
    expect(() => createCloudflareKvEngine({ maxBytes: 10, engineOptions: { kv } })).toThrow(/maxBytes/)
  })
})

describe.skipIf(skipWorkerd)('the cloudflare-kv engine in workerd (miniflare)', () => {
  let world: KvWorld
  let mf: Miniflare
  const op = async (body: object) => (await call(mf, '/', body)) as { result: unknown; logs: string[] }

  beforeAll(async () => {
    if (workerdProblem) throw new Error(workerdProblem)
    world = await kvWorld(APP)
    mf = await world.start()
  }, 120_000)
  afterAll(async () => world?.dispose())

  const RICH = { when: 5, tag: true, n: '10', bytes: [1, 2, 255], hasNothing: true }

  it('keeps rich values between requests and between isolates (a second workerd on the same storage)', async () => {
    await op({ op: 'set-rich', key: 'rich' })
    expect((await op({ op: 'get', key: 'rich' })).result).toEqual(RICH)
    await mf.dispose()
    mf = await world.start()
    expect((await op({ op: 'get', key: 'rich' })).result).toEqual(RICH)
  })

  it('expires a short TTL by the metadata on read, and hands KV an expirationTtl of at least 60 s', async () => {
    const started = Date.now()
    await op({ op: 'set', key: 'short', value: 'v', ttl: 200 })
    await op({ op: 'set', key: 'long', value: 'v', ttl: 120_000 })
    expect((await op({ op: 'get', key: 'short' })).result).toBe('v')
    const listed = (await op({ op: 'listed' })).result as { name: string; expiration: number | null; metadata: { e: number } }[]
    const short = listed.find((k) => k.name === 'twat-cache:app:short')!
    const long = listed.find((k) => k.name === 'twat-cache:app:long')!
    // KV's own expiry (epoch seconds): the 60 s minimum for the short one, 120 s for the long one.
    expect(short.expiration! * 1000).toBeGreaterThanOrEqual(started + 59_000)
    expect(long.expiration! * 1000).toBeGreaterThanOrEqual(started + 119_000)
    expect(short.metadata.e).toBeLessThan(started + 60_000)
    await new Promise((resolve) => setTimeout(resolve, 400))
    expect((await op({ op: 'get', key: 'short' })).result).toBe('MISS')
    expect((await op({ op: 'get', key: 'long' })).result).toBe('v')
  })

  it('turns a write KV refuses (a 26 MiB value) into a logged, dropped write', async () => {
    const { result, logs } = await op({ op: 'set', key: 'huge', value: 'HUGE' })
    expect(result).toBeNull()
    expect(logs.some((m) => m.includes('[twat-cache:cloudflare-kv]') && m.includes("write of 'huge' failed"))).toBe(true)
    expect((await op({ op: 'get', key: 'huge' })).result).toBe('MISS')
  })

  it('in a KV outage: get is a logged miss and set a logged, dropped write; delete and clear reject', async () => {
    await op({ op: 'set', key: 'r', value: 1 })
    const read = await op({ op: 'get-down', key: 'r' })
    expect(read.result).toBe('MISS')
    expect(read.logs.some((m) => m.includes("read of 'r' failed") && m.includes('503'))).toBe(true)
    const write = await op({ op: 'set-down', key: 'r', value: 2 })
    expect(write.result).toBeNull()
    expect(write.logs.some((m) => m.includes("write of 'r' failed"))).toBe(true)
    expect((await op({ op: 'delete-down', key: 'r' })).result).toMatch(/^rejected: KV DELETE failed/)
    expect((await op({ op: 'clear-down' })).result).toMatch(/^rejected: KV LIST failed/)
    // The real namespace was never touched by the outage.
    expect((await op({ op: 'get', key: 'r' })).result).toBe(1)
  })

  it('acache and ucache pick cloudflare-kv when a KV binding is passed, and share its entries', async () => {
    const { result } = await op({ op: 'wrappers' })
    expect(result).toMatchObject({ acache: 'cloudflare-kv', ucache: 'cloudflare-kv', runs: 1 })
  })
})
