import { type Engine, EngineClosedError, type SyncEngine } from '@twat-cache/core'
import { expect, it } from 'vitest'
import { type Harness, failure } from '../harness.js'

/** Every operation of the protocol, called the way a cached function (or `clearCache`) would. */
const OPERATIONS: Record<string, (engine: Engine, key: string) => unknown> = {
  get: (e, k) => e.get(k),
  set: (e, k) => e.set(k, 1),
  'set with ttl': (e, k) => e.set(k, 1, { ttl: 60_000 }),
  delete: (e, k) => e.delete(k),
  clear: (e) => e.clear(),
  has: (e, k) => e.has?.(k),
  size: (e) => e.size?.(),
  stats: (e) => e.stats?.(),
  // A sync engine may throw when keys() is called or when it is iterated; both are "the call".
  keys: (e) => (e.capabilities.mode === 'sync' ? [...(e.keys!() as Iterable<string>)] : drain(e.keys!() as AsyncIterable<string>)),
}

const OPTIONAL = new Set(['has', 'size', 'stats', 'keys'])

async function drain(keys: AsyncIterable<string>): Promise<void> {
  for await (const _ of keys);
}

export function closedCases(h: Harness): void {
  it.for(Object.keys(OPERATIONS))('after close(), %s fails with EngineClosedError', async (op, ctx) => {
    const engine = await h.make()
    ctx.skip(OPTIONAL.has(op) && typeof engine[op as keyof Engine] !== 'function', `engine has no ${op}()`)
    await engine.set(h.key('x'), 1)
    await h.close(engine)
    const error = await failure(engine, () => OPERATIONS[op]!(engine, h.key('x')))
    expect(error, `${op} after close()`).toBeInstanceOf(EngineClosedError)
    expect((error as EngineClosedError).code).toBe('E_ENGINE_CLOSED')
    // The engine's own error, not one of a part it is built from (l1's memory tier).
    expect((error as EngineClosedError).engine, `${op} after close()`).toBe(engine.name)
  })

  it('after close(), the error names the engine', async () => {
    const engine = await h.make()
    await h.close(engine)
    const error = await failure(engine, () => engine.get(h.key('x')))
    expect(error).toBeInstanceOf(EngineClosedError)
    expect((error as EngineClosedError).engine).toBe(engine.name)
    expect((error as EngineClosedError).message).toMatch(`[twat-cache:${engine.name}] the engine is closed`)
  })

  it('close() again is a no-op, and the engine stays closed', async () => {
    const engine = await h.make()
    await engine.set(h.key('x'), 1)
    await h.close(engine)
    await expect(Promise.resolve().then(() => engine.close())).resolves.toBeUndefined()
    await expect(Promise.resolve().then(() => engine[Symbol.asyncDispose]())).resolves.toBeUndefined()
    if (engine.capabilities.mode === 'sync') expect(() => (engine as SyncEngine)[Symbol.dispose]()).not.toThrow()
    expect(await failure(engine, () => engine.get(h.key('x')))).toBeInstanceOf(EngineClosedError)
  })
}
