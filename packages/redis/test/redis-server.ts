/**
 * A real redis-server for tests and benchmarks, on a free loopback port, in a throw-away
 * directory, with persistence off. No vitest import, so apps/bench can use it too.
 *
 * redis-server cannot choose its own port (`--port 0` disables TCP), so we ask Node for a free
 * one, start the server there, and poll PING until it answers; if the port was taken in the
 * meantime the server exits and we try again on another one.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createConnection, createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export interface RedisServer {
  readonly host: string
  /** Stays the same across `restart()`. */
  readonly port: number
  /** `redis://127.0.0.1:<port>` (with the password, if one was set). */
  readonly url: string
  /** The current process id (changes on `restart()`). */
  readonly pid: number
  /** SIGTERM, then SIGKILL after 5 s; resolves once the process has exited. Idempotent. */
  stop(): Promise<void>
  /** Kill without a clean shutdown (default SIGKILL), to simulate a crash; resolves on exit. */
  kill(signal?: NodeJS.Signals): Promise<void>
  /** Start again on the same port (after `kill`/`stop`); resolves once it answers PING. */
  restart(): Promise<void>
}

export interface StartRedisOptions {
  /** Start with `--requirepass`. */
  password?: string
  /** Listen on this port instead of a free one (e.g. where a client is already waiting). */
  port?: number
  /** A config file, passed first (Sentinel mode needs one it can rewrite). */
  configFile?: string
  /** Extra redis-server arguments, e.g. `['--cluster-enabled', 'yes']`. */
  args?: readonly string[]
}

const HOST = '127.0.0.1'
const BINARY = 'redis-server'

let available: boolean | undefined

/** Whether `redis-server` is on PATH (checked once). */
export function redisServerAvailable(): boolean {
  available ??= spawnSync(BINARY, ['--version'], { stdio: 'ignore' }).status === 0
  return available
}

/**
 * `undefined` if the Redis tests can run; otherwise why not. Throws when `CI` is set, because
 * in CI these tests must never be skipped silently.
 */
export function redisSkipReason(): string | undefined {
  if (redisServerAvailable()) return undefined
  const reason = `${BINARY} is not on PATH: install it (apt-get install -y redis-server) to run the Redis tests`
  if (process.env.CI) throw new Error(`CI is set but ${reason}`)
  return reason
}

/** A port the OS considers free right now (it may be taken again before we use it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.unref()
    server.once('error', reject)
    server.listen(0, HOST, () => {
      const address = server.address()
      const port = typeof address === 'object' && address ? address.port : 0
      server.close(() => (port ? resolve(port) : reject(new Error('could not get a free port'))))
    })
  })
}

/** Start a server; retries on a new port if the chosen one was taken meanwhile. */
export async function startRedis(options: StartRedisOptions = {}): Promise<RedisServer> {
  if (!redisServerAvailable()) throw new Error(`${BINARY} is not on PATH`)
  const dir = mkdtempSync(join(tmpdir(), 'twat-redis-'))
  let lastError: unknown
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = options.port ?? (await freePort())
    try {
      const child = await launch(port, dir, options)
      return handle(child, port, dir, options)
    } catch (error) {
      lastError = error
    }
  }
  rmSync(dir, { recursive: true, force: true })
  throw new Error(`could not start ${BINARY}: ${String(lastError)}`, { cause: lastError })
}

function handle(first: ChildProcess, port: number, dir: string, options: StartRedisOptions): RedisServer {
  let child: ChildProcess | undefined = first
  const auth = options.password === undefined ? '' : `:${encodeURIComponent(options.password)}@`
  const server: RedisServer = {
    host: HOST,
    port,
    url: `redis://${auth}${HOST}:${port}`,
    get pid() {
      return child?.pid ?? -1
    },
    async stop() {
      await terminate(child, 'SIGTERM')
      child = undefined
      rmSync(dir, { recursive: true, force: true })
    },
    async kill(signal: NodeJS.Signals = 'SIGKILL') {
      await terminate(child, signal)
      child = undefined
    },
    async restart() {
      await terminate(child, 'SIGTERM')
      child = undefined
      let lastError: unknown
      // The port was ours a moment ago; only a TIME_WAIT race or a thief can take it.
      for (let attempt = 0; attempt < 20; attempt++) {
        try {
          child = await launch(port, dir, options)
          return
        } catch (error) {
          lastError = error
          await sleep(100)
        }
      }
      throw new Error(`could not restart ${BINARY} on port ${port}: ${String(lastError)}`, { cause: lastError })
    },
  }
  return server
}

async function launch(port: number, dir: string, options: StartRedisOptions): Promise<ChildProcess> {
  const args = [...(options.configFile ? [options.configFile] : []), '--port', String(port), '--bind', HOST, '--save', '', '--appendonly', 'no', '--dir', dir]
  if (options.password !== undefined) args.push('--requirepass', options.password)
  args.push(...(options.args ?? []))
  const child = spawn(BINARY, args, { stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  const collect = (chunk: Buffer) => {
    if (output.length < 4000) output += chunk.toString()
  }
  child.stdout?.on('data', collect)
  child.stderr?.on('data', collect)
  let exited = false
  child.once('exit', () => (exited = true))
  const deadline = Date.now() + 10_000
  while (Date.now() < deadline) {
    if (exited) throw new Error(`${BINARY} exited on port ${port}: ${output.trim().split('\n').slice(-3).join(' | ')}`)
    if (await answers(port)) {
      // Stop collecting: the pipes must not keep data flowing into a buffer we never read.
      child.stdout?.removeListener('data', collect).resume()
      child.stderr?.removeListener('data', collect).resume()
      return child
    }
    await sleep(20)
  }
  await terminate(child, 'SIGKILL')
  throw new Error(`${BINARY} did not answer PING on port ${port} within 10 s`)
}

/** True once something on the port replies to PING like Redis does (`+PONG`, or `-NOAUTH`). */
function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: HOST, port })
    let reply = ''
    const done = (ok: boolean) => {
      socket.destroy()
      resolve(ok)
    }
    socket.setTimeout(500, () => done(false))
    socket.once('error', () => done(false))
    socket.once('connect', () => socket.write('PING\r\n'))
    socket.on('data', (chunk) => {
      reply += chunk.toString()
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG') || reply.startsWith('-NOAUTH'))
    })
  })
}

async function terminate(child: ChildProcess | undefined, signal: NodeJS.Signals): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  child.kill(signal)
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
  await exited
  clearTimeout(timer)
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
