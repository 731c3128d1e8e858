import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bundleTagsChild, runUser7Scenario } from '../../core/test/fixtures/tags-processes.js'

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
    await runUser7Scenario(bundle, { engine: 'sqlite', cacheDir: root }, expect)
  }, 60_000)

  it('with staleWhileRevalidate: after process B expires user:7, process A serves those entries stale once and refreshes them', async () => {
    await runUser7Scenario(bundle, { engine: 'sqlite', cacheDir: root, namespace: 'swr', ttl: '1h', staleWhileRevalidate: '1h' }, expect)
  }, 60_000)
})
