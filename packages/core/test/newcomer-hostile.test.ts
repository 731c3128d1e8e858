/**
 * A newcomer's and a hostile caller's inputs across the public API: every one must give a
 * clear error or correct caching, never two different argument lists on one key.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import '@twat-cache/sqlite'
import { afterAll, describe, expect, it } from 'vitest'
import { CacheKeyError, type ConfigurationError, bcache, hybridCache, mcache, smartCache, stableKey } from '../src/index.js'
import { captureLogs, resetLogsAfterEach } from './wrappers-support.js'

resetLogsAfterEach()
const cacheDir = mkdtempSync(join(tmpdir(), 'twat-newcomer-'))
afterAll(() => rmSync(cacheDir, { recursive: true, force: true }))

const key = (...args: unknown[]) => stableKey(args)

describe('keys of objects whose state is not in enumerable properties', () => {
  it('keys Headers and FormData by their entries', () => {
    expect(key(new Headers({ a: '1' }))).not.toBe(key(new Headers({ a: '2' })))
    expect(key(new Headers({ a: '1', b: '2' }))).toBe(key(new Headers({ b: '2', a: '1' })))
    const form = (v: string) => {
      const f = new FormData()
      f.set('x', v)
      return f
    }
    expect(key(form('1'))).not.toBe(key(form('2')))
    expect(key(form('1'))).toBe(key(form('1')))
    expect(key(new Headers())).not.toBe(key(new FormData()))
  })

  it('keys a class instance that has only private state by its toJSON()', () => {
    class Id {
      readonly #hex: string
      constructor(hex: string) {
        this.#hex = hex
      }
      toJSON(): string {
        return this.#hex
      }
    }
    expect(key(new Id('a1'))).not.toBe(key(new Id('b2')))
    expect(key(new Id('a1'))).toBe(key(new Id('a1')))
    expect(key(new Id('a1'))).not.toBe(key('a1'))
    // toJSON only replaces an empty token: instances with enumerable state keep it all
    class Named {
      constructor(
        public id: number,
        public secret: string,
      ) {}
      toJSON() {
        return { id: this.id }
      }
    }
    expect(key(new Named(1, 'x'))).not.toBe(key(new Named(1, 'y')))
  })

  it('refuses instances whose state hides behind getters (private fields, Request, Blob), naming them', () => {
    class Money {
      readonly #cents: number
      constructor(cents: number) {
        this.#cents = cents
      }
      get cents(): number {
        return this.#cents
      }
    }
    for (const [value, name] of [
      [new Money(1), 'Money'],
      [new Request('https://a.example/'), 'Request'],
      [new Blob(['a']), 'Blob'],
      [new Response('a'), 'Response'],
    ] as const) {
      let caught: unknown
      try {
        key(1, value)
      } catch (error) {
        caught = error
      }
      expect(caught).toBeInstanceOf(CacheKeyError)
      expect((caught as Error).message).toMatch(new RegExp(`argument 1 contains a ${name}\\b`))
      expect((caught as Error).message).toContain('key: (...args) => string')
    }
  })

  it('still keys stateless instances alike', () => {
    class Empty {}
    expect(key(new Empty())).toBe('Empty{}')
    expect(key(new Empty())).toBe(key(new Empty()))
  })

  it('a cached function given two different Headers runs twice', () => {
    let runs = 0
    const auth = mcache()((h: Headers) => {
      runs++
      return h.get('authorization')
    })
    expect(auth(new Headers({ authorization: 'alice' }))).toBe('alice')
    expect(auth(new Headers({ authorization: 'bob' }))).toBe('bob')
    expect(auth(new Headers({ authorization: 'bob' }))).toBe('bob')
    expect(runs).toBe(2)
  })
})

describe('one function source, several cached functions', () => {
  it('closures of one factory never read each other\'s entries on SQLite, and the user is told', () => {
    const { warnings } = captureLogs()
    const make = (factor: number) =>
      bcache({ cacheDir })(function scale(x: number) {
        return x * factor
      })
    const double = make(2)
    const triple = make(3)
    expect(double.engine.name).toBe('sqlite')
    expect(double(5)).toBe(10)
    expect(triple(5)).toBe(15)
    expect(warnings.filter((w) => w.includes("another function 'scale'"))).toHaveLength(1)
  })

  it('the same function wrapped twice still shares its entries, without a warning', () => {
    const { warnings } = captureLogs()
    let runs = 0
    function cube(x: number) {
      runs++
      return x ** 3
    }
    const a = bcache({ cacheDir })(cube)
    const b = bcache({ cacheDir, ttl: '1h' })(cube)
    expect(a(2)).toBe(8)
    expect(b(2)).toBe(8)
    expect(runs).toBe(1)
    expect(warnings).toEqual([])
  })
})

describe('option typos in the selection wrappers', () => {
  const issuesOf = (f: () => unknown): readonly string[] => {
    try {
      f()
    } catch (error) {
      return (error as ConfigurationError).issues
    }
    return []
  }
  const id = (x: number) => x

  it('hybridCache and smartCache typos get a "did you mean" for their own fields too', () => {
    expect(issuesOf(() => hybridCache({ sizeTreshold: 5 } as never)(id))).toEqual(["unknown option 'sizeTreshold': did you mean 'sizeThreshold' (an option of hybridCache)?"])
    expect(issuesOf(() => smartCache({ persistance: true } as never)(id))).toEqual(["unknown option 'persistance': did you mean 'persistence' (an option of smartCache)?"])
    expect(issuesOf(() => hybridCache({ maxSize: 5 } as never)(id))).toEqual(["unknown option 'maxSize': did you mean 'maxsize'?"])
  })

  it('a selection field given to another wrapper says which wrapper takes it', () => {
    expect(issuesOf(() => mcache({ sizeThreshold: 5 } as never)(id))).toEqual(["unknown option 'sizeThreshold': it is an option of hybridCache"])
    expect(issuesOf(() => bcache({ cacheDir, persistence: true } as never)(id))).toEqual(["unknown option 'persistence': it is an option of smartCache"])
  })
})

describe('options a wrapper or engine cannot use are said, not dropped', () => {
  it('bcache with an engine named in the options does not claim that no disk engine is installed', () => {
    const { warnings } = captureLogs()
    bcache({ engine: 'memory' })((x: number) => x)
    expect(warnings.filter((w) => w.includes('no disk engine'))).toEqual([])
  })

  it('mcache given disk or Redis settings says once that they do nothing', () => {
    for (const options of [{ folderName: 'x' }, { cacheDir }, { useSql: true }, { redis: { url: 'redis://127.0.0.1:1' } }]) {
      const { warnings } = captureLogs()
      mcache(options)((x: number) => x)
      mcache(options)((x: number) => x + 1)
      const said = warnings.filter((w) => /mcache keeps entries in memory \('\w+'\), so \w+ do nothing: use bcache or fcache/.test(w))
      expect(said).toHaveLength(1)
    }
  })

  it('mcache on a persistent engine named in the options uses those settings without a warning', () => {
    const { warnings } = captureLogs()
    const f = mcache({ engine: 'sqlite', cacheDir })((x: number) => x)
    expect(f.engine.name).toBe('sqlite')
    expect(warnings.filter((w) => w.includes('do nothing'))).toEqual([])
    f.engine.close()
  })

  it('engineOptions the built-in memory engine cannot use are warned about', () => {
    const { warnings } = captureLogs()
    mcache({ engine: 'memory', engineOptions: { bogus: 1 } })((x: number) => x)
    expect(warnings.join('\n')).toMatch(/the memory engine takes no engineOptions, so bogus is not used/)
  })
})
