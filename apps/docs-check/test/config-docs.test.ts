import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { createCacheConfig } from '../../../packages/core/src/config.js'
import * as schemaModule from '../../../packages/core/src/schema.js'
import {
  CONFIG_DOC,
  OPTIONS_END,
  OPTIONS_START,
  SCHEMA_SOURCE,
  parseJsDoc,
  parseSchemaSource,
  renderOptionsSection,
  replaceSection,
} from '../../../scripts/gen-config-docs.mjs'
import { ROOT } from './markdown.js'

const source = readFileSync(SCHEMA_SOURCE, 'utf8')
const section = renderOptionsSection(schemaModule, source)
const fields = parseSchemaSource(source).get('cacheConfigSchema')!

describe('docs/guide/configuration.md options reference', () => {
  it('matches what scripts/gen-config-docs.mjs renders from packages/core/src/schema.ts', () => {
    const page = readFileSync(CONFIG_DOC, 'utf8')
    const regenerated = replaceSection(page, section)
    // On failure: run `pnpm docs:config` (node scripts/gen-config-docs.mjs) and commit the page.
    expect(page, 'docs/guide/configuration.md is stale: run `pnpm docs:config`').toBe(regenerated)
  })

  it('has a row for every option of cacheConfigSchema, and only those', () => {
    const shape = (schemaModule.cacheConfigSchema as unknown as { def: { shape: Record<string, unknown> } }).def.shape
    const generated = section.slice(0, section.indexOf('\n### '))
    const rows = [...generated.matchAll(/^\| `([A-Za-z][A-Za-z0-9]*)` \|/gm)].map((m) => m[1])
    expect(rows).toEqual(Object.keys(shape))
  })

  it('carries the JSDoc of each field, with its @default', () => {
    expect(section).toMatch(/^\| `maxsize` \| `number` \(integer ≥ 1\) \| `1000` \| Max entries per cached function\. \|$/m)
    expect(section).toMatch(/^\| `policy` \| `'lru' \\\| 'lfu' \\\| 'fifo' \\\| 'rr'` \|/m)
    expect(section).toContain('### redis fields')
    expect(section).toMatch(/^\| `keyPrefix` \| `string` \| `'twat-cache:'` \|/m)
    expect(section).toMatch(/^\| `key` \| `\(\.\.\.args: never\[\]\) => string` \|/m)
  })

  it('documents as @default exactly what createCacheConfig applies', () => {
    const applied = createCacheConfig({}) as unknown as Record<string, unknown>
    for (const [key, value] of Object.entries(applied)) {
      // redis is filled from TWAT_CACHE_REDIS_* when set: the environment's, not a default.
      if (value === undefined || key === 'redis') continue
      expect(fields.get(key)?.defaultValue?.replace(/^'(.*)'$/, '"$1"'), `@default of '${key}' in schema.ts`).toBe(JSON.stringify(value))
    }
    const compressed = createCacheConfig({ compress: true }).compress as unknown as Record<string, unknown>
    const compressFields = parseSchemaSource(source).get('compressSchema')!
    for (const [key, field] of compressFields) {
      if (field.defaultValue !== undefined) expect(field.defaultValue?.replace(/^'(.*)'$/, '"$1"'), `@default of 'compress.${key}'`).toBe(JSON.stringify(compressed[key]))
    }
  })

  it('the CLI loads schema.ts without a build and agrees with this render (--check)', () => {
    const out = execFileSync(process.execPath, [join(ROOT, 'scripts/gen-config-docs.mjs'), '--check'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
    expect(out).toContain('is up to date')
  })
})

describe('gen-config-docs helpers', () => {
  it('reads a multi-line JSDoc into one paragraph and its @default', () => {
    expect(parseJsDoc('\n   * Eviction policy. When\n   * omitted, engines decide.\n   * @default \'lru\'\n   ')).toEqual({
      doc: 'Eviction policy. When omitted, engines decide.',
      defaultValue: "'lru'",
    })
  })

  it('does not attach the JSDoc of a const to the first field after it', () => {
    const parsed = parseSchemaSource(
      ['/** About the schema. */', 'export const s = z.strictObject({', '  a: z.string(),', '  /** B. @default 2 */', '  b: z.number(),', '})'].join('\n'),
    )
    expect(parsed.get('s')?.get('a')?.doc).toBe('')
    expect(parsed.get('s')?.get('b')).toMatchObject({ doc: 'B.', defaultValue: '2' })
  })

  it('refuses a page without both markers, instead of appending', () => {
    expect(() => replaceSection('# Configuration\n', section)).toThrow(OPTIONS_START)
    expect(replaceSection(`a\n${OPTIONS_START}\nold\n${OPTIONS_END}\nb`, 'NEW')).toBe('a\nNEW\nb')
  })
})
