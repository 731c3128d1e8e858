import { describe, expect, it } from 'vitest'
import { hash128 } from '../src/keys/hash.js'
import { defaultNamespace, methodNamespace } from '../src/keys/namespace.js'
import { captureLogs, resetLogsAfterEach } from './wrappers-support.js'

resetLogsAfterEach()

describe('namespaces', () => {
  it('is the function name and 12 hex characters of the hash of its source', () => {
    function area(w: number, h: number) {
      return w * h
    }
    expect(defaultNamespace(area)).toBe(`area-${hash128(area.toString()).slice(0, 12)}`)
    expect(defaultNamespace(area)).toBe(defaultNamespace(area))
  })

  it('changes when the source changes', () => {
    const v1 = function price(x: number) {
      return x * 2
    }
    const v2 = function price(x: number) {
      return x * 3
    }
    expect(defaultNamespace(v1)).not.toBe(defaultNamespace(v2))
  })

  it('numbers named closures with the same source (a factory), warning once', () => {
    const warnings = captureLogs().warnings
    const make = (k: number) =>
      function twice(x: number) {
        return x * k
      }
    const first = make(2)
    const second = make(3)
    const base = `twice-${hash128(first.toString()).slice(0, 12)}`
    expect(defaultNamespace(first)).toBe(base)
    expect(defaultNamespace(first)).toBe(base)
    expect(warnings).toEqual([])
    expect(defaultNamespace(second)).toBe(`${base}-2`)
    expect(defaultNamespace(make(4))).toBe(`${base}-3`)
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toContain("another function 'twice' with the same source")
    expect(warnings[0]).toContain('create it once')
  })

  it('numbers anonymous functions with the same source in creation order', () => {
    const make = () => [(x: number) => x + 4242][0]!
    const first = make()
    const second = make()
    const third = make()
    const base = `anonymous-${hash128(first.toString()).slice(0, 12)}`
    expect(first.name).toBe('')
    expect(defaultNamespace(first)).toBe(base)
    expect(defaultNamespace(second)).toBe(`${base}-2`)
    expect(defaultNamespace(first)).toBe(base)
    expect(defaultNamespace(third)).toBe(`${base}-3`)
    expect(defaultNamespace(second)).toBe(`${base}-2`)
  })

  it('treats new Function (named "anonymous") as anonymous', () => {
    const f = new Function('return 7319') as () => number
    const g = new Function('return 7319') as () => number
    expect(defaultNamespace(f)).toMatch(/^anonymous-[0-9a-f]{12}$/)
    expect(defaultNamespace(g)).toBe(`${defaultNamespace(f)}-2`)
  })

  it('never shares between bound or native functions, whose source says nothing', () => {
    function scale(k: number, x: number) {
      return k * x
    }
    const by2 = scale.bind(null, 2)
    const by3 = scale.bind(null, 3)
    expect(defaultNamespace(by2)).not.toBe(defaultNamespace(by3))
    expect(defaultNamespace(by2)).toBe(defaultNamespace(by2))
    // two different built-ins named 'at'
    const a = defaultNamespace(Array.prototype.at)
    const s = defaultNamespace(String.prototype.at)
    expect(a).not.toBe(s)
    expect(a).toMatch(/^at-[0-9a-f]{12}/)
  })

  it('names decorated methods ClassName.method-hash', () => {
    const fn = function find(id: string) {
      return id
    }
    expect(methodNamespace('Repo', 'find', fn)).toBe(`Repo.find-${hash128(fn.toString()).slice(0, 12)}`)
    expect(methodNamespace('Repo', 'find', fn)).not.toBe(methodNamespace('Other', 'find', fn))
    expect(methodNamespace('Repo', Symbol('lookup'), fn)).toMatch(/^Repo\.\[lookup\]-[0-9a-f]{12}$/)
  })
})
