import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createRedisEngine } from '@twat-cache/redis/engine'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type RedisServer, redisSkipReason, startRedis } from '../../redis/test/redis-server.js'
import type { NamespaceRow } from '../src/index.js'
import { BUILD_TIMEOUT_MS, buildCli, cli, cliJson } from './run-cli.js'

// Throws under CI when redis-server is missing: there these tests must run.
const skip = redisSkipReason()
if (skip) console.warn(`twat-cache CLI Redis tests skipped: ${skip}`)

let server: RedisServer | undefined
const empty = mkdtempSync(join(tmpdir(), 'twat-cli-redis-'))
const engine = (namespace: string) => createRedisEngine({ namespace, redis: { url: server!.url } })

beforeAll(async () => {
  if (skip) return
  buildCli()
  server = await startRedis()
  for (const [namespace, n] of [['fib', 3], ['a:b', 2], ['users', 4]] as const) {
    const e = engine(namespace)
    for (let i = 0; i < n; i++) await e.set(`[${i}]`, { i, tags: new Set([i]) })
    // Tag state (its own keys under the prefix) must not show up as a namespace.
    if (namespace === 'users') {
      await e.keepTags!(60_000) // without a tagged lifetime noted, a mark keeps no record
      await e.markTags!(['user:7'], 'invalidate', Date.now())
    }
    await e.close()
  }
}, BUILD_TIMEOUT_MS)
afterAll(async () => {
  await server?.stop()
  rmSync(empty, { recursive: true, force: true })
})

describe.skipIf(skip !== undefined)('twat-cache on a real redis-server', () => {
  const args = () => ['--dir', empty, '--redis-url', server!.url]

  it('ls --json lists the namespaces under the twat-cache: prefix, decoded', async () => {
    const rows = await cliJson<NamespaceRow[]>(['ls', ...args()])
    expect(rows.map((r) => [r.engine, r.namespace, r.entries])).toEqual([
      ['redis', 'a:b', 2],
      ['redis', 'fib', 3],
      ['redis', 'users', 4],
    ])
    expect(rows.every((r) => r.bytes > 0 && r.location === server!.url && r.expired === 0)).toBe(true)
  })

  it('inspect decodes a value', async () => {
    const one = await cliJson<{ matches: { entries: { key: string; preview: string }[] }[] }>(['inspect', 'users', '[2]', ...args()])
    expect(one.matches[0]!.entries[0]).toMatchObject({ key: '[2]' })
    expect(one.matches[0]!.entries[0]!.preview).toContain('Set(1) { 2 }')
  })

  it('clear removes one namespace through the engine; the others stay', async () => {
    const result = await cliJson<{ entries: number }>(['clear', 'a:b', '--yes', ...args()])
    expect(result.entries).toBe(2)
    const [ab, fib] = [engine('a:b'), engine('fib')]
    try {
      expect(await ab.size()).toBe(0)
      expect(await fib.size()).toBe(3)
    } finally {
      await Promise.all([ab.close(), fib.close()])
    }
  })

  it('a database the server does not have is a failure, never database 0 instead', async () => {
    // redis-server has 16 databases by default; ioredis carries on in 0 when SELECT 99 fails.
    for (const args of [['ls'], ['clear', '--all', '--yes']]) {
      const result = await cli([...args, '--dir', empty, '--redis-url', `${server!.url}/99`])
      expect(result.code, args.join(' ')).toBe(1)
      expect(result.stderr).toMatch(/database 99/)
      expect(result.stdout).toBe('')
    }
    const fib = engine('fib')
    try {
      expect(await fib.size()).toBe(3)
    } finally {
      await fib.close()
    }
  })

  it('an unreachable server is a failure (exit 1) naming it', async () => {
    const result = await cli(['ls', '--dir', empty, '--redis-url', 'redis://127.0.0.1:1'])
    expect(result.code).toBe(1)
    expect(result.stderr).toContain('127.0.0.1:1')
  })
})
