/**
 * Tags across real processes sharing one cache folder (issue 12): the tag state is the folder's
 * tags file, so a process that never cached anything reaches entries another process holds in
 * memory, written before the call.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runUser7Scenario } from '../../core/test/fixtures/tags-processes.js'
import { bundleForNode } from '../../core/test/fixtures/node-bundle.js'

let child: string
let root: string
beforeAll(async () => {
  child = await bundleForNode(join(import.meta.dirname, 'fixtures/tags-child.ts'))
  root = mkdtempSync(join(tmpdir(), 'twat-flat-tags-'))
}, 60_000)
afterAll(() => {
  rmSync(root, { recursive: true, force: true })
  rmSync(dirname(child), { recursive: true, force: true })
})

describe('tags across processes on one flat-cache folder', () => {
  it('process B, which never cached anything, invalidates and expires user:7; process A recomputes exactly those entries', async () => {
    await runUser7Scenario(child, { engine: 'flat-cache', cacheDir: root }, expect)
  }, 60_000)

  it('with staleWhileRevalidate: after process B expires user:7, process A serves those entries stale once and refreshes them', async () => {
    await runUser7Scenario(child, { engine: 'flat-cache', cacheDir: root, namespace: 'swr', ttl: '1h', staleWhileRevalidate: '1h' }, expect)
  }, 60_000)
})
