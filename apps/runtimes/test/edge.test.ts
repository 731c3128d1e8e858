import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Readable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BUILD_TIMEOUT_MS, EXPECTED_FIRST, EXPECTED_SECOND, bundle, describeSize, ensureBuilt, nodeReferences } from './helpers/bundle.js'
import { requireRuntime, skipUnless, stopProcess } from './helpers/runtime.js'

/** Fixed so the worker's behaviour does not move with workerd upgrades; older than any binary we pin. */
const COMPATIBILITY_DATE = '2025-06-01'

/**
 * The workerd binary from the `@cloudflare/workerd-<platform>` package that `workerd` depends on.
 * `workerd`'s main module resolves it (its postinstall is not run: pnpm-workspace.yaml).
 */
function findWorkerd(): { bin?: string; date?: string; problem?: string } {
  let bin: string
  let date: string
  try {
    const pkg = createRequire(import.meta.url)('workerd') as { default: string; compatibilityDate: string }
    bin = pkg.default
    date = pkg.compatibilityDate
  } catch (error) {
    return { problem: `the workerd package or its platform binary is not installed (${(error as Error).message.split('\n')[0]})` }
  }
  try {
    execFileSync(bin, ['--version'], { stdio: 'pipe', timeout: 20_000 })
  } catch (error) {
    return { problem: `${bin} does not run here (${(error as Error).message.split('\n')[0]})` }
  }
  return { bin, date }
}

const workerd = findWorkerd()
const skip = skipUnless(workerd.problem, 'workerd')

/** Services and sockets in workerd's Cap'n Proto text format; port 0 and --control-fd report the real port. */
const CONFIG = `using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [ (name = "main", worker = .consumer) ],
  sockets = [ (name = "http", address = "127.0.0.1:0", http = (), service = "main") ],
);

const consumer :Workerd.Worker = (
  modules = [ (name = "worker.js", esModule = embed "worker.js") ],
  compatibilityDate = "${COMPATIBILITY_DATE}",
);
`

let work: string | undefined
let child: ChildProcess | undefined
let url: string
let stderr = ''

/** Resolve with the port workerd reports on the control descriptor once the `http` socket listens. */
function listenedPort(proc: ChildProcess, timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const control = proc.stdio[3] as Readable
    let buffered = ''
    const fail = (message: string) => {
      clearTimeout(timer)
      reject(new Error(`${message}; workerd stderr:\n${stderr}`))
    }
    const timer = setTimeout(() => fail(`workerd did not report a listening socket within ${timeoutMs} ms`), timeoutMs)
    proc.once('exit', (code, signal) => fail(`workerd exited (code ${code}, signal ${signal}) before listening`))
    control.setEncoding('utf8')
    control.on('data', (chunk: string) => {
      buffered += chunk
      for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
        const line = buffered.slice(0, nl)
        buffered = buffered.slice(nl + 1)
        let message: { event?: string; socket?: string; port?: number }
        try {
          message = JSON.parse(line)
        } catch {
          return fail(`workerd wrote an unreadable control message: ${line}`)
        }
        if (message.event === 'listen' && message.socket === 'http' && message.port) {
          clearTimeout(timer)
          resolve(message.port)
        }
      }
    })
  })
}

/** GET `target`, retrying while the socket is up but the worker is not yet answering. */
async function getJson(target: string): Promise<unknown> {
  for (let attempt = 1; ; attempt++) {
    try {
      const response = await fetch(target, { signal: AbortSignal.timeout(10_000) })
      const body = await response.text()
      if (response.status !== 200) throw new Error(`HTTP ${response.status}: ${body}`)
      return JSON.parse(body)
    } catch (error) {
      if (attempt >= 20 || child?.exitCode !== null) throw new Error(`GET ${target} failed: ${(error as Error).message}; workerd stderr:\n${stderr}`)
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  }
}

describe.skipIf(skip)("in Cloudflare's workerd", () => {
  beforeAll(async () => {
    requireRuntime(workerd.problem)
    if (workerd.date! < COMPATIBILITY_DATE) throw new Error(`workerd ${workerd.date} predates compatibility date ${COMPATIBILITY_DATE}`)
    ensureBuilt()
    const worker = await bundle('src/worker.ts', 'edge')
    expect(nodeReferences(worker.code)).toEqual([])
    console.log(describeSize('worker bundle', worker))

    work = mkdtempSync(join(tmpdir(), 'twat-runtimes-workerd-'))
    writeFileSync(join(work, 'worker.js'), worker.code)
    writeFileSync(join(work, 'config.capnp'), CONFIG)
    child = spawn(workerd.bin!, ['serve', join(work, 'config.capnp'), '--control-fd=3'], {
      cwd: work,
      stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
    })
    child.stderr!.setEncoding('utf8')
    child.stderr!.on('data', (chunk: string) => {
      stderr += chunk
    })
    url = `http://127.0.0.1:${await listenedPort(child, 30_000)}/`
  }, BUILD_TIMEOUT_MS + 60_000)

  afterAll(async () => {
    await stopProcess(child)
    if (work) rmSync(work, { recursive: true, force: true })
  })

  it('serves the consumer, and the isolate keeps the cache across requests', async () => {
    expect(await getJson(url)).toEqual(EXPECTED_FIRST)
    expect(await getJson(url)).toEqual(EXPECTED_SECOND)
    expect(child!.exitCode).toBeNull()
  })

  it('stops cleanly when asked', async () => {
    const proc = child!
    await stopProcess(proc)
    expect(proc.exitCode !== null || proc.signalCode !== null).toBe(true)
    await expect(fetch(url, { signal: AbortSignal.timeout(5_000) })).rejects.toThrow()
  })
})
