/**
 * `clear()` at Cloudflare's limit of 1,000 KV operations per Worker invocation, in workerd
 * (miniflare) on a real, persisted KV namespace. workerd does not enforce the limit locally, so
 * the Worker wraps the real binding in a counter that refuses every call past the limit with the
 * runtime's own error text (fault injection around the real backend: every call within the
 * limit reaches miniflare's KV).
 */
import { describe, expect, it } from 'vitest'
import { call, skipWorkerd, useKvWorld } from './workers.js'

const APP = `
import { acache } from '@twat-cache/core'
import { KvClearIncompleteError, createCloudflareKvEngine } from '@twat-cache/cloudflare/engine'
// Named, not bare: the test bundles sources, and sideEffects lists only dist/index.js.
export { cloudflareKvEngineDefinition } from '@twat-cache/cloudflare'

/** The real binding, refusing every call past \`limit\` the way the Workers runtime does. */
function limited(kv, limit) {
  let used = 0
  const counted = (method) => (...args) =>
    ++used > limit ? Promise.reject(new Error('Too many API requests by single worker invocation.')) : kv[method](...args)
  const binding = { get: counted('get'), getWithMetadata: counted('getWithMetadata'), put: counted('put'), delete: counted('delete'), list: counted('list') }
  return { binding, used: () => used }
}
/** Keys under a namespace, counted on the real binding (no limit: this is the test's view). */
async function count(kv, ns) {
  let n = 0
  let cursor
  do {
    const page = await kv.list({ prefix: 'twat-cache:' + ns + ':', ...(cursor ? { cursor } : {}) })
    n += page.keys.length
    cursor = page.list_complete ? undefined : page.cursor
  } while (cursor)
  return n
}
export default {
  async fetch(request, env) {
    const { op, ns, keys, limit } = await request.json()
    let result
    if (op === 'seed') {
      const engine = createCloudflareKvEngine({ namespace: ns, engineOptions: { kv: env.CACHE } })
      await Promise.all(Array.from({ length: keys }, (_, i) => engine.set('k' + i, i)))
      result = await count(env.CACHE, ns)
    } else if (op === 'count') {
      result = await count(env.CACHE, ns)
    } else if (op === 'clear') {
      // What a user calls: cacheClear() of a cached function on the (limited) binding.
      const kv = limited(env.CACHE, limit)
      const cached = acache({ namespace: ns, engineOptions: { kv: kv.binding } })(async (id) => id)
      result = await cached.cacheClear().then(
        () => ({ resolved: true, engine: cached.engine.name }),
        (e) => ({ name: e.name, code: e.code, isClass: e instanceof KvClearIncompleteError, message: e.message, deleted: e.deleted, remaining: e.remaining, unlisted: e.unlisted, cause: String(e.cause) }),
      )
      result.used = kv.used()
    }
    return Response.json({ result })
  },
}
`

/** What a refused clear() reports, read from inside the Worker. */
interface Refused {
  name: string
  code: string
  isClass: boolean
  message: string
  deleted: number
  remaining: number
  unlisted: boolean
  cause: string
  used: number
}

describe.skipIf(skipWorkerd)('cloudflare-kv clear() at the limit of KV operations per Worker invocation', () => {
  const running = useKvWorld(APP)
  const op = async (body: object) => ((await call(running.mf, '/', body)) as { result: unknown }).result

  it('a namespace larger than one invocation allows: clear() rejects saying how many it deleted and what to do; two more calls finish it; other namespaces are untouched', async () => {
    expect(await op({ op: 'seed', ns: 'big', keys: 2_200 })).toBe(2_200)
    expect(await op({ op: 'seed', ns: 'other', keys: 30 })).toBe(30)

    // 1 list (a page of 1,000) + 999 deletes = the 1,000 operations; the 1,000th delete is refused.
    const first = (await op({ op: 'clear', ns: 'big', limit: 1_000 })) as Refused
    expect(first).toMatchObject({ name: 'KvClearIncompleteError', code: 'E_KV_CLEAR_INCOMPLETE', isClass: true, deleted: 999, remaining: 1, unlisted: true })
    expect(first.message).toBe(
      "[twat-cache:cloudflare-kv] clear() deleted 999 key(s) under 'twat-cache:big:', then reached the Worker invocation's limit of KV operations; at least 1 key(s) remain: call cacheClear() again from a later request or a Cron Trigger to go on",
    )
    expect(first.cause).toContain('Too many API requests by single worker invocation')
    // It stops at the first refused batch: at most one batch of calls is wasted past the limit.
    expect(first.used).toBeLessThanOrEqual(1_000 + 50)
    expect(await op({ op: 'count', ns: 'big' })).toBe(2_200 - 999)

    const second = (await op({ op: 'clear', ns: 'big', limit: 1_000 })) as Refused
    expect(second).toMatchObject({ name: 'KvClearIncompleteError', deleted: 999, remaining: 1, unlisted: true })
    expect(await op({ op: 'count', ns: 'big' })).toBe(2_200 - 2 * 999)

    // 202 left: one list and 202 deletes fit.
    expect(await op({ op: 'clear', ns: 'big', limit: 1_000 })).toEqual({ resolved: true, engine: 'cloudflare-kv', used: 203 })
    expect(await op({ op: 'count', ns: 'big' })).toBe(0)
    expect(await op({ op: 'count', ns: 'other' })).toBe(30)
  }, 120_000)

  it('a namespace under the limit clears in one call', async () => {
    expect(await op({ op: 'seed', ns: 'small', keys: 300 })).toBe(300)
    expect(await op({ op: 'clear', ns: 'small', limit: 1_000 })).toEqual({ resolved: true, engine: 'cloudflare-kv', used: 301 })
    expect(await op({ op: 'count', ns: 'small' })).toBe(0)
    expect(await op({ op: 'count', ns: 'other' })).toBe(30)
  }, 60_000)

  it('an invocation with no operations left: clear() deletes nothing and says the keys remain', async () => {
    expect(await op({ op: 'seed', ns: 'spent', keys: 5 })).toBe(5)
    const refused = (await op({ op: 'clear', ns: 'spent', limit: 0 })) as Refused
    expect(refused).toMatchObject({ name: 'KvClearIncompleteError', deleted: 0, remaining: 0, unlisted: true })
    expect(refused.message).toContain('deleted 0 key(s)')
    expect(refused.message).toContain('; keys not listed yet remain: call cacheClear() again')
    expect(await op({ op: 'count', ns: 'spent' })).toBe(5)
  })
})
