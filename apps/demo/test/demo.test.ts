import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

// The README's first command runs this demo on built packages (`pnpm demo` builds first; so
// does `pnpm test`). Run twice against its own cache folder, as the README suggests.
const run = promisify(execFile)
const demo = join(import.meta.dirname, '../src/demo.js')
const cacheDir = mkdtempSync(join(tmpdir(), 'twat-demo-'))
const env = { ...process.env, TWAT_CACHE_DIR: cacheDir }
let first: string
let second: string

beforeAll(async () => {
  first = (await run(process.execPath, [demo], { env })).stdout
  second = (await run(process.execPath, [demo], { env })).stdout
}, 120_000)
afterAll(() => rmSync(cacheDir, { recursive: true, force: true }))

describe('pnpm demo', () => {
  it('computes on the first run and serves SQLite entries from disk on the second', () => {
    expect(first).toContain('first call was computed')
    expect(second).toContain('first call was a hit from a previous run')
  })

  it('shows a stale value served at once and refreshed in the background', () => {
    expect(first).toMatch(/stale=1 refreshes=1/)
  })

  it('recomputes exactly the entries of the invalidated tag', () => {
    expect(first).toContain("invalidateTags(['user:7']) → 2 of 3 entries recomputed")
  })

  it('exports the same counts as OpenTelemetry metrics as getStats() reports', () => {
    const totals = first.match(/totals: hits=(\d+) misses=(\d+) stale=(\d+)/)
    const metrics = first.match(/twat_cache\.events by cache\.event: (.+)/)
    expect(totals).not.toBeNull()
    expect(metrics).not.toBeNull()
    const byEvent = Object.fromEntries(metrics![1]!.split(' ').map((pair) => pair.split('=')))
    expect(byEvent).toMatchObject({ hit: totals![1], miss: totals![2], stale: totals![3], refresh: '1' })
  })

  it('lists the SQLite namespaces it wrote with the twat-cache CLI', () => {
    const listing = second.slice(second.indexOf('9. the CLI'))
    for (const namespace of ['demo-square', 'demo-profile', 'demo-report']) {
      expect(listing).toMatch(new RegExp(`sqlite\\s*│\\s*${namespace}\\s*│`))
    }
  })

  it('computes a cold key once across 4 processes with lock', () => {
    expect(first).toMatch(/4 processes got "report of [^"]+"; the function ran 1 time\(s\)/)
  })
})
