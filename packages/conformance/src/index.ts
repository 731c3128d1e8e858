/**
 * The one test suite every twat-cache engine must pass. A backend's `test/conformance.test.ts`
 * is a single call:
 *
 * ```ts
 * import { describeEngine } from '@twat-cache/conformance'
 * import { SQLITE_CAPABILITIES, createSqliteEngine } from '../src/engine.js'
 *
 * describeEngine({
 *   name: 'sqlite',
 *   create: (config) => createSqliteEngine(config),
 *   capabilities: SQLITE_CAPABILITIES,
 *   importEntry: () => import('@twat-cache/sqlite'),
 *   importEngine: () => import('@twat-cache/sqlite/engine'),
 *   configOverrides: { cacheDir: tmp },
 * })
 * ```
 *
 * The suite reads `engine.capabilities` (the object the selector reads), so a test can never
 * drift from what the engine claims. Cases an engine cannot run are skipped visibly, with the
 * reason in the report.
 */
import type { CacheOptions, Engine, EngineCapabilities, EngineConfig } from '@twat-cache/core'
import type { vi } from 'vitest'
import { defineSuite } from './suite.js'

/** Options of `vi.useFakeTimers`, as vitest types them. */
export type FakeTimerOptions = NonNullable<Parameters<typeof vi.useFakeTimers>[0]>

export interface DescribeEngineOptions {
  /** The engine's registered name, e.g. `'sqlite'`; also the `describe()` title. */
  name: string
  /**
   * Make a fresh engine. `config` comes from `createCacheConfig({ ...configOverrides, ...case })`
   * plus a random `namespace`; cases add `maxsize`, `ttl` and `policy`.
   */
  create: (config: EngineConfig) => Engine | Promise<Engine>
  /**
   * The capabilities the package exports (e.g. `SQLITE_CAPABILITIES`). When given, they must
   * deep-equal `engine.capabilities`; the suite itself always reads `engine.capabilities`.
   */
  capabilities?: EngineCapabilities
  /** `() => import('@twat-cache/x')`: importing it must register `name`. Skipped if absent. */
  importEntry?: () => Promise<unknown>
  /** `() => import('@twat-cache/x/engine')`: importing it must not register. Skipped if absent. */
  importEngine?: () => Promise<unknown>
  /**
   * Merged into every config, e.g. `{ cacheDir: tmp }` or `{ redis: { url } }`. Read each time
   * an engine is made, so a `beforeAll` may still fill it in (a server started at run time).
   */
  configOverrides?: CacheOptions
  /**
   * How TTL expiry is driven: `'fake'` (vitest fake timers, for engines whose expiry we own) or
   * `'real'` (short real sleeps, for native TTL such as Redis).
   * @default `'real'` if `capabilities.ttl === 'native'`, else `'fake'`
   */
  timeMode?: 'fake' | 'real'
  /**
   * The TTL unit in milliseconds for `timeMode: 'real'`; each TTL case sleeps about 1.5× it.
   * @default 300
   */
  realTtl?: number
  /**
   * Fake-timer settings for `timeMode: 'fake'`. Add `'performance'` for engines whose clock is
   * `performance.now()`; keep only `'Date'` for engines that await timers inside operations.
   * @default { toFake: ['Date', 'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] }
   */
  fakeTimers?: FakeTimerOptions
  /**
   * Two engines made from the same config (same file, same server) see each other's entries;
   * turns on the cross-instance and persistence assertions.
   * @default `capabilities.persistent || capabilities.shared !== 'process'`
   */
  sharedStore?: boolean
}

/**
 * Declare the conformance suite for one engine: one `describe(name)` with every case of the
 * contract (falsy values, the type matrix, namespaces, TTL, eviction per declared policy,
 * handles after `close()`, registration on import, concurrent writers). Each test gets a fresh
 * engine, a random namespace and key prefix; `afterEach` closes what the test made. Cases the
 * engine cannot run (no `has()`, a policy it does not declare, no persistence) are skipped
 * with the reason shown in the report.
 */
export function describeEngine(options: DescribeEngineOptions): void {
  defineSuite(options)
}
