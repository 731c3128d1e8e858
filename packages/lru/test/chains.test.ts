/**
 * The fallback chains of ARCHITECTURE.md §3 for the in-memory engines: which engine mcache and
 * acache (and selectEngine underneath them) pick with every subset of lru, node-cache and
 * cacheable registered, and the one warning per missing preferred engine.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createCacheConfig } from '../../core/src/config.js'
import { resetWarnings, setLogger } from '../../core/src/logger.js'
import { type EngineNeeds, getEngine, registerEngine, selectEngine, unregisterEngine } from '../../core/src/registry.js'
import type { EngineDefinition } from '../../core/src/types.js'
import { acache, mcache } from '../../core/src/wrap/wrappers.js'

const NAMES = ['lru', 'node-cache', 'cacheable'] as const
type Name = (typeof NAMES)[number]
const PACKAGES: Record<Name, string> = { lru: '@twat-cache/lru', 'node-cache': '@twat-cache/node-cache', cacheable: '@twat-cache/cacheable' }
const saved = new Map<Name, EngineDefinition<never>>()

/** Every subset of the three engines, as a readable label and the names in it. */
const SUBSETS: [string, Name[]][] = Array.from({ length: 8 }, (_, mask) => {
  const names = NAMES.filter((_, i) => mask & (1 << i))
  return [names.length ? names.join(' + ') : 'none (built-in memory only)', names] as [string, Name[]]
})

function useOnly(names: readonly Name[]): void {
  for (const name of NAMES) unregisterEngine(name)
  for (const name of names) registerEngine(saved.get(name)!)
}

/** What the contract says each chain picks, given what is registered. */
function expected(chain: 'memory' | 'async', mode: 'sync' | 'any', names: readonly Name[]): string {
  const order: string[] = chain === 'memory' ? ['lru', 'node-cache', 'cacheable', 'memory'] : ['cacheable', 'lru', 'node-cache', 'memory']
  const usable = (name: string) => name === 'memory' || ((names as string[]).includes(name) && !(mode === 'sync' && name === 'cacheable'))
  return order.find(usable)!
}

const warnings: string[] = []

beforeAll(async () => {
  await Promise.all([import('../src/index.js'), import('../../node-cache/src/index.js'), import('../../cacheable/src/index.js')])
  for (const name of NAMES) saved.set(name, getEngine(name) as EngineDefinition<never>)
  setLogger({ debug() {}, info() {}, warn: (message: string) => warnings.push(message), error() {} }, 'warn')
})

beforeEach(() => {
  warnings.length = 0
  resetWarnings()
})

afterEach(() => {
  useOnly(NAMES)
})

afterAll(() => {
  setLogger(console)
  resetWarnings()
})

describe.each(SUBSETS)('registered: %s', (_label, names) => {
  const select = (options: Parameters<typeof createCacheConfig>[0], needs: EngineNeeds) => selectEngine(createCacheConfig(options), needs).name

  it('selectEngine walks the memory chain (sync and any) and the async chain as the contract says', () => {
    useOnly(names)
    expect(select({}, { chain: 'memory', mode: 'sync' })).toBe(expected('memory', 'sync', names))
    expect(select({}, { chain: 'memory', mode: 'any' })).toBe(expected('memory', 'any', names))
    expect(select({}, { chain: 'async' })).toBe(expected('async', 'any', names))
    expect(select({}, { chain: 'async', mode: 'sync' })).toBe(expected('async', 'sync', names))
    expect(warnings).toEqual([])
  })

  it('mcache serves a sync function and acache an async one from the engine the chain picks', async () => {
    useOnly(names)
    let runs = 0
    const square = mcache({ maxsize: 10 })((n: number) => {
      runs++
      return n * n
    })
    const fetchDouble = acache({ maxsize: 10 })(async (n: number) => {
      runs++
      return n * 2
    })
    expect(square.engine.name).toBe(expected('memory', 'sync', names))
    expect(fetchDouble.engine.name).toBe(expected('async', 'any', names))
    expect([square(3), square(3), await fetchDouble(4), await fetchDouble(4)]).toEqual([9, 9, 8, 8])
    expect(runs).toBe(2)
    await square.engine.close()
    await fetchDouble.engine.close()
  })

  it('a preferred engine that is not registered warns once per name, naming its package', () => {
    useOnly(names)
    const missing = NAMES.filter((name) => !names.includes(name))
    for (const name of missing) {
      for (let i = 0; i < 3; i++) {
        expect(select({ engine: name }, { chain: 'async' })).toBe(expected('async', 'any', names))
        const cached = mcache({ engine: name })((n: number) => n + 1)
        expect(cached.engine.name).toBe(expected('memory', 'sync', names))
      }
    }
    expect(warnings).toHaveLength(missing.length)
    for (const [i, name] of missing.entries()) {
      expect(warnings[i]).toContain(`engine '${name}' is not installed`)
      expect(warnings[i]).toContain(`pnpm add ${PACKAGES[name]}`)
      expect(warnings[i]).toContain(`using '${expected('async', 'any', names)}' instead`)
    }
  })

  it('a preferred engine that is registered is used, whatever its place in the chain', () => {
    useOnly(names)
    for (const name of names) {
      expect(select({ engine: name }, { chain: 'async' })).toBe(name)
      if (name !== 'cacheable') expect(mcache({ engine: name })((n: number) => n).engine.name).toBe(name)
    }
    expect(warnings).toEqual([])
  })
})

describe('requests the registered engines cannot meet', () => {
  it('a sync function cannot use the async cacheable engine: explicit request throws', () => {
    useOnly(NAMES)
    expect(() => mcache({ engine: 'cacheable' })((n: number) => n)).toThrow(/async/)
  })

  it("policy 'fifo' skips lru and cacheable, landing on node-cache or memory", () => {
    useOnly(NAMES)
    expect(mcache({ policy: 'fifo' })((n: number) => n).engine.name).toBe('node-cache')
    expect(acache({ policy: 'fifo' })(async (n: number) => n).engine.name).toBe('node-cache')
    useOnly(['lru', 'cacheable'])
    expect(mcache({ policy: 'fifo' })((n: number) => n).engine.name).toBe('memory')
    expect(() => mcache({ engine: 'lru', policy: 'fifo' })((n: number) => n)).toThrow(/policy 'fifo'/)
  })
})
