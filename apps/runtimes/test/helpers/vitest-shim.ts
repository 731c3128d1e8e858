/**
 * The part of vitest's API the conformance suite uses, for running it where vitest cannot run:
 * a browser page and a Workers isolate. `bundleSuite` (remote-suite.ts) bundles the suite with
 * `vitest` aliased to this file; `runSuite()` then runs every collected case in order and
 * returns one result per case, which the Node-side test turns back into vitest tests.
 *
 * Assertions are vitest's own (`@vitest/expect` on chai), so a case means the same thing here
 * as under vitest. Fake timers are not offered: the remote suites use `timeMode: 'real'`.
 */
// @vitest/expect is vitest's own dependency: remote-suite.ts aliases it for the bundler; the
// type checker cannot resolve it from here.
// @ts-expect-error -- resolved by the bundle's alias
import { JestAsymmetricMatchers, JestChaiExpect, JestExtend, chai, setState } from '@vitest/expect'

chai.use(JestExtend)
chai.use(JestChaiExpect)
chai.use(JestAsymmetricMatchers)

type Hook = () => unknown
interface Context {
  skip(condition?: boolean, note?: string): void
}
type TestFn = (ctx: Context) => unknown
interface Case {
  name: string
  fn: TestFn
  skipped?: string
}
interface Suite {
  name: string
  cases: (Case | Suite)[]
  beforeAll: Hook[]
  beforeEach: Hook[]
  afterEach: Hook[]
}

/** What one case did, as the Node side reports it. */
export interface CaseResult {
  name: string
  status: 'passed' | 'failed' | 'skipped'
  /** The failure's message and stack, or the reason for a skip. */
  detail?: string
  ms: number
}

const root: Suite = { name: '', cases: [], beforeAll: [], beforeEach: [], afterEach: [] }
let current = root

class Skip extends Error {}

export function expect(value: unknown, message?: string): unknown {
  setState({ assertionCalls: 0, isExpectingAssertions: false, isExpectingAssertionsError: null, expectedAssertionsNumber: null, expectedAssertionsNumberErrorGen: null, testPath: undefined, currentTestName: '' } as never, expect as never)
  return chai.expect(value, message)
}

export function describe(name: string, fn: () => void): void {
  const suite: Suite = { name, cases: [], beforeAll: [], beforeEach: [], afterEach: [] }
  current.cases.push(suite)
  const parent = current
  current = suite
  try {
    fn()
  } finally {
    current = parent
  }
}

/** vitest's `%s` / `%i` placeholders, filled from the row's elements in order. */
function title(template: string, row: unknown): string {
  const values = Array.isArray(row) ? [...row] : [row]
  return template.replace(/%[sdif]/g, () => String(values.shift()))
}

function addCase(name: string, fn: TestFn, skipped?: string): void {
  current.cases.push({ name, fn, ...(skipped === undefined ? {} : { skipped }) })
}

export const it = Object.assign((name: string, fn: TestFn) => addCase(name, fn), {
  skipIf: (condition: unknown) => (name: string, fn: TestFn) => addCase(name, fn, condition ? 'skipIf' : undefined),
  each:
    <T>(rows: readonly T[]) =>
    (template: string, fn: (...args: unknown[]) => unknown) => {
      for (const row of rows) addCase(title(template, row), () => fn(...(Array.isArray(row) ? row : [row])))
    },
  for:
    <T>(rows: readonly T[]) =>
    (template: string, fn: (row: T, ctx: Context) => unknown) => {
      for (const row of rows) addCase(title(template, row), (ctx) => fn(row, ctx))
    },
})
export const test = it

export const beforeAll = (fn: Hook): void => void current.beforeAll.push(fn)
export const beforeEach = (fn: Hook): void => void current.beforeEach.push(fn)
export const afterEach = (fn: Hook): void => void current.afterEach.push(fn)

const unsupported = (what: string) => () => {
  throw new Error(`${what} is not available in this runtime: run the suite with timeMode 'real'`)
}
export const vi = {
  useFakeTimers: unsupported('vi.useFakeTimers'),
  advanceTimersByTimeAsync: unsupported('vi.advanceTimersByTimeAsync'),
  useRealTimers: (): void => {},
  resetModules: (): void => {},
}

function describeError(error: unknown): string {
  return error instanceof Error ? `${error.message}\n${error.stack ?? ''}` : String(error)
}

/**
 * Run every collected case (depth first, in declaration order); `skip` maps a case's full name
 * (or a prefix of it) to the reason it cannot run in this runtime.
 */
export async function runSuite(skip: Record<string, string> = {}, timeoutMs = 20_000): Promise<CaseResult[]> {
  const results: CaseResult[] = []
  const walk = async (suite: Suite, ancestors: Suite[]): Promise<void> => {
    const chain = [...ancestors, suite]
    for (const hook of suite.beforeAll) await hook()
    for (const item of suite.cases) {
      if ('cases' in item) {
        await walk(item, chain)
        continue
      }
      const name = [...chain.slice(1).map((s) => s.name), item.name].join(' > ')
      const reason = item.skipped ?? Object.entries(skip).find(([prefix]) => name.startsWith(prefix))?.[1]
      if (reason !== undefined) {
        results.push({ name, status: 'skipped', detail: reason, ms: 0 })
        continue
      }
      results.push(await runCase(name, item, chain, timeoutMs))
    }
  }
  await walk(root, [])
  return results
}

async function runCase(name: string, item: Case, chain: Suite[], timeoutMs: number): Promise<CaseResult> {
  const started = Date.now()
  let status: CaseResult['status'] = 'passed'
  let detail: string | undefined
  const ctx: Context = {
    skip(condition = true, note) {
      if (condition) throw new Skip(note ?? 'skipped')
    },
  }
  let timer: ReturnType<typeof setTimeout> | undefined
  try {
    for (const suite of chain) for (const hook of suite.beforeEach) await hook()
    await Promise.race([
      item.fn(ctx),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs)
      }),
    ])
  } catch (error) {
    status = error instanceof Skip ? 'skipped' : 'failed'
    detail = error instanceof Skip ? error.message : describeError(error)
  } finally {
    clearTimeout(timer)
  }
  // afterEach hooks run innermost first, as in vitest, and even after a failure.
  for (const suite of [...chain].reverse()) {
    for (const hook of suite.afterEach) {
      try {
        await hook()
      } catch (error) {
        status = 'failed'
        detail = `${detail ?? ''}\nafterEach: ${describeError(error)}`
      }
    }
  }
  return { name, status, ...(detail === undefined ? {} : { detail }), ms: Date.now() - started }
}
