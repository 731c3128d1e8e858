import { createHook } from 'node:async_hooks'
import { type CacheOptions, type Engine, type EngineCapabilities, MISS, createCacheConfig } from '@twat-cache/core'
import { afterEach, beforeEach, vi } from 'vitest'
import type { DescribeEngineOptions, FakeTimerOptions } from './types.js'

/** What a case may pass when it makes an engine: any cache option, and its own namespace. */
export type CaseConfig = CacheOptions & { namespace?: string }

export interface Clock {
  readonly mode: 'fake' | 'real'
  /** The TTL unit: a case sets ttl = unit and checks at 0.4× and 1.4× of it. */
  readonly unit: number
  /** A span that is "forever" compared with the unit. */
  readonly long: number
  advance(ms: number): Promise<void>
}

const DEFAULT_FAKES: FakeTimerOptions = {
  toFake: ['Date', 'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'],
}

export function randomId(): string {
  return Math.random().toString(36).slice(2, 10)
}

export function isThenable(value: unknown): boolean {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  )
}

/**
 * How `call` failed: sync engines must throw at once (a sync caller never sees a promise), async
 * engines must return a promise that rejects (a caller's `.catch` must see it). Anything else,
 * including a miss or a plain `Error`, is reported as what it was.
 */
export async function failure(engine: Engine, call: () => unknown): Promise<unknown> {
  let result: unknown
  try {
    result = call()
  } catch (error) {
    return engine.capabilities.mode === 'sync' ? error : `threw synchronously instead of rejecting: ${String(error)}`
  }
  if (!isThenable(result)) return `returned ${String(result)} instead of throwing`
  if (engine.capabilities.mode === 'sync') return 'returned a promise from a sync engine'
  try {
    return `resolved to ${String(await result)} instead of rejecting`
  } catch (error) {
    return error
  }
}

