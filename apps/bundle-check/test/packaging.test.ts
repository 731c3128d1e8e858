import { execFile } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { publint } from 'publint'
import { formatMessage } from 'publint/utils'
import { beforeAll, describe, it } from 'vitest'
import { BUILD_TIMEOUT_MS, PACKAGES_DIR, ROOT, ensureBuilt, isBuilt, packageDirs } from './build.js'

const run = promisify(execFile)
const ATTW = join(ROOT, 'node_modules/.bin/attw')
// attw's JSON lists every problem; its `esm-only` profile ignores these resolution modes
// (the exit code honours the profile, the JSON does not), so filter the same way.
const ESM_ONLY_IGNORED = new Set(['node10', 'node16-cjs'])

interface AttwProblem {
  kind: string
  entrypoint?: string
  resolutionKind?: string
}

const dirs = packageDirs()
// The packages are checked concurrently (each tool packs into its own place: publint into a
// temp dir, attw's `npm pack` into the package's dir), which cuts the wall time by about a third on 2 cores.
const TOOL_TIMEOUT_MS = 120_000

beforeAll(() => {
  ensureBuilt(dirs)
}, BUILD_TIMEOUT_MS)

describe.concurrent.each(dirs)('packages/%s', (dir) => {
  const pkgDir = join(PACKAGES_DIR, dir)

  it('is built', ({ expect }) => {
    expect(isBuilt(dir), `packages/${dir}/dist/index.js is missing: its build failed or was not run`).toBe(true)
  })

  it('passes publint (warnings count as failures)', async ({ expect }) => {
    expect(isBuilt(dir), `packages/${dir} is not built`).toBe(true)
    const { messages, pkg } = await publint({ pkgDir, level: 'warning', pack: 'pnpm' })
    const lines = messages.map((m) => `${m.type}: ${formatMessage(m, pkg, { color: false }) ?? m.code}`)
    if (lines.length) console.log(`publint packages/${dir}:\n  ${lines.join('\n  ')}`)
    expect(lines).toEqual([])
  }, TOOL_TIMEOUT_MS)

  it('passes attw --profile esm-only', async ({ expect }) => {
    expect(isBuilt(dir), `packages/${dir} is not built`).toBe(true)
    let stdout: string
    try {
      ;({ stdout } = await run(ATTW, ['--pack', pkgDir, '--profile', 'esm-only', '--format', 'json'], { cwd: ROOT }))
    } catch (error) {
      // Exit code 1 means problems were found, and the JSON report is still on stdout.
      const failure = error as { code?: number; stdout?: string; stderr?: string }
      if (failure.code !== 1 || !failure.stdout) throw new Error(`attw failed to run on packages/${dir}: ${failure.stderr ?? String(error)}`)
      stdout = failure.stdout
    }
    const report = JSON.parse(stdout) as { analysis: { types: unknown; problems?: AttwProblem[] } }
    expect(report.analysis.types, `packages/${dir} publishes no types`).toBeTruthy()
    const problems = (report.analysis.problems ?? [])
      .filter((p) => p.resolutionKind === undefined || !ESM_ONLY_IGNORED.has(p.resolutionKind))
      .map((p) => `${p.kind} at ${p.entrypoint ?? '?'} (${p.resolutionKind ?? 'any resolution'})`)
    if (problems.length) console.log(`attw packages/${dir}:\n  ${problems.join('\n  ')}`)
    expect(problems).toEqual([])
  }, TOOL_TIMEOUT_MS)

  it('publishes only dist and the manifest points into it', ({ expect }) => {
    const manifest = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')) as {
      files?: string[]
      type?: string
      sideEffects?: unknown
      exports?: Record<string, unknown>
    }
    expect(manifest.type).toBe('module')
    expect(manifest.files).toEqual(['dist'])
    expect(manifest.sideEffects, 'sideEffects must be explicit (false or a list)').toBeDefined()
    for (const [subpath, target] of Object.entries(manifest.exports ?? {})) {
      if (subpath === './package.json') continue
      expect(Object.keys(target as object)[0], `exports["${subpath}"]: types must come first`).toBe('types')
    }
  })
})
