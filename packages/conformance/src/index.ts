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
import { defineSuite } from './suite.js'
import type { DescribeEngineOptions } from './types.js'

export type { DescribeEngineOptions, FakeTimerOptions } from './types.js'

/**
 * Declare the conformance suite for one engine: one `describe(name)` with every case of the
 * contract (falsy values, the type matrix, namespaces, TTL, eviction per declared policy, the
 * `maxBytes` bound where declared, handles after `close()`, every operation after `close()`
 * failing with `EngineClosedError`, registration on import, concurrent writers). Each test gets
 * a fresh engine, a random namespace and key prefix; `afterEach` closes what the test made.
 * Cases the engine cannot run (no `has()`, a policy it does not declare, no persistence) are
 * skipped with the reason shown in the report.
 */
export function describeEngine(options: DescribeEngineOptions): void {
  defineSuite(options)
}
