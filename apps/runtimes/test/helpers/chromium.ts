import { existsSync } from 'node:fs'
import { type Server, createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { type BrowserContext, chromium } from 'playwright-core'

/** Debian's Chromium (TOOLCHAIN.md); npm packages that download their own browser fail here. */
export const CHROMIUM = '/usr/bin/chromium'
/** Without the background-networking flags Chromium dials out into a closed network. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]

/** Why Chromium cannot run here, or `undefined`. */
export const chromiumProblem = existsSync(CHROMIUM) ? undefined : `${CHROMIUM} not found: install it with \`apt-get install -y chromium\``

/** Chromium on a profile directory (IndexedDB lives there, so a second launch on it sees the same data). */
export function launchChromium(profile: string): Promise<BrowserContext> {
  return chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, timeout: 60_000 })
}

export interface StaticServer {
  origin: string
  requested: string[]
  close(): Promise<void>
}

/** Serve `routes` (path → HTML or JS) on a free loopback port; anything else is a 404. */
export async function serveStatic(routes: Record<string, string>): Promise<StaticServer> {
  const requested: string[] = []
  const server: Server = createServer((req, res) => {
    requested.push(req.url ?? '')
    const body = routes[req.url ?? '']
    if (body === undefined) return res.writeHead(404).end()
    res.writeHead(200, {
      'content-type': (req.url ?? '').endsWith('.js') ? 'text/javascript; charset=utf-8' : 'text/html; charset=utf-8',
      'cache-control': 'no-store',
    })
    res.end(body)
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', resolve)
  })
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requested,
    close: async () => {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
