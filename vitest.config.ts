import { readFileSync, readdirSync, existsSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { defineConfig } from 'vitest/config'

/**
 * Tests run against workspace sources, not builds: every `exports` entry of every package
 * (`./dist/x.js`) is aliased to its source (`./src/x.ts`). One list, derived from the
 * package.json files, so it cannot drift from what is published.
 */
function sourceAliases() {
  const aliases: { find: RegExp; replacement: string }[] = []
  for (const dir of readdirSync('packages')) {
    const manifest = join('packages', dir, 'package.json')
    if (!existsSync(manifest)) continue
    const pkg = JSON.parse(readFileSync(manifest, 'utf8')) as { name: string; exports: Record<string, unknown> }
    for (const [subpath, target] of Object.entries(pkg.exports)) {
      const file = typeof target === 'object' && target ? (target as { default?: string }).default : undefined
      if (!file?.startsWith('./dist/')) continue
      const source = resolve('packages', dir, file.replace('./dist/', 'src/').replace(/\.js$/, '.ts'))
      const specifier = pkg.name + subpath.slice(1)
      aliases.push({ find: new RegExp(`^${specifier.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}$`), replacement: source })
    }
  }
  return aliases
}

export default defineConfig({
  resolve: { alias: sourceAliases() },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'apps/*/test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Engines must not leak handles: a hanging close() should fail loudly, not stall CI.
    teardownTimeout: 10_000,
  },
})
