import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import { afterAll, describe, expect, it } from 'vitest'
import { MISS } from '../../core/src/types.js'
import { createSqliteEngine } from '../src/engine.js'

/**
 * The engine's eviction, driven by random operations, must match a plain in-memory model of
 * each policy exactly: reads recorded in memory (not yet in the file) included.
 */
const cacheDir = mkdtempSync(join(tmpdir(), 'twat-sqlite-model-'))
afterAll(() => rmSync(cacheDir, { recursive: true, force: true }))

type Op = { kind: 'get' | 'set' | 'delete'; key: string }
const op = fc.record({ kind: fc.constantFrom('get', 'get', 'set', 'set', 'delete'), key: fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'g') }) as fc.Arbitrary<Op>

interface Entry {
  value: number
  rank: number
  created: number
}

class Model {
  readonly entries = new Map<string, Entry>()
  #clock = 0
  constructor(readonly policy: 'lru' | 'fifo' | 'lfu', readonly maxsize: number) {}

  get(key: string): number | undefined {
    const entry = this.entries.get(key)
    if (!entry) return undefined
    if (this.policy === 'lru') entry.rank = ++this.#clock
    if (this.policy === 'lfu') entry.rank++
    return entry.value
  }

  set(key: string, value: number): void {
    const old = this.entries.get(key)
    const rank = this.policy === 'lfu' ? (old?.rank ?? 0) : ++this.#clock
    this.entries.set(key, { value, rank, created: old?.created ?? ++this.#clock })
    while (this.entries.size > this.maxsize) {
      let victim: string | undefined
      for (const [k, e] of this.entries) {
        if (k === key) continue
        const v = victim === undefined ? undefined : this.entries.get(victim)!
        if (!v || e.rank < v.rank || (e.rank === v.rank && e.created < v.created)) victim = k
      }
      this.entries.delete(victim!)
    }
  }
}

describe('eviction matches a model of each policy', () => {
  it.each(['lru', 'fifo', 'lfu'] as const)('%s', (policy) => {
    let run = 0
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 60 }), (ops) => {
        const engine = createSqliteEngine({ cacheDir, folderName: 'model', namespace: `${policy}-${run++}`, maxsize: 3, policy })
        const model = new Model(policy, 3)
        try {
          ops.forEach(({ kind, key }, i) => {
            if (kind === 'get') {
              const got = engine.get(key)
              expect(got === MISS ? undefined : got, `op ${i}: get ${key}`).toBe(model.get(key))
            } else if (kind === 'set') {
              engine.set(key, i)
              model.set(key, i)
            } else {
              expect(engine.delete(key)).toBe(model.entries.delete(key))
            }
          })
          expect(engine.keys().sort()).toEqual([...model.entries.keys()].sort())
        } finally {
          engine.clear()
          engine.close()
        }
      }),
      { numRuns: 60 },
    )
  })
})
