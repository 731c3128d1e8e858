/** The options of `describeEngine`, shared by the entry point and the harness. */
import type { CacheOptions, Engine, EngineCapabilities, EngineConfig } from '@twat-cache/core'
import type { vi } from 'vitest'

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
