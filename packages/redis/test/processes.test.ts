/**
 * Two real processes share results through one Redis: the engine source is bundled with esbuild
 * into a temporary .mjs, the first child computes and stores, the second child (and this
 * process) get hits. Each child must also exit on its own after close(): a leaked socket or
 * timer would keep it alive.
 */
import { execFile } from 'node:child_process'
import { rmSync } from 'node:fs'
import { dirname } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createRedisEngine } from '../src/engine.js'
import { bundleForNode } from '../../core/test/fixtures/node-bundle.js'
import { redisSkipReason } from './redis-server.js'
import { useRedis } from './use-redis.js'

const skip = redisSkipReason()
if (skip) console.warn(`[redis process tests] skipped: ${skip}`)

const run = promisify(execFile)

const CHILD = `
import { MISS } from '@twat-cache/core'
import { createRedisEngine } from './packages/redis/src/engine.ts'

const [url, namespace, key] = process.argv.slice(2)
const engine = createRedisEngine({ namespace, redis: { url } })
let value = await engine.get(key)
const hit = value !== MISS
if (!hit) {
  value = { by: process.pid, tags: new Set(['a', 'b']), big: 2n ** 70n, when: new Date(86400000) }
  await engine.set(key, value)
}
const typed = value.tags instanceof Set && value.big === 2n ** 70n && value.when instanceof Date
console.log(JSON.stringify({ hit, by: value.by, pid: process.pid, typed }))
await engine.close()
`

interface ChildReport {
  hit: boolean
  by: number
  pid: number
  typed: boolean
}

describe.skipIf(skip !== undefined)('two processes share one Redis', () => {
  const server = useRedis()
  let bundle: string

  beforeAll(async () => {
    bundle = await bundleForNode({ source: CHILD })
  })
  afterAll(() => {
    if (bundle) rmSync(dirname(bundle), { recursive: true, force: true })
  })

  async function child(namespace: string, key: string): Promise<ChildReport> {
    const { stdout } = await run(process.execPath, [bundle, server.url, namespace, key], { timeout: 10_000 })
    return JSON.parse(stdout.trim().split('\n').pop()!) as ChildReport
  }

  it('the first process computes and stores; the second process and this one get hits', async () => {
    const first = await child('shared', 'answer')
    expect(first.hit).toBe(false)
    expect(first.by).toBe(first.pid)
    const second = await child('shared', 'answer')
    expect(second.hit).toBe(true)
    expect(second.pid).not.toBe(first.pid)
    expect(second.by).toBe(first.pid)
    expect(second.typed).toBe(true)

    const here = createRedisEngine({ namespace: 'shared', redis: { url: server.url } })
    try {
      const value = (await here.get('answer')) as { by: number; tags: Set<string> }
      expect(value.by).toBe(first.pid)
      expect(value.tags).toEqual(new Set(['a', 'b']))
    } finally {
      await here.close()
    }
  })

  it('concurrent processes on different keys each see their own value, and each other', async () => {
    const reports = await Promise.all([child('par', 'a'), child('par', 'b'), child('par', 'c')])
    expect(reports.map((r) => r.hit)).toEqual([false, false, false])
    const again = await Promise.all([child('par', 'c'), child('par', 'a'), child('par', 'b')])
    expect(again.map((r) => r.by)).toEqual([reports[2]!.pid, reports[0]!.pid, reports[1]!.pid])
    expect(again.every((r) => r.hit && r.typed)).toBe(true)
  })
})
