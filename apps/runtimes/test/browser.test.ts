import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BUILD_TIMEOUT_MS, EXPECTED_FIRST, EXPECTED_SECOND, bundle, describeSize, ensureBuilt, nodeReferences } from './helpers/bundle.js'
import { type StaticServer, chromiumProblem as problem, launchChromium, serveStatic } from './helpers/chromium.js'
import { requireRuntime, skipUnless } from './helpers/runtime.js'

const skip = skipUnless(problem, 'Chromium')

// The page runs the consumer on load and again on each click, and shows each report as JSON.
const PAGE = `<!doctype html>
<html><head><meta charset="utf-8"><title>twat-cache in Chromium</title><link rel="icon" href="data:,"></head>
<body>
<button id="again">run again</button>
<pre id="result" data-runs="0"></pre>
<script type="module">
import { runConsumer } from '/consumer.js'
const out = document.getElementById('result')
function show() {
  const report = runConsumer()
  out.textContent = JSON.stringify(report)
  out.dataset.runs = String(report.runs)
}
show()
document.getElementById('again').addEventListener('click', show)
</script>
</body></html>`

let server: StaticServer | undefined
let context: BrowserContext | undefined
let profile: string | undefined
let page: Page
let origin: string
const pageErrors: string[] = []


/** The report the page shows once it has run the consumer `runs` times. */
async function report(runs: number): Promise<unknown> {
  const result = page.locator(`#result[data-runs="${runs}"]`)
  await result.waitFor({ timeout: 15_000 })
  return JSON.parse(await result.innerText())
}

describe.skipIf(skip)('in headless Chromium (Debian chromium + playwright-core)', () => {
  beforeAll(async () => {
    requireRuntime(problem)
    ensureBuilt()
    const consumer = await bundle('src/consumer.ts', 'browser')
    expect(nodeReferences(consumer.code)).toEqual([])
    console.log(describeSize('page bundle', consumer))

    server = await serveStatic({ '/': PAGE, '/consumer.js': consumer.code })
    origin = server.origin

    profile = mkdtempSync(join(tmpdir(), 'twat-runtimes-chromium-'))
    context = await launchChromium(profile)
    page = context.pages()[0] ?? (await context.newPage())
    page.on('pageerror', (error) => pageErrors.push(error.message))
    page.on('console', (message) => {
      if (message.type() === 'error') pageErrors.push(message.text())
    })
  }, BUILD_TIMEOUT_MS + 60_000)

  afterAll(async () => {
    // Closing the context ends Chromium and all its helper processes.
    await context?.close().catch(() => {})
    await server?.close()
    if (profile) rmSync(profile, { recursive: true, force: true })
  })

  it('computes the values and cache counts of the consumer, and keeps them across clicks', async () => {
    await page.goto(`${origin}/`)
    expect(await report(1)).toEqual(EXPECTED_FIRST)
    await page.click('#again')
    expect(await report(2)).toEqual(EXPECTED_SECOND)

    expect(await page.evaluate('navigator.userAgent')).toMatch(/HeadlessChrome\/\d+/)
    expect(pageErrors).toEqual([])
    expect(server!.requested).toEqual(['/', '/consumer.js'])
  })
})
