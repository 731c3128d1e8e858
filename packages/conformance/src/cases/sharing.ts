import type { Engine } from '@twat-cache/core'
import { expect, it } from 'vitest'
import { type Harness, MISS, collectKeys, randomId } from '../harness.js'

/** Run `ops` so an async engine sees them interleaved (all in flight at once). */
function all<T>(ops: (T | Promise<T>)[]): Promise<T[]> {
  return Promise.all(ops)
}

export function sharingCases(h: Harness): void {
  it('clear() only clears its own namespace', async () => {
    const other = `${h.namespace}-other`
    const a = await h.make()
    const b = await h.make({ namespace: other })
    const k = h.key('same')
    await a.set(k, 'a')
    await b.set(k, 'b')
    await a.set(h.key('only-a'), 1)
    expect(await a.get(k)).toBe('a')
    expect(await b.get(k)).toBe('b')
    await a.clear()
    expect(await a.get(k)).toBe(MISS)
    expect(await a.get(h.key('only-a'))).toBe(MISS)
    expect(await b.get(k)).toBe('b')
    if (await h.sharedStore()) {
      // A third engine on the same store proves clear() did not wipe it underneath b's view.
      const c = await h.make({ namespace: other })
      expect(await c.get(k)).toBe('b')
      expect(await c.get(h.key('only-a'))).toBe(MISS)
    }
  })

  it('namespaces do not see each other', async () => {
    const a = await h.make()
    const b = await h.make({ namespace: `${h.namespace}-b` })
    await a.set(h.key('mine'), 1)
    expect(await b.get(h.key('mine'))).toBe(MISS)
    if (b.keys) expect(await collectKeys(b)).toEqual([])
    if (b.size) expect(await b.size()).toBe(0)
  })

  it('two engines on the same store and namespace share entries', async (ctx) => {
    ctx.skip(!(await h.sharedStore()), 'engine instances do not share a store')
    const a = await h.make()
    const b = await h.make()
    await a.set(h.key('from-a'), { n: 1 })
    expect(await b.get(h.key('from-a'))).toEqual({ n: 1 })
  })

  it('entries survive close() and reopen', async (ctx) => {
    const caps = await h.capabilities()
    ctx.skip(!caps.persistent, 'engine is not persistent')
    const a = await h.make()
    await a.set(h.key('kept'), new Map([['v', 1]]))
    await h.close(a)
    const b = await h.make()
    expect(await b.get(h.key('kept'))).toEqual(new Map([['v', 1]]))
  })

  it('interleaved sets and gets on one engine never return a value of another key', async () => {
    const engine = await h.make()
    const keys = Array.from({ length: 10 }, (_, i) => h.key(`c${i}`))
    const written = new Map(keys.map((k) => [k, new Set<unknown>()]))
    const reads: [string, Promise<unknown> | unknown][] = []
    const writes: (Promise<void> | void)[] = []
    for (let i = 0; i < 200; i++) {
      const k = keys[i % keys.length]!
      const value = `${k}#${i}`
      written.get(k)!.add(value)
      writes.push(engine.set(k, value))
      const other = keys[(i * 7) % keys.length]!
      reads.push([other, engine.get(other)])
    }
    await all(writes)
    for (const [k, pending] of reads) {
      const got = await pending
      if (got !== MISS) expect(written.get(k)!.has(got), `${k} read ${String(got)}`).toBe(true)
    }
    for (const k of keys) expect(written.get(k)!.has(await engine.get(k))).toBe(true)
  })

  it('two engines on the same namespace writing different keys do not corrupt each other', async () => {
    const shared = await h.sharedStore()
    const a = await h.make()
    const b = await h.make()
    const id = randomId()
    const value = (who: string, i: number) => ({ who, i, id, pad: who.repeat(64) })
    const ops: (Promise<void> | void)[] = []
    for (let i = 0; i < 40; i++) {
      ops.push(a.set(h.key(`a${i}`), value('a', i)))
      ops.push(b.set(h.key(`b${i}`), value('b', i)))
    }
    await all(ops)
    const check = async (engine: Engine, own: string) => {
      for (let i = 0; i < 40; i++) {
        for (const who of ['a', 'b']) {
          const got = await engine.get(h.key(`${who}${i}`))
          if (who === own) expect(got).toEqual(value(who, i))
          else if (got !== MISS) expect(got).toEqual(value(who, i))
        }
      }
    }
    await check(a, 'a')
    await check(b, 'b')
    if (shared) {
      // Whatever each instance kept, the store itself must still be readable and consistent.
      await h.close(a)
      await h.close(b)
      await check(await h.make(), '')
    }
  })
}