/** `keys()` of a sync or async engine, sorted. */
export async function collectKeys(engine: Engine): Promise<string[]> {
  const out: string[] = []
  for await (const key of engine.keys!()) out.push(key)
  return out.sort()
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/** Counts of `process.getActiveResourcesInfo()` by type. */
export function activeResources(): Map<string, number> {
  const counts = new Map<string, number>()
  for (const type of process.getActiveResourcesInfo()) counts.set(type, (counts.get(type) ?? 0) + 1)
  return counts
}

/** Resource types with more live handles now than in `before` (vitest's own are in both). */
export function leakedSince(before: Map<string, number>): string[] {
  const leaked: string[] = []
  for (const [type, n] of activeResources()) {
    const extra = n - (before.get(type) ?? 0)
    if (extra > 0) leaked.push(`${type} ×${extra}`)
  }
  return leaked
}

/** Handle types that keep running (or keep the process alive) until someone closes them. */
const HANDLE_TYPES = new Set([
  'Timeout', 'Immediate', 'TCPWRAP', 'TCPSERVERWRAP', 'PIPEWRAP', 'PIPESERVERWRAP', 'UDPWRAP', 'TLSWRAP',
  'PROCESSWRAP', 'FSEVENTWRAP', 'STATWATCHER', 'SIGNALWRAP', 'FILEHANDLE', 'WORKER', 'MESSAGEPORT', 'TTYWRAP',
])
/** Handles the test runner makes for itself while a test runs (its RPC, its timeouts). */
const RUNNER_FRAMES = /[\\/](?:vitest|@vitest|tinypool|birpc|tinyspy)[\\/]/

/** The first stack frame outside Node's internals and this hook: who made the handle. */
function callerFrame(): string {
  const limit = Error.stackTraceLimit
  Error.stackTraceLimit = 30
  const stack = new Error('handle created').stack ?? ''
  Error.stackTraceLimit = limit
  for (const line of stack.split('\n').slice(1)) {
    if (line.includes('AsyncHook.init') || line.includes('(node:') || line.includes('at node:')) continue
    return line.trim()
  }
  return 'at <unknown>'
}

/**
 * `getActiveResourcesInfo()` lists only ref'd handles, by type, so an unref'd expiry timer
 * that outlives `close()` goes unseen. This async hook records every handle made while it is
 * enabled (except the runner's own), and forgets it when it is destroyed: what is left after
 * `close()` is a leak, reported with the frame that made it.
 */
export function trackHandles(): { pending(): string[]; stop(): void } {
  const live = new Map<number, { type: string; caller: string; resource: { _destroyed?: boolean } }>()
  const hook = createHook({
    init(id, type, _trigger, resource) {
      if (!HANDLE_TYPES.has(type)) return
      const caller = callerFrame()
      if (!RUNNER_FRAMES.test(caller)) live.set(id, { type, caller, resource: resource as never })
    },
    destroy(id) {
      live.delete(id)
    },
  }).enable()
  return {
    // A cleared Timeout is marked at once; its destroy event is queued and may come later.
    pending: () => [...live.values()].filter((h) => h.resource._destroyed !== true).map((h) => `${h.type} created ${h.caller}`),
    stop: () => hook.disable(),
  }
}

/**
 * Per-describe state: a fresh random namespace and key prefix per test, every engine made in
 * the test closed in `afterEach` (after real timers are back, so a close that awaits a timer
 * cannot hang on a frozen clock).
 */
export class Harness {
  readonly options: DescribeEngineOptions
  namespace = ''
  #prefix = ''
  #open: Engine[] = []
  #caps: EngineCapabilities | undefined

  constructor(options: DescribeEngineOptions) {
    this.options = options
    beforeEach(() => {
      this.namespace = `conf-${randomId()}`
      this.#prefix = `k${randomId()}:`
    })
    afterEach(async () => {
      vi.useRealTimers()
      // Close every engine even if one close() throws, then report the first failure.
      const results = await Promise.allSettled(this.#open.splice(0).map(async (engine) => engine.close()))
      const failed = results.find((r) => r.status === 'rejected')
      if (failed) throw failed.reason
    })
  }

  /** A key unique to this test. */
  key(name: string | number): string {
    return `${this.#prefix}${name}`
  }

  /** A fresh engine, closed after the test. */
  async make(overrides: CaseConfig = {}): Promise<Engine> {
    const { namespace = this.namespace, ...rest } = overrides
    const config = { ...createCacheConfig({ ...this.options.configOverrides, ...rest }), namespace }
    const engine = await this.options.create(config)
    this.#caps ??= engine.capabilities
    this.#open.push(engine)
    return engine
  }

  /** Close now (the suite's own close cases); `afterEach` will not close it again. */
  async close(engine: Engine, how: 'close' | 'asyncDispose' | 'dispose' = 'close'): Promise<void> {
    const at = this.#open.indexOf(engine)
    if (at >= 0) this.#open.splice(at, 1)
    if (how === 'close') await engine.close()
    else if (how === 'asyncDispose') await engine[Symbol.asyncDispose]()
    else (engine as { [Symbol.dispose](): void })[Symbol.dispose]()
  }

  /**
   * What the engine itself declares (never the `capabilities` option, which is only compared
   * with it), probing with a throw-away engine if none was made yet.
   */
  async capabilities(): Promise<EngineCapabilities> {
    if (!this.#caps) await this.close(await this.make())
    return this.#caps!
  }

  /** Must be called before `make()`: fake timers have to be installed before the engine reads the clock. */
  async clock(): Promise<Clock> {
    const caps = await this.capabilities()
    const mode = this.options.timeMode ?? (caps.ttl === 'native' ? 'real' : 'fake')
    if (mode === 'fake') {
      vi.useFakeTimers(this.options.fakeTimers ?? DEFAULT_FAKES)
      return { mode, unit: 1000, long: 86_400_000, advance: (ms) => vi.advanceTimersByTimeAsync(ms).then(() => {}) }
    }
    const unit = this.options.realTtl ?? 300
    return { mode, unit, long: unit * 3, advance: sleep }
  }

  /** Whether two engines with the same config share entries. */
  async sharedStore(): Promise<boolean> {
    if (this.options.sharedStore !== undefined) return this.options.sharedStore
    const caps = await this.capabilities()
    return caps.persistent || caps.shared !== 'process'
  }
}

export { MISS }
