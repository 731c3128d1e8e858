/**
 * A cached function created per request (the anti-pattern) on flat-cache: each gets its own
 * namespace, so its own file store. Once the function is collected, its store must be flushed
 * and closed like on `close()`, not kept open for the life of the process.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fcache, setLogger } from '@twat-cache/core'
import { afterAll, expect, it } from 'vitest'
import { gc } from '../../core/test/fixtures/heap.js'
import { openStoreCount } from '../src/stores.js'
import '../src/index.js'

const cacheDir = mkdtempSync(join(tmpdir(), 'twat-flat-long-'))
afterAll(() => {
  setLogger(console, 'warn')
  rmSync(cacheDir, { recursive: true, force: true })
})
const nextTask = () => new Promise((resolve) => setTimeout(resolve, 5))

it('a function wrapped per call and dropped lets its file store go once collected, flushed first', async () => {
  // Numbered namespaces for one source warn once; not what is checked here.
  setLogger({ debug() {}, info() {}, warn() {}, error() {} }, 'error')
  const before = openStoreCount()
  const handle = (id: number) => fcache({ cacheDir, engineOptions: { debounceMs: 60_000 } })(function render(n: number) {
    return `page ${n}`
  })(id)
  for (let i = 0; i < 50; i++) expect(handle(i)).toBe(`page ${i}`)
  expect(openStoreCount()).toBe(before + 50)
  for (let round = 0; round < 20 && openStoreCount() > before; round++) {
    gc()
    await nextTask()
  }
  expect(openStoreCount()).toBe(before)
  // Each store was flushed as it closed: the 50 files hold their entry (the debounce never fired).
  const files = readdirSync(join(cacheDir)).filter((f) => f.startsWith('render-') && f.endsWith('.json'))
  expect(files).toHaveLength(50)
})
