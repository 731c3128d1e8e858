import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { BrowserContext, Page } from 'playwright-core'
import { type StaticServer, chromiumProblem, launchChromium, serveStatic } from '../../../apps/runtimes/test/helpers/chromium.js'
import { bundleSuite } from '../../../apps/runtimes/test/helpers/remote-suite.js'
import { skipUnless } from '../../../apps/runtimes/test/helpers/runtime.js'

export const PACKAGE_DIR = join(dirname(fileURLToPath(import.meta.url)), '..')

/** Locally a missing Chromium skips (with a visible warning); under CI it fails. */
export const skipBrowser = skipUnless(chromiumProblem, 'idb Chromium')
export { chromiumProblem }

/** A page at `/` that loads `/app.js` (a bundle of `source`) and exposes its exports as `window.app`. */
export interface BrowserApp {
  context: BrowserContext
  server: StaticServer
  profile: string
  open(): Promise<Page>
  /** Close the browser and start it again on the same profile (what a restart keeps, IndexedDB keeps). */
  restart(): Promise<void>
  close(): Promise<void>
}

const PAGE = `<!doctype html><html><head><meta charset="utf-8"><link rel="icon" href="data:,"></head><body>
<script type="module">import * as app from '/app.js'; window.app = app; window.ready = true</script></body></html>`

export async function startBrowserApp(source: string, profileDir?: string): Promise<BrowserApp> {
  const code = await bundleSuite(source, PACKAGE_DIR, 'browser')
  const server = await serveStatic({ '/': PAGE, '/app.js': code })
  const profile = profileDir ?? mkdtempSync(join(tmpdir(), 'twat-idb-chromium-'))
  const app: BrowserApp = {
    context: await launchChromium(profile),
    server,
    profile,
    async open() {
      const page = await app.context.newPage()
      page.on('pageerror', (error) => console.error(`[idb page] ${error.message}`))
      await page.goto(`${server.origin}/`)
      await page.waitForFunction('window.ready === true', undefined, { timeout: 15_000 })
      return page
    },
    async restart() {
      await app.context.close()
      app.context = await launchChromium(profile)
    },
    async close() {
      await app.context.close().catch(() => {})
      await server.close()
      if (!profileDir) rmSync(profile, { recursive: true, force: true })
    },
  }
  return app
}

/**
 * A profile directory on its own 48 MiB tmpfs, so Chromium's per-origin quota (a share of the
 * disk it sits on) is a few MiB and a real write can exceed it. Mounting needs root: elsewhere
 * the quota test is skipped locally and fails under CI.
 */
export function smallDisk(): { dir?: string; problem?: string; unmount(): void } {
  if (process.getuid?.() !== 0) return { problem: 'mounting a small tmpfs for a tiny storage quota needs root', unmount: () => {} }
  const dir = mkdtempSync(join(tmpdir(), 'twat-idb-quota-'))
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=48m', 'tmpfs', dir], { stdio: 'pipe' })
  } catch (error) {
    rmSync(dir, { recursive: true, force: true })
    return { problem: `cannot mount a tmpfs (${(error as Error).message.split('\n')[0]})`, unmount: () => {} }
  }
  return {
    dir,
    unmount: () => {
      execFileSync('umount', [dir], { stdio: 'pipe' })
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
