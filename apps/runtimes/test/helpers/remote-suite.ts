import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import { it } from 'vitest'
import { nodeReferences } from './bundle.js'
import type { CaseResult } from './vitest-shim.js'

export type { CaseResult } from './vitest-shim.js'

const HERE = dirname(fileURLToPath(import.meta.url))
const ROOT = join(HERE, '../../../..')
// @vitest/expect is vitest's dependency, not ours: resolve it where vitest finds it.
const vitestExpect = createRequire(createRequire(import.meta.url).resolve('vitest/package.json')).resolve('@vitest/expect')

/**
 * Bundle the conformance suite for a browser page or a Worker: `source` is an ES module (resolved
 * from `resolveDir`) that calls `describeEngine` and re-exports `runSuite` from 'vitest', which
 * is aliased to the shim. Workspace packages come from their sources (the root tsconfig paths).
 */
export async function bundleSuite(source: string, resolveDir: string, target: 'browser' | 'edge'): Promise<string> {
  const result = await build({
    stdin: { contents: source, resolveDir, sourcefile: 'suite-entry.ts', loader: 'ts' },
    absWorkingDir: ROOT,
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    write: false,
    logLevel: 'silent',
    tsconfig: join(ROOT, 'tsconfig.json'),
    ...(target === 'edge' ? { conditions: ['workerd', 'worker', 'browser'] } : {}),
    alias: {
      vitest: join(HERE, 'vitest-shim.ts'),
      'node:async_hooks': join(HERE, 'async-hooks-stub.ts'),
      '@vitest/expect': vitestExpect,
    },
  })
  const code = result.outputFiles[0]!.text
  const leaks = nodeReferences(code)
  if (leaks.length > 0) throw new Error(`the ${target} suite bundle reaches for Node built-ins: ${leaks.join(', ')}`)
  return code
}

/** One vitest test per case that ran remotely: failures carry the remote message and stack. */
export function reportCases(results: readonly CaseResult[]): void {
  for (const result of results) {
    const skipped = result.status === 'skipped'
    it.skipIf(skipped)(skipped ? `${result.name} (skipped there: ${result.detail ?? ''})` : result.name, () => {
      if (result.status === 'failed') throw new Error(result.detail ?? 'failed')
    })
  }
}
