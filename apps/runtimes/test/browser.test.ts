import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { type Server, createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type BrowserContext, type Page, chromium } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BUILD_TIMEOUT_MS, EXPECTED_FIRST, EXPECTED_SECOND, bundle, describeSize, ensureBuilt, nodeReferences } from './helpers/bundle.js'
import { requireRuntime, skipUnless } from './helpers/runtime.js'

/** Debian's Chromium (TOOLCHAIN.md); npm packages that download their own browser fail here. */
const CHROMIUM = '/usr/bin/chromium'
/** The probe's flags: without the background-networking ones Chromium dials out into a closed network. */
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]

const problem = existsSync(CHROMIUM) ? undefined : `${CHROMIUM} not found: install it with \`apt-get install -y chromium\``
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

let server: Server | undefined
let context: BrowserContext | undefined
let profile: string | undefined
let page: Page
let origin: string
const requested: string[] = []
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

    server = createServer((req, res) => {
      requested.push(req.url ?? '')
      const body = req.url === '/' ? PAGE : req.url === '/consumer.js' ? consumer.code : undefined
      if (body === undefined) return res.writeHead(404).end()
      res.writeHead(200, {
        'content-type': req.url === '/' ? 'text/html; charset=utf-8' : 'text/javascript; charset=utf-8',
        'cache-control': 'no-store',
      })
      res.end(body)
    })
    await new Promise<void>((resolve, reject) => {
      server!.once('error', reject)
      server!.listen(0, '127.0.0.1', resolve)
    })
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`

    profile = mkdtempSync(join(tmpdir(), 'twat-runtimes-chromium-'))
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      timeout: 60_000,
    })
    page = context.pages()[0] ?? (await context.newPage())
    page.on('pageerror', (error) => pageErrors.push(error.message))
    page.on('console', (message) => {
      if (message.type() === 'error') pageErrors.push(message.text())
    })
  }, BUILD_TIMEOUT_MS + 60_000)

  afterAll(async () => {
    // Closing the context ends Chromium and all its helper processes.
    await context?.close().catch(() => {})
    if (server) {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server!.close(() => resolve()))
    }
    if (profile) rmSync(profile, { recursive: true, force: true })
  })

  it('computes the values and cache counts of the consumer, and keeps them across clicks', async () => {
    await page.goto(`${origin}/`)
    expect(await report(1)).toEqual(EXPECTED_FIRST)
    await page.click('#again')
    expect(await report(2)).toEqual(EXPECTED_SECOND)

    expect(await page.evaluate('navigator.userAgent')).toMatch(/HeadlessChrome\/\d+/)
    expect(pageErrors).toEqual([])
    expect(requested).toEqual(['/', '/consumer.js'])
  })
})
