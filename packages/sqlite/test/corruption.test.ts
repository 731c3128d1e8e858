import { openSync, readdirSync, rmSync, statSync, writeSync, closeSync, mkdtempSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { bcache, resetWarnings, setLogger } from '@twat-cache/core'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { createSqliteEngine } from '../src/engine.js'
import '../src/index.js'
import { bundleChild, startChild } from './fixtures/children.js'

let bundle: string
let cacheDir: string

beforeAll(async () => {
  bundle = await bundleChild()
  cacheDir = mkdtempSync(join(tmpdir(), 'twat-sqlite-corrupt-'))
})

afterAll(() => {
  rmSync(cacheDir, { recursive: true, force: true })
  rmSync(join(bundle, '..'), { recursive: true, force: true })
})

/** Overwrite 4 KiB at a third of the file with random bytes, as a failing disk or a stray write would. */
function damage(path: string): void {
  const fd = openSync(path, 'r+')
  try {
    writeSync(fd, randomBytes(4096), 0, 4096, Math.floor(statSync(path).size / 3))
  } finally {
    closeSync(fd)
  }
}

it('page-level corruption: bcache never throws and keeps caching, the file is moved aside once, another process follows', async () => {
  const folder = join(cacheDir, 'damaged')
  const N = 3000
  let runs = 0
  const make = () =>
    bcache({ cacheDir, folderName: 'damaged', namespace: 'work', maxsize: 100_000 })(function work(i: number) {
      runs++
      return { i, pad: 'x'.repeat(300) }
    })
  const first = make()
  expect(first.engine.name).toBe('sqlite')
  for (let i = 0; i < N; i++) first(i)
  const seed = createSqliteEngine({ cacheDir, folderName: 'damaged', namespace: 'probe' })
  seed.set('seed', 's')
  seed.close()
  await first.engine.close()

  // Another process has the file open before it is damaged.
  const other = startChild(bundle, ['converge', cacheDir])
  const ready = await new Promise<string>((resolve, reject) => {
    other.child.stdout!.once('data', (chunk: Buffer) => resolve(String(chunk)))
    other.child.once('exit', (code) => reject(new Error(`child exited early (${code})`)))
  })
  expect(ready).toContain('ready "s"')

  damage(join(folder, 'cache.db'))
  const warnings: string[] = []
  setLogger({ debug() {}, info() {}, warn: (m: string) => warnings.push(m), error: (m: string) => warnings.push(m) }, 'warn')
  resetWarnings()
  try {
    const second = make()
    const thrown: unknown[] = []
    const pass = (): void => {
      for (let i = 0; i < N; i++) {
        try {
          expect(second(i).i).toBe(i)
        } catch (error) {
          thrown.push(error)
        }
      }
    }
    pass()
    pass()
    const before = runs
    pass()
    // Caching works again: the last pass is all hits.
    expect(runs).toBe(before)
    expect(thrown).toEqual([])

    const aside = readdirSync(folder).filter((name) => /^cache\.db\.corrupt-\d+$/.test(name))
    expect(aside).toHaveLength(1)
    const moved = warnings.filter((w) => w.includes('moved it to'))
    expect(moved).toHaveLength(1)
    expect(moved[0]).toContain(join(folder, aside[0]!))

    // The other process converges on the new file: it sees this process's write, and this
    // process sees its write.
    const parent = createSqliteEngine({ cacheDir, folderName: 'damaged', namespace: 'probe' })
    parent.set('parent', 'p')
    other.child.kill('SIGUSR2')
    const run = await other.done
    expect(run.code).toBe(0)
    const result = JSON.parse(run.stdout.trim().split('\n').at(-1)!) as Record<string, unknown>
    expect(result).toEqual({ parent: 'p', size: 2 })
    expect(parent.get('child')).toBe('c')
    parent.close()
    await second.engine.close()
  } finally {
    setLogger(console, 'warn')
    other.child.kill('SIGKILL')
  }
})
