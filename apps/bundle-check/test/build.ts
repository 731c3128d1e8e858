import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs'
import { builtinModules } from 'node:module'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The monorepo root, found from this file so the tests do not depend on the working directory. */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..')
export const PACKAGES_DIR = join(ROOT, 'packages')
/** For the hooks that may build: a cold build of every package on 2 shared cores takes ~1 min. */
export const BUILD_TIMEOUT_MS = 300_000
/** The one lock every test app takes before building. */
export const BUILD_LOCK = join(ROOT, 'node_modules/.cache/twat-build.lock')

/** Directory names under packages/ that hold a package.json (every published package). */
export function packageDirs(): string[] {
  return readdirSync(PACKAGES_DIR)
    .filter((dir) => existsSync(join(PACKAGES_DIR, dir, 'package.json')))
    .sort()
}

/** True when the package's root entry has been built. */
export function isBuilt(dir: string): boolean {
  return existsSync(join(PACKAGES_DIR, dir, 'dist', 'index.js'))
}

/**
 * These checks read the built output, not the sources. The root `pnpm test` builds first; when a
 * file here runs on its own, build what is missing. `--continue` lets the packages that compile
 * be built even if another one does not, so each package's own assertion reports the failure.
 */
export function ensureBuilt(dirs: string[]): void {
  if (dirs.every(isBuilt)) return
  // Both test files may get here at once in separate workers; two turbo builds writing the
  // same dist/ would race, so the second waits for the first and then re-checks.
  withLock(BUILD_LOCK, () => build(dirs.filter((dir) => !isBuilt(dir))))
}

function build(missing: string[]): void {
  if (missing.length === 0) return
  const filters = missing.map((dir) => `--filter=./packages/${dir}`)
  try {
    execFileSync('pnpm', ['turbo', 'run', 'build', '--continue', ...filters], {
      cwd: ROOT,
      stdio: 'pipe',
      env: { ...process.env, TURBO_TELEMETRY_DISABLED: '1' },
    })
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: Buffer; stderr?: Buffer }
    console.error(`turbo build of ${missing.join(', ')} failed:\n${stdout?.toString() ?? ''}${stderr?.toString() ?? ''}`)
  }
}

const sleepSync = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms)

/**
 * Run `task` holding a directory lock (mkdir is atomic); a lock older than 5 minutes is stale.
 * Every test app that may build takes {@link BUILD_LOCK}, so two turbo builds never race.
 */
export function withLock(lock: string, task: () => void): void {
  mkdirSync(dirname(lock), { recursive: true })
  for (;;) {
    try {
      mkdirSync(lock)
      break
    } catch {
      const age = Date.now() - (statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now())
      if (age > 300_000) rmSync(lock, { recursive: true, force: true })
      sleepSync(250)
    }
  }
  try {
    task()
  } finally {
    rmSync(lock, { recursive: true, force: true })
  }
}

const builtinNames = builtinModules.filter((name) => !name.startsWith('_')).map((name) => name.replace(/[/]/g, '\\/'))
const builtinAlternation = `(?:node:[\\w/]+|${builtinNames.join('|')})`

/** Every way a bundle could still reach for a Node built-in at run time. */
export function nodeBuiltinReferences(code: string): string[] {
  const patterns = [
    // Any `node:` specifier in a string, whatever imports it.
    /["'`]node:[\w/]+["'`]/g,
    new RegExp(`\\bfrom\\s*["'\`]${builtinAlternation}["'\`]`, 'g'),
    new RegExp(`\\bimport\\s*\\(?\\s*["'\`]${builtinAlternation}["'\`]`, 'g'),
    new RegExp(`\\brequire\\s*\\(\\s*["'\`]${builtinAlternation}["'\`]\\s*\\)`, 'g'),
    // esbuild's shim for a CommonJS require it could not resolve: throws in a browser.
    /Dynamic require of/g,
  ]
  return patterns.flatMap((pattern) => code.match(pattern) ?? [])
}
