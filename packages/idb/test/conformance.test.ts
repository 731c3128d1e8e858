/**
 * The conformance suite in real headless Chromium: the cases are bundled with the engine (vitest's
 * API shimmed, its own assertions kept), run in a page against the browser's IndexedDB, and each
 * result is reported here as a test. TTL cases run on real time with a 300 ms unit.
 */
import { afterAll } from 'vitest'
import { type CaseResult, reportCases } from '../../../apps/runtimes/test/helpers/remote-suite.js'
import { type BrowserApp, chromiumProblem, skipBrowser, startBrowserApp } from './browser.js'

const SUITE = `
import { describeEngine } from '@twat-cache/conformance'
import { IDB_CAPABILITIES, createIdbEngine } from '@twat-cache/idb/engine'
export { runSuite } from 'vitest'
describeEngine({ name: 'idb', create: (config) => createIdbEngine(config), capabilities: IDB_CAPABILITIES, timeMode: 'real', realTtl: 300 })
`

/** Cases that need Node itself; the Node-side tests (idb.test.ts) cover registration on import. */
const NOT_IN_A_BROWSER = {
  'idb > lifecycle > close() leaves no handles': 'counts Node handles (process.getActiveResourcesInfo); a page has none',
  'idb > lifecycle > asyncDispose() leaves no handles': 'counts Node handles (process.getActiveResourcesInfo); a page has none',
}

let app: BrowserApp | undefined
let results: CaseResult[] = []
if (!skipBrowser) {
  if (chromiumProblem) throw new Error(chromiumProblem)
  app = await startBrowserApp(SUITE)
  const page = await app.open()
  results = (await page.evaluate(`window.app.runSuite(${JSON.stringify(NOT_IN_A_BROWSER)})`)) as CaseResult[]
}
afterAll(async () => app?.close())

reportCases(results)
