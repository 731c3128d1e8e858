/**
 * l1 and lock on SQLite across real processes of one host (children driven over stdin).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { MISS, VERSION_CHECK_MS, bcache, createTieredEngine, ucache } from '@twat-cache/core'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { Child, bundleTierChild, stampedeCases } from '../../redis/test/fixtures/driver.js'
import { createSqliteEngine } from '../src/engine.js'
import '../src/index.js'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
let bundle: string
let cacheDir: string
const children: Child[] = []
const spawnChild = (namespace: string, lock: unknown, onRun?: (c: Child) => void) => {
  const child = new Child(bundle, [cacheDir, namespace, JSON.stringify(lock)], onRun)
  children.push(child)
  return child
}
beforeAll(async () => {
  cacheDir = mkdtempSync(join(tmpdir(), 'twat-sqlite-tiers-'))
  bundle = await bundleTierChild(join(import.meta.dirname, 'fixtures/tier-child.ts'))
})
afterEach(async () => {
  await Promise.all(children.splice(0).map((c) => c.stop()))
})
afterAll(() => {
  rmSync(cacheDir, { recursive: true, force: true })
})

describe('l1 on sqlite, two processes', () => {
  it('an entry another process changed is not served from L1 past VERSION_CHECK_MS', async () => {
    const a = createSqliteEngine({ cacheDir, folderName: 'tiers', namespace: 'coh' })
    const b = spawnChild('coh', true)
    try {
      a.set('k', 'v1')
      expect(await b.value({ op: 'get', key: 'k' })).toBe('v1')
      expect(await b.value({ op: 'inL1', key: 'k' })).toBe(true)
      a.set('k', 'v2')
      await sleep(VERSION_CHECK_MS + 5)
      expect(await b.value({ op: 'get', key: 'k' })).toBe('v2')
      a.delete('k')
      await sleep(VERSION_CHECK_MS + 5)
      expect(await b.value({ op: 'get', key: 'k' })).toBeNull()
    } finally {
      a.close()
    }
  })
})

describe('lock on sqlite', () => {
  stampedeCases(spawnChild)
})

describe('l1 and lock on sqlite, in one process', () => {
  it('hits come from memory, L2 hits are promoted for no longer than L2 keeps them, delete and clear reach both tiers', () => {
    const engine = createTieredEngine(createSqliteEngine({ cacheDir, folderName: 'local', namespace: 'promote' }), { maxsize: 10 })
    const other = createSqliteEngine({ cacheDir, folderName: 'local', namespace: 'promote' })
    try {
      other.set('k', 'v', { ttl: 60_000 })
      expect(engine.get('k')).toBe('v')
      expect(engine.l1.has('k')).toBe(true)
      engine.set('w', 1)
      expect(engine.l1.has('w')).toBe(true)
      expect(other.get('w')).toBe(1)
      engine.delete('k')
      expect(engine.l1.has('k')).toBe(false)
      expect(other.get('k')).toBe(MISS)
      engine.clear()
      expect(engine.l1.has('w')).toBe(false)
      expect(other.get('w')).toBe(MISS)
    } finally {
      engine.close()
      other.close()
    }
  })

  it('a promoted entry leaves L1 when the stored one expires', async () => {
    const engine = createTieredEngine(createSqliteEngine({ cacheDir, folderName: 'local', namespace: 'expire' }), { maxsize: 10 })
    try {
      engine.set('k', 'v', { ttl: 60 })
      engine.l1.clear()
      expect(engine.get('k')).toBe('v')
      expect(engine.l1.has('k')).toBe(true)
      await sleep(80)
      expect(engine.l1.has('k')).toBe(false)
      expect(engine.get('k')).toBe(MISS)
    } finally {
      engine.close()
    }
  })

  it('a failed run gives the lease back at once: the next caller computes without waiting', async () => {
    let calls = 0
    const f = ucache({ engine: 'sqlite', cacheDir, folderName: 'local', namespace: 'fail', lock: { ttl: 60_000, wait: 60_000 } })(async () => {
      calls++
      if (calls === 1) throw new Error('first run fails')
      return 'second'
    })
    await expect(f()).rejects.toThrow('first run fails')
    const started = Date.now()
    expect(await f()).toBe('second')
    expect(Date.now() - started).toBeLessThan(5000)
    await f.engine.close()
  })

  it('cachePeek takes no lease, and a run whose value is not stored gives its lease back', async () => {
    const options = { engine: 'sqlite', cacheDir, folderName: 'local', namespace: 'unstored', lock: { ttl: 60_000, wait: 8000 } } as const
    // A ttl function answering 0 means "do not store": the run ends without a write.
    const unstored = ucache({ ...options, ttl: () => 0 })(async (n: number) => n)
    const other = ucache(options)(async (n: number) => n * 10)
    expect(await unstored.cachePeek(1)).toBeUndefined()
    expect(await unstored(2)).toBe(2)
    // Were a lease left behind, these would wait 8 s for a value that never lands.
    const started = Date.now()
    expect(await other(1)).toBe(10)
    expect(await other(2)).toBe(20)
    expect(Date.now() - started).toBeLessThan(5000)
    await unstored.engine.close()
    await other.engine.close()
  })

  it.each([
    ['bcache', bcache],
    ['ucache', ucache],
  ])('%s with lock and hardTimeout: an L1 hit is answered from memory without a read of the tiered engine or a lease', async (name, wrapper) => {
    const options = { engine: 'sqlite', cacheDir, folderName: 'local', namespace: `inline-${name}`, l1: true, lock: { ttl: 60_000, wait: 8000 }, hardTimeout: 5000 } as const
    const f = wrapper(options)(async (n: number) => n * 2)
    const tiered = f.engine as ReturnType<typeof createTieredEngine>
    expect(await f(21)).toBe(42)
    expect(tiered.l1.has('21')).toBe(true)
    // Count what the call path asks of the tiered engine and of the SQLite lease from here on.
    let reads = 0
    let leases = 0
    const get = tiered.get.bind(tiered)
    tiered.get = (key: string) => (reads++, get(key))
    const l2 = tiered.l2 as { acquire?: (...args: never[]) => unknown }
    const acquire = l2.acquire?.bind(l2)
    if (acquire) l2.acquire = (...args: never[]) => (leases++, acquire(...args))
    for (let i = 0; i < 5; i++) expect(await f(21)).toBe(42)
    expect({ reads, leases, hits: f.cacheInfo().hits }).toEqual({ reads: 0, leases: 0, hits: 5 })
    await f.engine.close()
  })

  it('lock on a sync function is a ConfigurationError', () => {
    expect(() => bcache({ engine: 'sqlite', cacheDir, lock: true })((n: number) => n)).toThrow(/lock: .* is a sync function.*make it async/)
  })
})
