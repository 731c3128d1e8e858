import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Miniflare } from 'miniflare'
import { afterAll, beforeAll } from 'vitest'
import { bundleSuite } from '../../../apps/runtimes/test/helpers/remote-suite.js'
import { skipUnless } from '../../../apps/runtimes/test/helpers/runtime.js'

export const PACKAGE_DIR = join(dirname(fileURLToPath(import.meta.url)), '..')
/** Fixed so behaviour does not move with workerd upgrades; older than the workerd miniflare pins. */
const COMPATIBILITY_DATE = '2025-06-01'

/** Whether miniflare's workerd starts here; locally a failure skips with a warning, under CI it fails. */
async function probe(): Promise<string | undefined> {
  let mf: Miniflare | undefined
  try {
    mf = new Miniflare({ modules: true, script: 'export default { fetch: () => new Response("ok") }', compatibilityDate: COMPATIBILITY_DATE })
    const text = await (await mf.dispatchFetch('http://probe/')).text()
    return text === 'ok' ? undefined : `workerd answered ${text}`
  } catch (error) {
    return `miniflare's workerd does not run here (${(error as Error).message.split('\n')[0]})`
  } finally {
    await mf?.dispose().catch(() => {})
  }
}

export const workerdProblem = await probe()
export const skipWorkerd = skipUnless(workerdProblem, 'cloudflare-kv workerd')

/** A Worker (bundled from `source`) with a KV namespace `CACHE` persisted under `persist`. */
export interface KvWorld {
  persist: string
  code: string
  /** Start a fresh workerd process (a new isolate) on the same persisted KV data. */
  start(): Promise<Miniflare>
  dispose(): Promise<void>
}

export async function kvWorld(source: string): Promise<KvWorld> {
  const code = await bundleSuite(source, PACKAGE_DIR, 'edge')
  const persist = mkdtempSync(join(tmpdir(), 'twat-kv-'))
  const running: Miniflare[] = []
  return {
    persist,
    code,
    async start() {
      const mf = new Miniflare({ modules: true, script: code, compatibilityDate: COMPATIBILITY_DATE, kvNamespaces: ['CACHE'], kvPersist: persist })
      await mf.ready
      running.push(mf)
      return mf
    },
    async dispose() {
      await Promise.all(running.splice(0).map((mf) => mf.dispose().catch(() => {})))
      rmSync(persist, { recursive: true, force: true })
    },
  }
}

/** The running Worker of a describe block: `mf` is replaced when a test restarts workerd. */
export interface RunningWorld {
  world: KvWorld
  mf: Miniflare
}

/** In a describe block: bundle `source` and start workerd before its tests, dispose after them. */
export function useKvWorld(source: string): RunningWorld {
  const running = {} as RunningWorld
  beforeAll(async () => {
    if (workerdProblem) throw new Error(workerdProblem)
    running.world = await kvWorld(source)
    running.mf = await running.world.start()
  }, 120_000)
  afterAll(async () => running.world?.dispose())
  return running
}

/** POST a JSON command to the Worker and read its JSON answer. */
export async function call(mf: Miniflare, path: string, body: unknown = {}): Promise<unknown> {
  const response = await mf.dispatchFetch(`http://worker${path}`, { method: 'POST', body: JSON.stringify(body) })
  const text = await response.text()
  if (response.status !== 200) throw new Error(`${path}: HTTP ${response.status}: ${text}`)
  return JSON.parse(text)
}
