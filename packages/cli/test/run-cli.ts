/**
 * Runs the built `twat-cache` as a real child process. The build (turbo, cached when up to date)
 * happens once per test file, under the lock every test app takes before building.
 */
import { execFile, execFileSync } from 'node:child_process'
import { readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { BUILD_LOCK, ROOT, withLock } from '../../../apps/bundle-check/test/build.js'

export const BIN = join(ROOT, 'packages/cli/dist/bin.js')
export const BUILD_TIMEOUT_MS = 300_000

/** The packages the CLI runs from their dist/. */
const PACKAGES = ['core', 'sqlite', 'flat-cache', 'redis', 'cli']

/** Every src/**.ts has a dist/**.js at least as new. */
function upToDate(): boolean {
  for (const pkg of PACKAGES) {
    const src = join(ROOT, 'packages', pkg, 'src')
    for (const file of readdirSync(src, { recursive: true }) as string[]) {
      if (!file.endsWith('.ts')) continue
      const built = statSync(join(ROOT, 'packages', pkg, 'dist', file.replace(/\.ts$/, '.js')), { throwIfNoEntry: false })
      if (!built || built.mtimeMs < statSync(join(src, file)).mtimeMs) return false
    }
  }
  return true
}

/**
 * Build the CLI and the packages it imports, unless their dist/ is newer than every source.
 * The check matters: several test files run at once, and a rebuild (which empties dist/)
 * while another file's CLI process is starting would fail that process.
 */
export function buildCli(): void {
  if (upToDate()) return
  withLock(BUILD_LOCK, () => {
    if (upToDate()) return
    execFileSync('pnpm', ['turbo', 'run', 'build', '--filter=@twat-cache/cli...', '--output-logs=errors-only'], {
      cwd: ROOT,
      stdio: 'pipe',
      env: { ...process.env, TURBO_TELEMETRY_DISABLED: '1' },
    })
  })
}

export interface Result {
  code: number
  stdout: string
  stderr: string
}

/** Run `twat-cache ...args`; never rejects on a non-zero exit. */
export function cli(args: string[], env: Record<string, string | undefined> = {}): Promise<Result> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { env: { ...process.env, NO_COLOR: undefined, TWAT_CACHE_DIR: undefined, ...env }, timeout: 60_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0
      resolve({ code, stdout, stderr })
    })
  })
}

/** Run and parse stdout as JSON, failing with the CLI's stderr when it did not succeed. */
export async function cliJson<T>(args: string[], env?: Record<string, string | undefined>): Promise<T> {
  const result = await cli([...args, '--json'], env)
  if (result.code !== 0) throw new Error(`twat-cache ${args.join(' ')} exited ${result.code}: ${result.stderr}`)
  return JSON.parse(result.stdout) as T
}
