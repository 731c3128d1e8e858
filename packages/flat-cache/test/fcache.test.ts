import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fcache, getEngine } from '@twat-cache/core'
import { afterAll, expect, it } from 'vitest'
import '@twat-cache/flat-cache'

const cacheDir = mkdtempSync(join(tmpdir(), 'twat-fcache-'))
afterAll(() => rmSync(cacheDir, { recursive: true, force: true }))

it('fcache picks the flat-cache engine once the package is imported, and its entries persist', async () => {
  expect(getEngine('flat-cache')?.packageName).toBe('@twat-cache/flat-cache')
  let runs = 0
  const make = () =>
    fcache({ cacheDir, namespace: 'area' })(function area(w: number, h: number) {
      runs++
      return { w, h, area: w * h, at: new Date(0) }
    })
  const first = make()
  expect(first.engine.name).toBe('flat-cache')
  expect(first(2, 3)).toEqual({ w: 2, h: 3, area: 6, at: new Date(0) })
  expect(first(2, 3).area).toBe(6)
  expect(runs).toBe(1)
  await first.engine.close()
  const second = make()
  expect(second(2, 3)).toEqual({ w: 2, h: 3, area: 6, at: new Date(0) })
  expect(runs).toBe(1)
  await second.engine.close()
})
