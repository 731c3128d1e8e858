/**
 * The cloudflare-kv engine in workerd (through miniflare) on a real, persisted KV namespace:
 * values across requests and across isolates (a second workerd on the same storage), TTL below
 * and above KV's 60 s minimum, failing KV operations, and the wrappers' choice.
 */
import { ConfigurationError, acache, createCacheConfig, getEngine, registerEngine, unregisterEngine } from '@twat-cache/core'
import { describe, expect, it } from 'vitest'
import { call, skipWorkerd, useKvWorld } from './workers.js'

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
/** A binding whose every method throws synchronously (a broken polyfill, a misconfigured proxy). */
const broken = () => {
  const fail = (what) => () => { throw new TypeError(what + ' is broken') }
  return { getWithMetadata: fail('getWithMetadata'), put: fail('put'), delete: fail('delete'), list: fail('list') }
}
// The clock: a request's \`at\` (epoch ms) stops it there for that request, so TTL cases set the
// time instead of sleeping (workerd's Date.now is a plain, writable property).
const realNow = Date.now
let frozen
Date.now = () => frozen ?? realNow()
const unhandled = []
addEventListener('unhandledrejection', (event) => { unhandled.push(String(event.reason)); event.preventDefault() })
let runs = 0
export default {
  async fetch(request, env) {
    const { op, key, ttl, value, ns, at } = await request.json()
    frozen = at
    const engine = createCloudflareKvEngine({ namespace: ns ?? 'app', engineOptions: { kv: op.endsWith('-down') ? down() : env.CACHE } })
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
      case 'keys': result = (await Array.fromAsync(engine.keys())).sort(); break
      case 'clear': await engine.clear(); result = null; break
      case 'wrappers-down': {
        // Two calls through acache on a binding that rejects, then one that throws synchronously.
        const fn = async (id) => { runs++; return { id } }
        const before = runs
        const values = []
        for (const kv of [down(), broken()]) {
          const cached = acache({ namespace: 'wrapped-down', engineOptions: { kv } })(fn)
          values.push(cached.engine.name, await cached(1), await cached(1))
        }
        // Unhandled rejections are reported after the microtask queue drains: give them a turn.
        await new Promise((resolve) => setTimeout(resolve, 20))
        result = { values, runs: runs - before, unhandled: unhandled.splice(0) }
        break
      }
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
    // The usual slips: the binding's name instead of the binding, the whole env, a typo'd option.
    expect(() => createCloudflareKvEngine({ engineOptions: { kv: 'CACHE' } })).toThrow(/engineOptions\.kv: a Workers KV binding \(pass engineOptions: \{ kv: env\.CACHE \}.*got "CACHE"/)
    expect(() => createCloudflareKvEngine({ engineOptions: { kv: { CACHE: {} } } })).toThrow(ConfigurationError)
    expect(() => createCloudflareKvEngine({ engineOptions: { binding: {} } })).toThrow(/unknown option 'engineOptions\.binding'.*accepts kv, prefix/s)
    const { cloudflareKvEngineDefinition } = await import('@twat-cache/cloudflare')
    registerEngine(cloudflareKvEngineDefinition, { replace: true })
    expect(() => acache({ engine: 'cloudflare-kv' })(async () => 1)).toThrow(/engineOptions: \{ kv: env\.CACHE \}/)
    const kv = { getWithMetadata() {}, put() {}, delete() {}, list() {} }
    expect(() => createCloudflareKvEngine({ policy: 'lru', engineOptions: { kv } })).toThrow(ConfigurationError)
    expect(() => createCloudflareKvEngine({ maxBytes: 10, engineOptions: { kv } })).toThrow(/maxBytes/)
  })
})

