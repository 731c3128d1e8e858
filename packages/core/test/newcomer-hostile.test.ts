/**
 * A newcomer's and a hostile caller's inputs across the public API: every one must give a
 * clear error or correct caching, never two different argument lists on one key.
 */
import { describe, expect, it } from 'vitest'
import { CacheKeyError, mcache, stableKey } from '../src/index.js'

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
