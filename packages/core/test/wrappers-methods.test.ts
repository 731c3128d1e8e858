import { describe, expect, it } from 'vitest'
import {
  type Cached,
  acache,
  mcache,
} from '../src/index.js'
import { resetLogsAfterEach } from './wrappers-support.js'

resetLogsAfterEach()

describe('decorators', () => {
  it('cache methods per instance with TC39 decorators', async () => {
    let runs = 0
    class Repo {
      constructor(readonly prefix: string) {}
      @mcache({ maxsize: 10 })
      find(id: string) {
        runs++
        return `${this.prefix}${id}`
      }
      @acache()
      async load(id: string) {
        runs++
        return `${this.prefix}:${id}`
      }
    }
    const a = new Repo('a')
    const b = new Repo('b')
    expect(a.find('1')).toBe('a1')
    expect(a.find('1')).toBe('a1')
    expect(b.find('1')).toBe('b1')
    expect(runs).toBe(2)
    expect(await a.load('x')).toBe('a:x')
    expect(await a.load('x')).toBe('a:x')
    expect(runs).toBe(3)
    expect((Repo.prototype.find as unknown as Cached<() => string>).cacheInfo().hits).toBe(1)
  })
})
