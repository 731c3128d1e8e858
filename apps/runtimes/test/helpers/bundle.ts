import { existsSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'
import { build } from 'esbuild'
import { ensureBuilt as ensureBuiltPackages, nodeBuiltinReferences } from '../../../bundle-check/test/build.js'
import type { ConsumerResult } from '../../src/consumer.js'

/** The monorepo root, found from this file so the tests do not depend on the working directory. */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..')
const APP = join(ROOT, 'apps/runtimes')
/** A cold build of core and lru on 2 shared cores takes well under a minute; leave room. */
export const BUILD_TIMEOUT_MS = 180_000

/**
 * What `runConsumer()` reports on its first and second call in one module instance, wherever
 * it runs. First call: fib(30) misses once per n in 0..30 (31) and hits fib(n-2) for n in 3..30
 * (28); fib(10) and the second fib(30) hit; area misses once, then hits with the keys reordered.
 * Second call: all five top-level calls hit and no body runs again.
 */
export const EXPECTED_FIRST: ConsumerResult = {
  values: [832040, 55, 832040, 6, 6],
  hits: 31,
  misses: 32,
  engine: 'lru',
  computed: 32,
  runs: 1,
}
export const EXPECTED_SECOND: ConsumerResult = { ...EXPECTED_FIRST, hits: 36, runs: 2 }

/** The bundles read the built packages (`dist/`), as a user's bundler would. */
const BUILT_ENTRIES = ['packages/core/dist/index.js', 'packages/lru/dist/index.js']

/**
 * Build core and lru when their `dist/` is missing (the root `pnpm test` builds first; this is
 * for `npx vitest run apps/runtimes` on a fresh checkout). Test files run in parallel workers,
 * so the build runs under a directory lock and the others wait, then re-check.
 */
export function ensureBuilt(): void {
  ensureBuiltPackages(['core', 'lru'])
  const still = BUILT_ENTRIES.filter((file) => !existsSync(join(ROOT, file)))
  if (still.length > 0) throw new Error(`turbo build did not produce ${still.join(', ')}; run \`pnpm turbo run build\` and read its errors`)
}


export interface Bundle {
  code: string
  minBytes: number
  gzipBytes: number
  /** Imports the bundle leaves to the runtime (must be none: the page and the worker load one file). */
  externalImports: string[]
}

/**
 * Bundle `entry` (relative to apps/runtimes) as a frontend or edge build would: ESM, minified,
 * tree-shaken, browser conditions (`workerd`/`worker` first for the edge).
 */
export async function bundle(entry: string, target: 'browser' | 'edge'): Promise<Bundle> {
  const result = await build({
    entryPoints: [join(APP, entry)],
    absWorkingDir: ROOT,
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    minify: true,
    write: false,
    metafile: true,
    logLevel: 'silent',
    ...(target === 'edge' ? { conditions: ['workerd', 'worker', 'browser'] } : {}),
    // The root tsconfig.json maps @twat-cache/* to sources for the type checker, and esbuild
    // would follow it. A user's build resolves through package.json exports to dist/.
    tsconfigRaw: '{}',
  })
  const code = result.outputFiles[0]!.text
  const output = Object.values(result.metafile.outputs)[0]!
  return {
    code,
    minBytes: Buffer.byteLength(code),
    gzipBytes: gzipSync(code, { level: 9 }).length,
    externalImports: output.imports.map((entry) => entry.path),
  }
}

/** Every way a bundle could still reach for a Node built-in at run time (shared with apps/bundle-check). */
export const nodeReferences = nodeBuiltinReferences

/** One line for the test log, e.g. `browser consumer: 69.7 KB min, 23.4 KB min+gzip`. */
export function describeSize(label: string, b: Bundle): string {
  const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`
  return `[runtimes] ${label}: ${kb(b.minBytes)} min, ${kb(b.gzipBytes)} min+gzip (${b.gzipBytes} bytes)`
}

/**
 * Bundle a user's TypeScript `source` (e.g. a docs page's example app) as their build would:
 * esbuild with default TypeScript settings (not the repo's verbatimModuleSyntax, which keeps
 * type-only imports), the packages resolved from `resolveDir` to their built `dist/`.
 */
export async function bundleUserSource(source: string, resolveDir: string, target: 'browser' | 'edge'): Promise<string> {
  const result = await build({
    stdin: { contents: source, resolveDir, sourcefile: 'app.ts', loader: 'ts' },
    bundle: true,
    format: 'esm',
    platform: 'browser',
    write: false,
    logLevel: 'silent',
    ...(target === 'edge' ? { conditions: ['workerd', 'worker', 'browser'] } : {}),
    tsconfigRaw: '{}',
  })
  return result.outputFiles[0]!.text
}
