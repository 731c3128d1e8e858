import type { ChildProcess } from 'node:child_process'

/**
 * A runtime this machine lacks: locally the test is skipped with a visible warning; with `CI`
 * set it must run (and fail on `reason`), because CI installs every runtime (.ci/run).
 */
export function skipUnless(problem: string | undefined, what: string): boolean {
  if (problem === undefined) return false
  if (process.env.CI) return false
  console.warn(`[runtimes] SKIPPING the ${what} test: ${problem}. With CI set it fails instead.`)
  return true
}

/** Throw `problem` (CI, where a missing runtime is a failure, not a skip). */
export function requireRuntime(problem: string | undefined): void {
  if (problem !== undefined) throw new Error(problem)
}

/** Stop a child process by its PID and wait until it has exited: SIGTERM, then SIGKILL after `graceMs`. */
export async function stopProcess(child: ChildProcess | undefined, graceMs = 5_000): Promise<void> {
  if (!child || child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs)
  await exited
  clearTimeout(timer)
}
