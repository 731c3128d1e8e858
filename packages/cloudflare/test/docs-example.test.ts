/**
 * The complete Worker of docs/engines/cloudflare-kv.md, bundled from the page as a user's Wrangler
 * build would (esbuild, TypeScript with default settings, the built packages), run in workerd
 * through miniflare on a persisted KV namespace. Its `fetch` to the users API is answered here.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Miniflare } from 'miniflare'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BUILD_TIMEOUT_MS, ROOT, ensureBuilt } from '../../../apps/bundle-check/test/build.js'
import { codeBlocks } from '../../../apps/docs-check/test/markdown.js'
import { bundleUserSource } from '../../../apps/runtimes/test/helpers/bundle.js'
import type { KvBinding } from '../src/options.js'
import { PACKAGE_DIR, skipWorkerd, workerdProblem } from './workers.js'

const page = readFileSync(join(ROOT, 'docs/engines/cloudflare-kv.md'), 'utf8')
const worker = codeBlocks(page).find((block) => block.code.startsWith('// src/worker.ts'))?.code

describe.skipIf(skipWorkerd)('the Worker of docs/engines/cloudflare-kv.md in workerd', () => {
  const fetched: string[] = []
  const started: Miniflare[] = []
  let persist: string
  let script: string
  const start = async () => {
    const mf = new Miniflare({
      modules: true,
      script,
      compatibilityDate: '2025-06-01',
      kvNamespaces: ['CACHE'],
      kvPersist: persist,
      outboundService: (request: Request) => {
        fetched.push(request.url)
        return Response.json({ id: Number(new URL(request.url).pathname.split('/').pop()), name: 'Leanne Graham' })
      },
    })
    started.push(mf)
    return mf
  }
  const get = async (mf: Miniflare, id: string) => (await mf.dispatchFetch(`http://worker/?id=${id}`)).json()

  beforeAll(async () => {
    if (workerdProblem) throw new Error(workerdProblem)
    if (!worker) throw new Error("docs/engines/cloudflare-kv.md has no code block starting with '// src/worker.ts'")
    ensureBuilt(['core', 'cloudflare'])
    script = await bundleUserSource(worker, PACKAGE_DIR, 'edge')
    persist = mkdtempSync(join(tmpdir(), 'twat-kv-docs-'))
  }, BUILD_TIMEOUT_MS)
  afterAll(async () => {
    await Promise.all(started.map((mf) => mf.dispose().catch(() => {})))
    if (persist) rmSync(persist, { recursive: true, force: true })
  })

  it('serves from KV: one upstream fetch per id, across requests and across isolates', async () => {
    const first = await start()
    expect(await get(first, '1')).toEqual({ id: 1, name: 'Leanne Graham' })
    expect(await get(first, '1')).toEqual({ id: 1, name: 'Leanne Graham' })
    const kv = (await first.getKVNamespace('CACHE')) as unknown as KvBinding
    const names = (await kv.list()).keys.map((key) => key.name)
    expect(names).toHaveLength(1)
    expect(names[0]).toMatch(/^twat-cache:getUser/)
    await first.dispose()
    const second = await start()
    expect(await get(second, '1')).toEqual({ id: 1, name: 'Leanne Graham' })
    expect(fetched).toEqual(['https://jsonplaceholder.typicode.com/users/1'])
  })
})
