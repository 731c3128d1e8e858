import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { bcache } from '@twat-cache/core'
import '@twat-cache/sqlite'
import { afterAll, describe, expect, it } from 'vitest'

const cacheDir = mkdtempSync(join(tmpdir(), 'twat-sqlite-wrap-'))
afterAll(() => rmSync(cacheDir, { recursive: true, force: true }))

describe('through the wrappers', () => {
  it('bcache picks sqlite, keeps a sync function sync, and a second cacher on the folder hits', async () => {
    let runs = 0
    const square = (n: number) => {
      runs++
      return { n, square: BigInt(n) ** 2n }
    }
    const first = bcache({ cacheDir, folderName: 'wrap', namespace: 'square' })(square)
    expect(first(4)).toEqual({ n: 4, square: 16n })
    expect(first(4)).toEqual({ n: 4, square: 16n })
    expect(runs).toBe(1)
    expect(first.engine.name).toBe('sqlite')
    const second = bcache({ cacheDir, folderName: 'wrap', namespace: 'square' })(square)
    expect(second(4)).toEqual({ n: 4, square: 16n })
    expect(runs).toBe(1)
    await first.cacheClear()
  })
})
