import type { Engine } from '@twat-cache/core'
import { expect, it } from 'vitest'
import { type Harness, MISS } from '../harness.js'

const MAX_BYTES = 4096
/**
 * Each value is an ASCII string of this many characters: whatever an engine counts (UTF-8
 * bytes, a serialized form, a heap estimate), one entry costs at least this much, so at most
 * `MAX_BYTES / VALUE_CHARS` of them fit under the bound.
 */
const VALUE_CHARS = 1000
const FIT = Math.floor(MAX_BYTES / VALUE_CHARS)

async function present(engine: Engine, keys: string[]): Promise<string[]> {
  const found: string[] = []
  for (const k of keys) if ((await engine.get(k)) !== MISS) found.push(k)
  return found
}

export function maxBytesCases(h: Harness): void {
  it('maxBytes bounds the stored size by evicting', async (ctx) => {
    const caps = await h.capabilities()
    ctx.skip(!caps.maxBytes, 'engine does not declare capabilities.maxBytes')
    // maxsize far above what fits, so only the byte bound can be what evicts.
    const engine = await h.make({ maxBytes: MAX_BYTES, maxsize: 1000 })
    const keys = Array.from({ length: 30 }, (_, i) => h.key(i))
    for (const [i, k] of keys.entries()) await engine.set(k, String(i % 10).repeat(VALUE_CHARS))
    const kept = await present(engine, keys)
    expect(kept.length, `kept ${kept.length} values of ${VALUE_CHARS} characters under maxBytes ${MAX_BYTES}`).toBeLessThanOrEqual(FIT)
    // It evicted to make room, rather than refusing new entries.
    expect(kept).toContain(keys.at(-1))
    expect(await engine.get(keys.at(-1)!)).toBe('9'.repeat(VALUE_CHARS))
    if (engine.size) expect(await engine.size()).toBeLessThanOrEqual(FIT)
  })

  it('maxBytes: an entry larger than the bound is never stored', async (ctx) => {
    const caps = await h.capabilities()
    ctx.skip(!caps.maxBytes, 'engine does not declare capabilities.maxBytes')
    const engine = await h.make({ maxBytes: MAX_BYTES, maxsize: 1000 })
    const small = h.key('small')
    await engine.set(small, 's')
    await engine.set(h.key('huge'), 'x'.repeat(MAX_BYTES * 2))
    expect(await engine.get(h.key('huge'))).toBe(MISS)
    // An overwrite that no longer fits removes the old value instead of keeping a stale one.
    await engine.set(small, 'y'.repeat(MAX_BYTES * 2))
    expect(await engine.get(small)).toBe(MISS)
  })
}
