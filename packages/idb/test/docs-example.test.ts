/**
 * The complete page of docs/engines/idb.md, bundled from the page as a user's build would
 * (esbuild, default TypeScript settings, the built packages) and clicked in headless Chromium.
 * Its `fetch` to the users API is answered here, so the test counts the requests that reach it.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launchChromium, serveStatic, type StaticServer } from '../../../apps/runtimes/test/helpers/chromium.js'
import { BUILD_TIMEOUT_MS, ROOT, ensureBuilt } from '../../../apps/bundle-check/test/build.js'
import { codeBlocks } from '../../../apps/docs-check/test/markdown.js'
import { bundleUserSource } from '../../../apps/runtimes/test/helpers/bundle.js'
import { PACKAGE_DIR, chromiumProblem, skipBrowser } from './browser.js'

const blocks = codeBlocks(readFileSync(join(ROOT, 'docs/engines/idb.md'), 'utf8'))
const html = blocks.find((block) => block.lang === 'html')?.code
const app = blocks.find((block) => block.code.startsWith('// app.ts'))?.code

describe.skipIf(skipBrowser)('the page of docs/engines/idb.md in headless Chromium', () => {
  const fetched: string[] = []
  let server: StaticServer | undefined
  let context: BrowserContext | undefined
  let profile: string | undefined

  beforeAll(async () => {
    if (chromiumProblem) throw new Error(chromiumProblem)
    if (!html || !app) throw new Error("docs/engines/idb.md lacks its html block or the block starting with '// app.ts'")
    ensureBuilt(['core', 'idb'])
    const code = await bundleUserSource(app, PACKAGE_DIR, 'browser')
    server = await serveStatic({ '/': html, '/app.js': code })
    profile = mkdtempSync(join(tmpdir(), 'twat-idb-docs-'))
    context = await launchChromium(profile)
    await context.route('https://jsonplaceholder.typicode.com/**', (route) => {
      fetched.push(route.request().url())
      return route.fulfill({ json: { id: 1, name: 'Leanne Graham' } })
    })
  }, BUILD_TIMEOUT_MS)
  afterAll(async () => {
    await context?.close().catch(() => {})
    await server?.close()
    if (profile) rmSync(profile, { recursive: true, force: true })
  })

  const click = async (page: Page) => {
    await page.evaluate(() => (document.getElementById('out')!.textContent = ''))
    await page.click('#load')
    await page.waitForFunction(() => document.getElementById('out')!.textContent !== '')
    return page.locator('#out').innerText()
  }

  it('fetches once; later clicks, a reload and another tab read IndexedDB', async () => {
    const page = await context!.newPage()
    await page.goto(`${server!.origin}/`)
    expect(await click(page)).toMatch(/"name": "Leanne Graham"[\s\S]*ms \(idb\)$/)
    await click(page)
    await page.reload()
    expect(await click(page)).toMatch(/"name": "Leanne Graham"[\s\S]*\(idb\)$/)
    const other = await context!.newPage()
    await other.goto(`${server!.origin}/`)
    expect(await click(other)).toMatch(/\(idb\)$/)
    expect(fetched).toEqual(['https://jsonplaceholder.typicode.com/users/1'])
  })
})