describe.skipIf(skipWorkerd)('the cloudflare-kv engine in workerd (miniflare)', () => {
  const running = useKvWorld(APP)
  const op = async (body: object) => (await call(running.mf, '/', body)) as { result: unknown; logs: string[] }

  const RICH = { when: 5, tag: true, n: '10', bytes: [1, 2, 255], hasNothing: true }

  it('keeps rich values between requests and between isolates (a second workerd on the same storage)', async () => {
    await op({ op: 'set-rich', key: 'rich' })
    expect((await op({ op: 'get', key: 'rich' })).result).toEqual(RICH)
    await running.mf.dispose()
    running.mf = await running.world.start()
    expect((await op({ op: 'get', key: 'rich' })).result).toEqual(RICH)
  })

  it('expires a 5 s TTL by the expiry kept in metadata (a set clock), and hands KV an expirationTtl of at least 60 s', async () => {
    const t = Date.now()
    await op({ op: 'set', key: 'short', value: 'v', ttl: 5_000, at: t })
    await op({ op: 'set', key: 'long', value: 'v', ttl: 120_000, at: t })
    const listed = (await op({ op: 'listed' })).result as { name: string; expiration: number | null; metadata: { e: number } }[]
    const short = listed.find((k) => k.name === 'twat-cache:app:short')!
    const long = listed.find((k) => k.name === 'twat-cache:app:long')!
    // KV's own expiry (epoch seconds, from miniflare's real clock): its 60 s minimum for the
    // short one, 120 s for the long one; the exact 5 s expiry travels in the metadata.
    expect(short.expiration! * 1000).toBeGreaterThanOrEqual(t + 59_000)
    expect(long.expiration! * 1000).toBeGreaterThanOrEqual(t + 119_000)
    expect(short.metadata.e).toBe(t + 5_000)
    expect((await op({ op: 'get', key: 'short', at: t + 4_999 })).result).toBe('v')
    expect((await op({ op: 'get', key: 'short', at: t + 5_000 })).result).toBe('MISS')
    const keys = (await op({ op: 'keys', at: t + 5_000 })).result as string[]
    expect([keys.includes('short'), keys.includes('long')]).toEqual([false, true])
    expect((await op({ op: 'get', key: 'long', at: t + 119_999 })).result).toBe('v')
    expect((await op({ op: 'get', key: 'long', at: t + 120_000 })).result).toBe('MISS')
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

  it('a binding that rejects or throws makes acache calls logged misses: values served, nothing unhandled', async () => {
    const { result, logs } = await op({ op: 'wrappers-down' })
    const item = { id: 1 }
    expect(result).toEqual({ values: ['cloudflare-kv', item, item, 'cloudflare-kv', item, item], runs: 4, unhandled: [] })
    expect(logs.filter((m) => m.includes("read of '") && m.includes('failed, treated as a miss'))).toHaveLength(4)
    expect(logs.some((m) => m.includes('getWithMetadata is broken'))).toBe(true)
    expect(logs.filter((m) => m.includes("write of '") && m.includes('was not cached'))).toHaveLength(4)
  })

  it('keeps namespaces apart even when one name extends another with a colon', async () => {
    await op({ op: 'set', ns: 'api', key: 'users:1', value: 'api' })
    await op({ op: 'set', ns: 'api:users', key: '1', value: 'api:users' })
    expect((await op({ op: 'get', ns: 'api', key: 'users:1' })).result).toBe('api')
    expect((await op({ op: 'get', ns: 'api:users', key: '1' })).result).toBe('api:users')
    expect((await op({ op: 'keys', ns: 'api' })).result).toEqual(['users:1'])
    await op({ op: 'clear', ns: 'api' })
    expect((await op({ op: 'get', ns: 'api', key: 'users:1' })).result).toBe('MISS')
    expect((await op({ op: 'get', ns: 'api:users', key: '1' })).result).toBe('api:users')
  })

  it('acache and ucache pick cloudflare-kv when a KV binding is passed, and share its entries', async () => {
    const { result } = await op({ op: 'wrappers' })
    expect(result).toMatchObject({ acache: 'cloudflare-kv', ucache: 'cloudflare-kv', runs: 1 })
  })
})
