import { type Engine, type EngineDefinition, createCacheConfig, getEngine, registerEngine, unregisterEngine } from '@twat-cache/core'
import { expect, it, vi } from 'vitest'
import { type Harness, activeResources, leakedSince, sleep, trackHandles } from '../harness.js'

/** Handles can take a few ticks to go (a socket's 'close' event): poll briefly before judging. */
async function leaksAfter(before: Map<string, number>, handles: () => string[], within = 1000): Promise<string[]> {
  const deadline = Date.now() + within
  const leaks = () => [...leakedSince(before), ...handles()]
  let leaked = leaks()
  while (leaked.length > 0 && Date.now() < deadline) {
    await sleep(20)
    leaked = leaks()
  }
  return leaked
}

/** Use an engine the way a cached function would, including a ttl entry (which may start a timer). */
async function exercise(h: Harness, engine: Engine): Promise<void> {
  await engine.set(h.key('x'), { v: 1 })
  await engine.get(h.key('x'))
  await engine.get(h.key('missing'))
  if (engine.capabilities.ttl) await engine.set(h.key('t'), 1, { ttl: 60_000 })
  await engine.delete(h.key('x'))
}

async function withRegistrySaved(name: string, body: () => Promise<void>): Promise<void> {
  const saved = getEngine(name) as EngineDefinition<never> | undefined
  try {
    await body()
  } finally {
    unregisterEngine(name)
    if (saved) registerEngine(saved)
  }
}

export function lifecycleCases(h: Harness): void {
  it.for(['close', 'asyncDispose', 'dispose'] as const)('%s() leaves no handles behind', async (how, ctx) => {
    const caps = await h.capabilities()
    ctx.skip(how === 'dispose' && caps.mode === 'async', 'async engines have no Symbol.dispose')
    await sleep(0)
    const before = activeResources()
    const handles = trackHandles()
    try {
      const engine = await h.make()
      await exercise(h, engine)
      await h.close(engine, how)
      const leaked = await leaksAfter(before, handles.pending)
      expect(leaked, `left running after ${how}(): ${leaked.join('; ')}`).toEqual([])
    } finally {
      handles.stop()
    }
  })

  it('close() twice does not throw', async () => {
    const engine = await h.make()
    await engine.set(h.key('x'), 1)
    await h.close(engine)
    await expect(Promise.resolve().then(() => engine.close())).resolves.toBeUndefined()
  })

  it('importing the package entry registers the engine', async (ctx) => {
    const { importEntry, name } = h.options
    ctx.skip(!importEntry, 'no importEntry given')
    await withRegistrySaved(name, async () => {
      unregisterEngine(name)
      vi.resetModules()
      await importEntry!()
      const definition = getEngine(name)
      expect(definition?.name).toBe(name)
      // The registered definition is what the selector reads: it must match the engine it makes.
      const config = { ...createCacheConfig(h.options.configOverrides), namespace: h.namespace }
      const engine = await definition!.create(config)
      try {
        expect(definition!.capabilities).toEqual(engine.capabilities)
        await engine.set(h.key('reg'), 1)
        expect(await engine.get(h.key('reg'))).toBe(1)
      } finally {
        await engine.close()
      }
    })
  })

  it('importing the /engine subpath does not register the engine', async (ctx) => {
    const { importEngine, name } = h.options
    ctx.skip(!importEngine, 'no importEngine given')
    await withRegistrySaved(name, async () => {
      unregisterEngine(name)
      vi.resetModules()
      const mod = (await importEngine!()) as Record<string, unknown>
      expect(getEngine(name)).toBeUndefined()
      expect(Object.values(mod).some((v) => typeof v === 'function')).toBe(true)
    })
  })
}
