import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { createMemoryEngine } from '../src/memory/engine.js'
import { MISS, type Policy } from '../src/types.js'

/**
 * Model-based check of the O(1) policies against an obviously-correct O(n) reference: after
 * every random operation, the engine and the model agree on what `get` returns and on which
 * keys are stored.
 */
type Op = { op: 'set'; key: string; value: number } | { op: 'get' | 'delete' | 'has'; key: string }

class Model {
  #entries = new Map<string, { value: number; freq: number; stamp: number }>()
  #tick = 0
  constructor(
    readonly policy: Exclude<Policy, 'rr'>,
    readonly maxsize: number,
  ) {}

  set(key: string, value: number): void {
    const stamp = ++this.#tick
    const entry = this.#entries.get(key)
    if (entry) {
      Object.assign(entry, { value, freq: entry.freq + 1, stamp })
      return
    }
    if (this.#entries.size >= this.maxsize) this.#entries.delete(this.#victim())
    this.#entries.set(key, { value, freq: 1, stamp })
  }

  get(key: string): unknown {
    const entry = this.#entries.get(key)
    if (!entry) return MISS
    entry.freq++
    // FIFO ignores reads; LRU and LFU record when the entry was last used (LFU: reached its count).
    if (this.policy !== 'fifo') entry.stamp = ++this.#tick
    return entry.value
  }

  delete(key: string): boolean {
    return this.#entries.delete(key)
  }

  keys(): string[] {
    return [...this.#entries.keys()].sort()
  }

  #victim(): string {
    let best: [string, { freq: number; stamp: number }] | undefined
    for (const item of this.#entries) {
      const [, e] = item
      if (!best) best = item
      else if (this.policy === 'lfu' ? e.freq < best[1].freq || (e.freq === best[1].freq && e.stamp < best[1].stamp) : e.stamp < best[1].stamp) best = item
    }
    return best![0]
  }
}

const key = fc.constantFrom('a', 'b', 'c', 'd', 'e')
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constant('set' as const), key, value: fc.integer({ min: 0, max: 9 }) }),
  fc.record({ op: fc.constantFrom('get' as const, 'delete' as const, 'has' as const), key }),
)

describe('memory engine policies match a reference model', () => {
  it.each(['lru', 'fifo', 'lfu'] as const)('%s', (policy) => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 }), fc.array(op, { maxLength: 80 }), (maxsize, ops) => {
        const engine = createMemoryEngine({ maxsize, policy })
        const model = new Model(policy, maxsize)
        for (const o of ops) {
          if (o.op === 'set') {
            engine.set(o.key, o.value)
            model.set(o.key, o.value)
          } else if (o.op === 'get') {
            expect(engine.get(o.key)).toBe(model.get(o.key))
          } else if (o.op === 'delete') {
            expect(engine.delete(o.key)).toBe(model.delete(o.key))
          } else {
            expect(engine.has(o.key)).toBe(model.keys().includes(o.key))
          }
          expect(engine.keys().sort()).toEqual(model.keys())
        }
      }),
      { numRuns: 1000 },
    )
  })

  it('rr stays within maxsize and always keeps the entry just written', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 }), fc.array(op, { maxLength: 80 }), fc.integer(), (maxsize, ops, seed) => {
        let s = seed >>> 0
        const random = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32)
        const engine = createMemoryEngine({ maxsize, policy: 'rr', random })
        const values = new Map<string, number>()
        for (const o of ops) {
          if (o.op === 'set') {
            engine.set(o.key, o.value)
            values.set(o.key, o.value)
            expect(engine.get(o.key)).toBe(o.value)
          } else if (o.op === 'get') {
            const got = engine.get(o.key)
            if (got !== MISS) expect(got).toBe(values.get(o.key))
          } else if (o.op === 'delete') {
            engine.delete(o.key)
            expect(engine.has(o.key)).toBe(false)
          }
          expect(engine.size()).toBeLessThanOrEqual(maxsize)
          expect(engine.keys().length).toBe(engine.size())
        }
      }),
      { numRuns: 1000 },
    )
  })
})
