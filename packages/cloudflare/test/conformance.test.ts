/**
 * The conformance suite in the Workers runtime (workerd, through miniflare) against a real KV
 * namespace: the cases are bundled with the engine (vitest's API shimmed, its assertions kept),
 * run inside one request, and each result is reported here as a test. TTL cases run on real time
 * with a 300 ms unit: below KV's 60 s minimum, so they exercise the expiry kept in metadata.
 */
import { afterAll } from 'vitest'
import { type CaseResult, reportCases } from '../../../apps/runtimes/test/helpers/remote-suite.js'
import { type KvWorld, call, kvWorld, skipWorkerd, workerdProblem } from './workers.js'

const SUITE = `
import { describeEngine } from '@twat-cache/conformance'
import { CLOUDFLARE_KV_CAPABILITIES, createCloudflareKvEngine } from '@twat-cache/cloudflare/engine'
import { runSuite } from 'vitest'
let env
describeEngine({
  name: 'cloudflare-kv',
  create: (config) => createCloudflareKvEngine({ ...config, engineOptions: { kv: env.CACHE } }),
  capabilities: CLOUDFLARE_KV_CAPABILITIES,
  timeMode: 'real',
  realTtl: 300,
})
export default {
  async fetch(request, workerEnv) {
    env = workerEnv
    return Response.json(await runSuite(await request.json()))
  },
}
`

/** Cases that need Node itself; registration on import is covered by cloudflare.test.ts. */
const NOT_IN_A_WORKER = {
  'cloudflare-kv > lifecycle > close() leaves no handles': 'counts Node handles (process.getActiveResourcesInfo); a Worker has none',
  'cloudflare-kv > lifecycle > asyncDispose() leaves no handles': 'counts Node handles (process.getActiveResourcesInfo); a Worker has none',
}

let world: KvWorld | undefined
let results: CaseResult[] = []
if (!skipWorkerd) {
  if (workerdProblem) throw new Error(workerdProblem)
  world = await kvWorld(SUITE)
  results = (await call(await world.start(), '/', NOT_IN_A_WORKER)) as CaseResult[]
}
afterAll(async () => world?.dispose())

reportCases(results)
