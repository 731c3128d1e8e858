/**
 * The idb engine in real headless Chromium: persistence across reloads and browser restarts,
 * sharing between pages of one origin, TTL, eviction, a full quota, and the wrappers' choice.
 */
import type { Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { skipUnless } from '../../../apps/runtimes/test/helpers/runtime.js'
import { type BrowserApp, chromiumProblem, skipBrowser, smallDisk, startBrowserApp } from './browser.js'

const APP = `
// A named import: the test bundles sources, and package.json's sideEffects lists only dist/index.js,
// so a bare import of src/index.ts would be dropped (a user's bundle of dist keeps it).
export { idbEngineDefinition } from '@twat-cache/idb'
import { MISS, acache, setLogger, ucache } from '@twat-cache/core'
import { createIdbEngine } from '@twat-cache/idb/engine'
export const logs = []
setLogger({ debug() {}, info() {}, warn: (m) => logs.push(m), error: (m) => logs.push(m) })
const show = (v) => (v === MISS ? 'MISS' : v)
/** One engine per call, closed after it: every call starts from what IndexedDB holds. */
export async function run(config, op, ...args) {
  const engine = createIdbEngine({ namespace: 'test', ...config })
  try {
    return op === 'keys' ? (await Array.fromAsync(engine.keys())).sort() : show(await engine[op](...args))
  } finally {
    await engine.close()
  }
}
/** Rows of a namespace as stored, expired ones included: what lazy pruning has not removed yet. */
export function storedRows(ns) {
  return new Promise((resolve, reject) => {
    const open = indexedDB.open('twat-cache')
    open.onerror = () => reject(open.error)
    open.onsuccess = () => {
      const db = open.result
      const request = db.transaction('entries').objectStore('entries').count(IDBKeyRange.bound([ns], [ns, []]))
      request.onsuccess = () => { db.close(); resolve(request.result) }
      request.onerror = () => reject(request.error)
    }
  })
}
/** \`n\` rows in one engine (one page call, not n round trips from the test). */
export async function fill(config, n, ttl) {
  const engine = createIdbEngine({ namespace: 'test', ...config })
  for (let i = 0; i < n; i++) await engine.set('row' + i, i, ttl === undefined ? undefined : { ttl })
  await engine.close()
}
/** One engine kept open for the life of the page, as a cached function keeps its engine. */
export const kept = createIdbEngine({ namespace: 'kept' })
export const settle = (promise) => promise.then((v) => (v === MISS ? 'MISS' : v), (e) => 'rejected: ' + e.name)
let runs = 0
export const fetchUser = acache({ namespace: 'users' })(async (id) => { runs++; return { id, at: runs } })
export const fetchUserU = ucache({ namespace: 'users-u' })(async (id) => { runs++; return { id } })
export const runCount = () => runs
/** Incompressible bytes (getRandomValues fills at most 64 KiB per call). */
export function randomBytes(n) {
  const out = new Uint8Array(n)
  for (let i = 0; i < n; i += 65536) crypto.getRandomValues(out.subarray(i, i + 65536))
  return out
}
export async function afterClose() {
  const engine = createIdbEngine({ namespace: 'closed' })
  await engine.set('k', 1)
  await engine.close()
  await engine.close()
  const codes = []
  const ops = [() => engine.get('k'), () => engine.set('k', 2), () => engine.delete('k'), () => engine.clear(), () => engine.has('k'), () => engine.size(), () => Array.fromAsync(engine.keys())]
  for (const op of ops) {
    try { await op(); codes.push('resolved') } catch (error) { codes.push(error.code) }
  }
  return codes
}
`

let app: BrowserApp | undefined
const run = (page: Page, config: object, op: string, ...args: unknown[]) =>
  page.evaluate(([c, o, a]) => (window as never as { app: { run: (...x: unknown[]) => Promise<unknown> } }).app.run(c, o, ...(a as unknown[])), [config, op, args] as const)
/** Stop the page's clock at \`time\` (timers keep running). The clock is the whole context's: afterEach lets it run again. */
let clockSet = false
const setClock = (page: Page, time: number) => {
  clockSet = true
  return page.clock.setFixedTime(time)
}
const call = (page: Page, expression: string) => page.evaluate(`(async () => { const app = window.app; return ${expression} })()`)

describe.skipIf(skipBrowser)('the idb engine in headless Chromium', () => {
  beforeAll(async () => {
    if (chromiumProblem) throw new Error(chromiumProblem)
    app = await startBrowserApp(APP)
  }, 120_000)
  afterAll(async () => app?.close())
  afterEach(async () => {
    if (clockSet) await app!.context.clock.setSystemTime(Date.now())
    clockSet = false
  })

  it('keeps values across a page reload and a browser restart', async () => {
    let page = await app!.open()
    // Built in the page: playwright's argument transfer would turn the Set and the BigInt into plain data.
    await call(page, `app.run({}, 'set', 'survivor', { when: new Date(0), tags: new Set(['a']), n: 10n })`)
    await page.reload()
    await page.waitForFunction('window.ready === true')
    expect(await call(page, `app.run({}, 'get', 'survivor').then((v) => [v.when instanceof Date, v.tags.has('a'), v.n === 10n])`)).toEqual([true, true, true])
    await app!.restart()
    page = await app!.open()
    expect(await call(page, `app.run({}, 'get', 'survivor').then((v) => v.when.getTime())`)).toBe(0)
  })

  it('shares entries between two pages of one origin', async () => {
    const [a, b] = [await app!.open(), await app!.open()]
    await run(a, { namespace: 'shared' }, 'set', 'k', 'from page a')
    expect(await run(b, { namespace: 'shared' }, 'get', 'k')).toBe('from page a')
    await run(b, { namespace: 'shared' }, 'delete', 'k')
    expect(await run(a, { namespace: 'shared' }, 'get', 'k')).toBe('MISS')
    await Promise.all([a.close(), b.close()])
  })

  it('expires entries by their envelope and prunes expired rows in batches on later writes', async () => {
    const page = await app!.open()
    const ns = { namespace: 'ttl' }
    // A set clock, not a sleep: under load six round trips can outlast a short real TTL.
    const t = Date.now()
    await setClock(page, t)
    for (let i = 0; i < 5; i++) await run(page, ns, 'set', `short${i}`, i, { ttl: 150 })
    await run(page, ns, 'set', 'long', 'stays')
    await setClock(page, t + 149)
    expect(await run(page, ns, 'get', 'short0')).toBe(0)
    await setClock(page, t + 150)
    expect(await run(page, ns, 'get', 'short1')).toBe('MISS')
    expect(await run(page, ns, 'keys')).toEqual(['long'])
    expect(await run(page, ns, 'size')).toBe(1)
    // Reads leave expired rows (fifo reads never write); the next write removes them.
    expect(await call(page, `app.storedRows('ttl')`)).toBe(5)
    await run(page, { ...ns, policy: 'fifo' }, 'set', 'trigger', 1)
    expect(await call(page, `app.storedRows('ttl')`)).toBe(2)
  })

  it('prunes at most one batch (PRUNE_BATCH = 64) of expired rows per write', async () => {
    const page = await app!.open()
    const t = Date.now()
    // Date.now in the page is set, timers keep running (IndexedDB's callbacks need them).
    await setClock(page, t)
    await call(page, `app.fill({ namespace: 'batch' }, 70, 1_000)`)
    await call(page, `app.fill({ namespace: 'batch' }, 1)`)
    expect(await call(page, `app.storedRows('batch')`)).toBe(70)
    await setClock(page, t + 1_000)
    await run(page, { namespace: 'batch' }, 'set', 'w1', 1)
    expect(await call(page, `app.storedRows('batch')`)).toBe(70 + 1 - 64)
    await run(page, { namespace: 'batch' }, 'set', 'w2', 1)
    expect(await call(page, `app.storedRows('batch')`)).toBe(3)
    expect(await run(page, { namespace: 'batch' }, 'keys')).toEqual(['row0', 'w1', 'w2'])
  })

  it('recovers when the browser closes its connection (site data cleared, e.g. a Clear-Site-Data response)', async () => {
    const page = await app!.open()
    expect(await call(page, `app.settle(app.kept.set('a', 1).then(() => app.kept.get('a')))`)).toBe(1)
    const cdp = await app!.context.newCDPSession(page)
    await cdp.send('Storage.clearDataForOrigin', { origin: app!.server.origin, storageTypes: 'indexeddb' })
    await cdp.detach()
    expect(await call(page, `app.settle(app.kept.get('a'))`)).toBe('MISS')
    expect(await call(page, `app.settle(app.kept.set('b', 2).then(() => app.kept.get('b')))`)).toBe(2)
  })

  it('bounds each namespace by maxsize, least recently used first', async () => {
    const page = await app!.open()
    const cfg = { namespace: 'bounded', maxsize: 3 }
    for (const k of ['a', 'b', 'c']) await run(page, cfg, 'set', k, k)
    await run(page, cfg, 'get', 'a')
    await run(page, cfg, 'set', 'd', 'd')
    expect(await run(page, cfg, 'keys')).toEqual(['a', 'c', 'd'])
    expect(await call(page, `app.storedRows('bounded')`)).toBe(3)
  })

  it('acache and ucache pick idb in a page once it is imported, and their entries survive a reload', async () => {
    const page = await app!.open()
    expect(await call(page, 'app.fetchUser.engine.name')).toBe('idb')
    expect(await call(page, 'app.fetchUserU.engine.name')).toBe('idb')
    const first = await call(page, 'app.fetchUser(7)')
    await page.reload()
    await page.waitForFunction('window.ready === true')
    expect(await call(page, 'app.fetchUser(7)')).toEqual(first)
    expect(await call(page, 'app.runCount()')).toBe(0)
  })

  it('rejects every operation after close() with EngineClosedError; a second close is a no-op', async () => {
    const page = await app!.open()
    expect(await call(page, 'app.afterClose()')).toEqual(Array(7).fill('E_ENGINE_CLOSED'))
  })
})

const disk = skipBrowser ? undefined : smallDisk()
const skipQuota = skipBrowser || skipUnless(disk?.problem, 'idb quota')

describe.skipIf(skipQuota)('the idb engine at a full storage quota (Chromium on a 48 MiB disk)', () => {
  let small: BrowserApp | undefined
  beforeAll(async () => {
    if (disk?.problem) throw new Error(disk.problem)
    small = await startBrowserApp(APP, disk!.dir)
  }, 120_000)
  afterAll(async () => {
    await small?.close()
    disk?.unmount()
  })

  it('turns QuotaExceededError into a logged miss plus eviction, and the page keeps working', async () => {
    const page = await small!.open()
    const cfg = { namespace: 'quota' }
    for (let i = 0; i < 8; i++) await run(page, cfg, 'set', `small${i}`, 'x'.repeat(1000))
    // Chromium's quota has a floor of about 1 GiB, so this write fails on the disk, not the quota
    // arithmetic; Chromium reports both as QuotaExceededError. Random bytes: Chromium compresses
    // IndexedDB values, so a repeated string would fit.
    const size = 64 * 1024 * 1024
    expect(await call(page, `app.run({ namespace: 'quota' }, 'set', 'big', app.randomBytes(${size}))`)).toBeUndefined()
    expect(await run(page, cfg, 'get', 'big')).toBe('MISS')
    const logs = (await call(page, 'app.logs')) as string[]
    expect(logs.some((m) => m.includes('[twat-cache:idb]') && m.includes('quota'))).toBe(true)
    // Eviction made room: a quarter of the namespace (2 of 8 rows) is gone, the rest still reads.
    expect(await call(page, `app.storedRows('quota')`)).toBe(6)
    expect(await run(page, cfg, 'get', 'small7')).toBe('x'.repeat(1000))
  })
})
