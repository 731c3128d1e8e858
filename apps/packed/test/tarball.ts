/**
 * Packing helpers for the packed-install test: build what is missing, `pnpm pack` each package,
 * and read the tarballs. No vitest import, so other apps may reuse them.
 */
import { execFile, execFileSync } from 'node:child_process'
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { gunzipSync } from 'node:zlib'
import { BUILD_LOCK, withLock } from '../../bundle-check/test/build.js'

const run = promisify(execFile)

/** The monorepo root, found from this file so the test does not depend on the working directory. */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..')
export const PACKAGES_DIR = join(ROOT, 'packages')
/** A cold build of every package on 2 shared cores takes about a minute. */
export const BUILD_TIMEOUT_MS = 300_000
/**
 * The same lock apps/bundle-check takes before building: two turbo builds writing one dist/ at
 * once would let a reader see half-written files.
 */

/** Directory names under packages/ that hold a package.json: every published package. */
export function packageDirs(): string[] {
  return readdirSync(PACKAGES_DIR)
    .filter((dir) => existsSync(join(PACKAGES_DIR, dir, 'package.json')))
    .sort()
}

/**
 * Environment for child processes (pnpm, node, tsc) without what `pnpm test` exports to its
 * scripts: `npm_config_*` from the workspace would otherwise configure the fresh project's
 * install as if it were part of the workspace.
 */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^(npm_|pnpm_)/i.test(key) && key !== 'INIT_CWD') env[key] = value
  }
  return { ...env, TURBO_TELEMETRY_DISABLED: '1', ...extra }
}

/** Source files (`src/**\/*.ts`) whose `dist/**\/*.js` is missing or older than the source. */
function outdated(dir: string): string[] {
  const src = join(PACKAGES_DIR, dir, 'src')
  const found: string[] = []
  const walk = (at: string) => {
    for (const entry of readdirSync(at, { withFileTypes: true })) {
      const path = join(at, entry.name)
      if (entry.isDirectory()) walk(path)
      else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) {
        const out = join(PACKAGES_DIR, dir, 'dist', relative(src, path).replace(/\.ts$/, '.js'))
        const built = statSync(out, { throwIfNoEntry: false })
        if (!built || built.mtimeMs < statSync(path).mtimeMs) found.push(relative(ROOT, path))
      }
    }
  }
  if (existsSync(src)) walk(src)
  return found
}

/**
 * The tarballs must hold what the sources say. The root `pnpm test` builds first; run on its
 * own, this builds every package when any output is missing or older than its source.
 * `--continue` builds what compiles; a package that does not is reported by its own checks.
 */
export function ensureBuilt(dirs: string[]): void {
  if (dirs.every((dir) => outdated(dir).length === 0)) return
  withLock(BUILD_LOCK, () => {
    if (dirs.every((dir) => outdated(dir).length === 0)) return
    try {
      execFileSync('pnpm', ['turbo', 'run', 'build', '--continue'], { cwd: ROOT, stdio: 'pipe', env: cleanEnv() })
    } catch (error) {
      const { stdout, stderr } = error as { stdout?: Buffer; stderr?: Buffer }
      console.error(`turbo build failed:\n${stdout?.toString() ?? ''}${stderr?.toString() ?? ''}`)
    }
  })
}


export interface Packed {
  /** Directory name under packages/. */
  dir: string
  name: string
  version: string
  tarball: string
  /** Size of the .tgz in bytes. */
  packedBytes: number
  /** Sum of the file sizes inside. */
  unpackedBytes: number
  /** Paths inside the tarball, without the leading `package/`, sorted. */
  files: string[]
  /** The package.json as packed (with `workspace:` ranges rewritten). */
  manifest: Manifest
  /** File contents by path, for the checks that read them. */
  read(path: string): string
}

export interface Manifest {
  name: string
  version: string
  exports?: Record<string, unknown>
  files?: string[]
  dependencies?: Record<string, string>
  peerDependencies?: Record<string, string>
  devDependencies?: Record<string, string>
  [field: string]: unknown
}

/** `pnpm pack` one package into `dest` and read the tarball back. */
export async function pack(dir: string, dest: string): Promise<Packed> {
  const { stdout } = await run('pnpm', ['pack', '--pack-destination', dest, '--json'], {
    cwd: join(PACKAGES_DIR, dir),
    env: cleanEnv(),
    maxBuffer: 16 * 1024 * 1024,
  })
  const report = JSON.parse(stdout) as { name: string; version: string; filename: string }
  const entries = readTarball(report.filename)
  const manifest = JSON.parse(entries.get('package.json')?.toString('utf8') ?? 'null') as Manifest | null
  if (!manifest) throw new Error(`${report.filename} holds no package/package.json`)
  return {
    dir,
    name: report.name,
    version: report.version,
    tarball: report.filename,
    packedBytes: statSync(report.filename).size,
    unpackedBytes: [...entries.values()].reduce((sum, data) => sum + data.length, 0),
    files: [...entries.keys()].sort(),
    manifest,
    read: (path) => {
      const data = entries.get(path)
      if (!data) throw new Error(`${path} is not in ${report.filename}`)
      return data.toString('utf8')
    },
  }
}

/** Pack every package, a few at a time (each pnpm start costs ~0.5 s of one of two cores). */
export async function packAll(dirs: string[], dest: string, parallel = 3): Promise<Packed[]> {
  const results: Packed[] = []
  const queue = [...dirs]
  const worker = async () => {
    for (let dir = queue.shift(); dir !== undefined; dir = queue.shift()) results.push(await pack(dir, dest))
  }
  await Promise.all(Array.from({ length: parallel }, worker))
  return results.sort((a, b) => a.dir.localeCompare(b.dir))
}

/**
 * The regular files of a .tgz by path (minus the `package/` prefix). A small ustar reader, so
 * the test does not depend on which `tar` the machine has; pax headers are honoured for names.
 */
export function readTarball(file: string): Map<string, Buffer> {
  const data = gunzipSync(readFileSync(file))
  const files = new Map<string, Buffer>()
  let paxPath: string | undefined
  for (let offset = 0; offset + 512 <= data.length; ) {
    const header = data.subarray(offset, offset + 512)
    if (header.every((byte) => byte === 0)) break
    const field = (start: number, length: number) => header.toString('utf8', start, start + length).replace(/\0.*$/s, '')
    const size = Number.parseInt(field(124, 12).trim() || '0', 8)
    const type = field(156, 1) || '0'
    const prefix = field(345, 155)
    const body = data.subarray(offset + 512, offset + 512 + size)
    if (type === 'x') {
      paxPath = /\d+ path=([^\n]*)\n/.exec(body.toString('utf8'))?.[1]
    } else {
      if (type === '0' || type === '7') {
        const name = paxPath ?? (prefix ? `${prefix}/${field(0, 100)}` : field(0, 100))
        files.set(name.replace(/^package\//, ''), Buffer.from(body))
      }
      paxPath = undefined
    }
    offset += 512 + Math.ceil(size / 512) * 512
  }
  return files
}

/** `12.3 KB` */
export const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`
