import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { bcache } from '@twat-cache/core'
import '@twat-cache/sqlite'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { bundleWithCore, runChild } from './fixtures/children.js'

const here = dirname(fileURLToPath(import.meta.url))
let bundle: string
const cacheDir = mkdtempSync(join(tmpdir(), 'twat-sqlite-fresh-mp-'))

// The child runs under plain node: bundled with core and the engine from source.
beforeAll(async () => {
  bundle = await bundleWithCore(join(here, 'fixtures/fresh-child.ts'), cacheDir)
})
afterAll(() => rmSync(cacheDir, { recursive: true, force: true }))

it("two processes: A's entry goes stale, B serves it stale and refreshes it, A then sees B's value", async () => {
  let runs = 0
  const a = bcache({ cacheDir, folderName: 'fresh-mp', namespace: 'two-processes', engine: 'sqlite', ttl: 300, staleWhileRevalidate: '1m' })(function value(_id: number) {
    runs++
    return 'from A'
  })
  expect(a(1)).toBe('from A')
  // A real (short) wait: the child reads the file with its own clock.
  await new Promise((resolve) => setTimeout(resolve, 400))
  const b = await runChild<{ first: string; peek: string; runs: number; info: { stale: number; refreshes: number } }>(bundle, [cacheDir])
  expect(b).toMatchObject({ first: 'from A', peek: 'from B', runs: 1, info: { stale: 1, refreshes: 1 } })
  expect(a(1)).toBe('from B')
  expect(runs).toBe(1)
  expect(a.cacheInfo()).toMatchObject({ hits: 1, stale: 0 })
  await a.engine.close()
})
