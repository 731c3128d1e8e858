import { describe, expect, it } from 'vitest'
import {
  clearCache,
  getStats,
  mcache,
} from '../src/index.js'
import { resetLogsAfterEach } from './wrappers-support.js'

resetLogsAfterEach()

describe('process-wide stats', () => {
  it('getStats lists every cached function and clearCache clears by name', async () => {
    const probe = mcache()(function statsProbe(x: number) {
      return x
    })
    probe(1)
    probe(1)
    const entry = getStats().functions.find((s) => s.name === 'statsProbe')
    expect(entry).toMatchObject({ hits: 1, misses: 1, size: 1, engine: 'memory' })
    expect(entry?.namespace).toMatch(/^statsProbe-[0-9a-f]+/)
    await clearCache('statsProbe')
    expect(probe.cacheInfo().size).toBe(0)
  })
})
