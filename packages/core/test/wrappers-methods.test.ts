import '@twat-cache/sqlite'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import {
  type Cached,
  acache,
  mcache,
  bcache,
  createEngine,
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

describe('decorated methods with a custom key', () => {
  const cacheDir = mkdtempSync(join(tmpdir(), 'twat-core-methods-'))
  afterAll(() => rmSync(cacheDir, { recursive: true, force: true }))

  it('store under the user key alone, so every instance and every later process hits (real sqlite)', async () => {
    let runs = 0
    class Users {
      @bcache({ cacheDir, folderName: 'users', namespace: 'users', key: (id: string) => `user:${id}` })
      find(id: string) {
        runs++
        return { id, runs }
      }
    }
    expect(new Users().find('7')).toEqual({ id: '7', runs: 1 })
    expect(new Users().find('7')).toEqual({ id: '7', runs: 1 })
    expect(runs).toBe(1)
    // What another process opening the same store reads: no instance id, no process token.
    const engine = createEngine({ engine: 'sqlite', cacheDir, folderName: 'users', namespace: 'users' })
    try {
      expect(engine.get('user:7')).toEqual({ id: '7', runs: 1 })
    } finally {
      await engine.close()
    }
    const find = Users.prototype.find as unknown as Cached<(id: string) => unknown>
    await expect(find.cacheDelete('7')).resolves.toBe(true)
    find.engine.close()
  })
})
