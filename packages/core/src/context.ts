import { type CacheOptions, createCacheConfig } from './config.js'
import { EngineError } from './errors.js'
import { selectEngine } from './registry.js'
import type { Engine } from './types.js'
import { universalNeeds } from './wrap/wrappers.js'

/** An engine whose `close()` runs when the scope ends (`await using`). */
export type ScopedEngine = Engine & AsyncDisposable

/**
 * Create an engine the same way `ucache` chooses one (engine option, redis settings, disk
 * settings, else memory) and leave closing it to the caller.
 */
export function getOrCreateEngine(options: CacheOptions & { namespace?: string } = {}): Engine {
  const config = createCacheConfig(options)
  // ucache's rules, for a caller that will use the engine from async code.
  const needs = universalNeeds(config, async () => {})
  const definition = selectEngine(config, needs)
  try {
    return definition.create({ ...config, namespace: config.namespace ?? 'default' })
  } catch (error) {
    if (error instanceof EngineError) throw error
    throw new EngineError(`could not create engine '${definition.name}': ${(error as Error).message}`, { cause: error })
  }
}

/**
 * A scoped engine, closed when the scope ends:
 * `await using cache = await engineContext({ engine: 'sqlite', folderName: 'x' })`.
 */
export async function engineContext(options: CacheOptions & { namespace?: string } = {}): Promise<ScopedEngine> {
  const engine: Engine = getOrCreateEngine(options)
  // Every engine of the protocol is disposable; a third-party one written without it still
  // gets a scope that closes it.
  if (typeof (engine as Partial<AsyncDisposable>)[Symbol.asyncDispose] !== 'function') {
    Object.defineProperty(engine, Symbol.asyncDispose, { value: async () => (engine as Engine).close(), configurable: true })
  }
  return engine as ScopedEngine
}

/**
 * The reusable form: each `enter()` opens a fresh engine, `exit()` (or `await using`) closes it.
 */
export class CacheContext implements AsyncDisposable {
  readonly #options: CacheOptions & { namespace?: string }
  #engine: Engine | undefined

  constructor(options: CacheOptions & { namespace?: string } = {}) {
    createCacheConfig(options) // fail at construction, not at first use
    this.#options = options
  }

  /** The open engine; throws if the context has not been entered. */
  get engine(): Engine {
    if (!this.#engine) throw new EngineError('CacheContext is not entered: call `await ctx.enter()` first')
    return this.#engine
  }

  async enter(): Promise<Engine> {
    if (this.#engine) throw new EngineError('CacheContext is already entered: exit it before entering again')
    this.#engine = getOrCreateEngine(this.#options)
    return this.#engine
  }

  async exit(): Promise<void> {
    const engine = this.#engine
    this.#engine = undefined
    await engine?.close()
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.exit()
  }
}
