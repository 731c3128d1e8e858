import type { Engine, Policy } from '@twat-cache/core'
import { expect, it } from 'vitest'
import { type Harness, MISS } from '../harness.js'

const MAXSIZE = 3

/** Each scenario fills a cache of 3, reads some entries, inserts more, and says who must be gone. */
const SCENARIOS: Record<Policy, string> = {
  lru: 'evicts the least recently read entry',
  fifo: 'evicts the first inserted entry, whatever was read',
  lfu: 'evicts the least frequently read entry',
  rr: 'keeps at most maxsize entries, including the newest',
}

async function present(engine: Engine, keys: string[]): Promise<string[]> {
  const found: string[] = []
  for (const k of keys) if ((await engine.get(k)) !== MISS) found.push(k)
  return found
}

export function evictionCases(h: Harness): void {
  it.for(Object.entries(SCENARIOS) as [Policy, string][])('%s %s', async ([policy], ctx) => {
    const caps = await h.capabilities()
    ctx.skip(!caps.policies.includes(policy), `engine does not declare policy '${policy}'`)
    // rr's scenario reads nothing before it evicts; the others hinge on what reads did.
    ctx.skip(
      caps.l1 === true && policy !== 'rr',
      'capabilities.l1: reads served from the memory tier never reach the store, and the tier evicts least-recently-used on its own, so which entry goes after reads is not the policy alone',
    )
    const engine = await h.make({ maxsize: MAXSIZE, policy })
    const [a, b, c, d, e] = ['a', 'b', 'c', 'd', 'e'].map((n) => h.key(n)) as [string, string, string, string, string]
    for (const k of [a, b, c]) await engine.set(k, k)
    switch (policy) {
      case 'lru': {
        await engine.get(a)
        await engine.set(d, d)
        expect(await engine.get(b)).toBe(MISS)
        await engine.get(c)
        await engine.set(e, e)
        // Recency (oldest first) is now a, d, c: a goes next.
        expect(await present(engine, [a, c, d, e])).toEqual([c, d, e])
        break
      }
      case 'fifo': {
        for (let i = 0; i < 3; i++) await engine.get(a)
        await engine.set(d, d)
        expect(await engine.get(a)).toBe(MISS)
        await engine.set(e, e)
        expect(await present(engine, [b, c, d, e])).toEqual([c, d, e])
        break
      }
      case 'lfu': {
        await engine.get(a)
        await engine.get(a)
        await engine.get(c)
        await engine.set(d, d)
        expect(await engine.get(b)).toBe(MISS)
        await engine.set(e, e)
        // d (never read) is now the least frequently used.
        expect(await engine.get(d)).toBe(MISS)
        expect(await present(engine, [a, c, e])).toEqual([a, c, e])
        break
      }
      case 'rr': {
        const keys = Array.from({ length: MAXSIZE * 4 }, (_, i) => h.key(`r${i}`))
        for (const k of keys) await engine.set(k, k)
        const kept = await present(engine, keys)
        expect(kept.length).toBeGreaterThan(0)
        expect(kept.length).toBeLessThanOrEqual(MAXSIZE)
        expect(kept).toContain(keys.at(-1))
        break
      }
    }
    if (engine.size) expect(await engine.size()).toBeLessThanOrEqual(MAXSIZE)
  })

  it('maxsize bounds the entry count under the first declared policy', async (ctx) => {
    const caps = await h.capabilities()
    ctx.skip(caps.policies.length === 0, 'engine declares no eviction policy')
    const engine = await h.make({ maxsize: 5, policy: caps.policies[0]! })
    const keys = Array.from({ length: 20 }, (_, i) => h.key(i))
    for (const k of keys) await engine.set(k, k)
    const kept = await present(engine, keys)
    expect(kept.length).toBeLessThanOrEqual(5)
    expect(kept).toContain(keys.at(-1))
    if (engine.size) expect(await engine.size()).toBeLessThanOrEqual(5)
  })

  it('overwriting a key does not evict anything', async () => {
    const engine = await h.make({ maxsize: MAXSIZE })
    const keys = [h.key('x'), h.key('y'), h.key('z')]
    for (const k of keys) await engine.set(k, 1)
    for (const k of keys) await engine.set(k, 2)
    for (const k of keys) expect(await engine.get(k)).toBe(2)
  })
}
