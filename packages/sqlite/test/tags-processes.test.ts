import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { USER_7, bundleTagsChild, markInOtherProcess, startServer } from '../../core/test/fixtures/tags-processes.js'

let bundle: string
let root: string
beforeAll(async () => {
  bundle = await bundleTagsChild()
  root = mkdtempSync(join(tmpdir(), 'twat-sqlite-tags-'))
}, 60_000)
afterAll(() => {
  rmSync(root, { recursive: true, force: true })
  rmSync(join(bundle, '..'), { recursive: true, force: true })
})

describe('tags across processes on one SQLite file', () => {
  it('process B, which never cached anything, invalidates and expires user:7; process A recomputes exactly those entries', async () => {
    const options = { engine: 'sqlite', cacheDir: root }
    const a = startServer(bundle, options)
    try {
      expect(await a.pass()).toHaveLength(1000)
      expect(await a.pass()).toEqual([])
      await markInOtherProcess(bundle, 'invalidate', options)
      expect(await a.pass()).toEqual(USER_7)
      expect(await a.pass()).toEqual([])
      // Without a stale window (freshness stage), expiry is a recompute too.
      await markInOtherProcess(bundle, 'expire', options)
      expect(await a.pass()).toEqual(USER_7)
      expect(await a.pass()).toEqual([])
      expect(await a.end()).toBe(0)
    } finally {
      a.kill()
    }
  }, 60_000)
})
