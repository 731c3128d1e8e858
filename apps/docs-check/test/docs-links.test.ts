import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { DOCS, ROOT, anchors, codeBlocks, isExternal, links, markdownFiles, read, rel, tableRows } from './markdown.js'

const files = markdownFiles()

/** Engine packages: a directory under packages/ with src/engine.ts; its name is the engine's. */
const enginePackages = readdirSync(join(ROOT, 'packages'))
  .filter((dir) => existsSync(join(ROOT, 'packages', dir, 'src', 'engine.ts')))
  .sort()
/** The engine a package registers (its `ENGINE_NAME`), e.g. `cloudflare-kv` for packages/cloudflare. */
const engineOf = (dir: string): string =>
  /export const ENGINE_NAME = '([^']+)'/.exec(readFileSync(join(ROOT, 'packages', dir, 'src', 'engine.ts'), 'utf8'))?.[1] ?? dir
const packageOf = new Map([['memory', '@twat-cache/core'], ...enginePackages.map((dir) => [engineOf(dir), `@twat-cache/${dir}`] as const)])
const engineNames = [...packageOf.keys()]

/** A relative link resolved to a path and an anchor (`undefined` when there is none). */
function resolveLink(from: string, target: string): { path: string; anchor: string | undefined } {
  const hash = target.indexOf('#')
  const pathPart = hash === -1 ? target : target.slice(0, hash)
  const anchor = hash === -1 ? undefined : decodeURIComponent(target.slice(hash + 1))
  const path = pathPart === '' ? from : resolve(dirname(from), decodeURIComponent(pathPart))
  return { path, anchor }
}

describe('links in README.md and docs/', () => {
  it('finds the pages', () => {
    expect(files.map(rel)).toEqual(expect.arrayContaining(['README.md', 'docs/README.md', 'docs/engines/README.md', 'docs/guide/configuration.md']))
  })

  it.each(files.map((f) => [rel(f), f]))('%s: every relative link points to an existing file and heading', (_, file) => {
    const broken: string[] = []
    for (const { target, line } of links(read(file))) {
      if (isExternal(target) || target === '') continue
      const { path, anchor } = resolveLink(file, target)
      if (!path.startsWith(ROOT)) broken.push(`line ${line}: ${target} leaves the repository`)
      else if (!existsSync(path)) broken.push(`line ${line}: ${target} → ${rel(path)} does not exist`)
      else if (anchor !== undefined && path.endsWith('.md') && !anchors(read(path)).has(anchor)) {
        broken.push(`line ${line}: ${target} → no heading '#${anchor}' in ${rel(path)}`)
      } else if (anchor !== undefined && statSync(path).isDirectory()) {
        broken.push(`line ${line}: ${target} → an anchor on a directory`)
      }
    }
    expect(broken, `broken links in ${rel(file)}`).toEqual([])
  })

  it('every page under docs/ can be reached from docs/README.md', () => {
    const seen = new Set<string>()
    const queue = [join(DOCS, 'README.md')]
    while (queue.length > 0) {
      const file = queue.shift()!
      if (seen.has(file)) continue
      seen.add(file)
      for (const { target } of links(read(file))) {
        if (isExternal(target)) continue
        const { path } = resolveLink(file, target)
        if (path.startsWith(DOCS) && path.endsWith('.md') && existsSync(path)) queue.push(path)
      }
    }
    const unreachable = files.filter((f) => f.startsWith(DOCS) && !seen.has(f)).map(rel)
    expect(unreachable, 'link these pages from docs/README.md or a page it links to').toEqual([])
  })
})

describe('engine catalog (docs/engines/README.md)', () => {
  const catalogPath = join(DOCS, 'engines', 'README.md')
  const catalog = read(catalogPath)
  const rows = tableRows(catalog)
  const header = catalog
    .split('\n')
    .find((line) => /^\|\s*engine\s*\|/.test(line))!
    .replace(/^\||\|$/g, '')
    .split('|')
    .map((c) => c.trim())
  const column = (row: string[], name: string) => row[header.indexOf(name)] ?? ''
  const rowOf = (engine: string) => rows.find((row) => row[0]!.includes(`\`${engine}\``))

  it('links every page of docs/engines/ from the table', () => {
    const pages = readdirSync(join(DOCS, 'engines')).filter((f) => f.endsWith('.md') && f !== 'README.md')
    const linked = new Set(
      rows.flatMap((row) => links(row[0]!).map((l) => resolveLink(catalogPath, l.target).path)),
    )
    expect(pages.filter((page) => !linked.has(join(DOCS, 'engines', page)))).toEqual([])
  })

  it('has a row and a page for the built-in memory engine and for every engine package', () => {
    for (const engine of engineNames) {
      expect(rowOf(engine), `catalog row for ${engine}`).toBeDefined()
      expect(existsSync(join(DOCS, 'engines', `${engine}.md`)), `docs/engines/${engine}.md`).toBe(true)
    }
  })

  it('states the capabilities each engine declares', async () => {
    const core = await import('@twat-cache/core')
    for (const dir of enginePackages) await import(`@twat-cache/${dir}`)
    const problems: string[] = []
    for (const engine of engineNames) {
      const row = rowOf(engine)
      const caps = core.getEngine(engine)?.capabilities
      if (!row || !caps) {
        problems.push(`${engine}: ${row ? 'not registered by its package' : 'no row'}`)
        continue
      }
      const expectCell = (name: string, ok: (cell: string) => boolean, want: string) => {
        const cell = column(row, name)
        if (!ok(cell)) problems.push(`${engine}: column '${name}' says "${cell}", capabilities say ${want}`)
      }
      expectCell('package', (c) => c.includes(`\`${packageOf.get(engine)}\``), 'its package')
      expectCell('mode', (c) => c.startsWith(caps.mode), caps.mode)
      expectCell('persistent', (c) => c.startsWith(caps.persistent ? 'yes' : 'no'), String(caps.persistent))
      expectCell('shared by', (c) => c.startsWith(caps.shared), caps.shared)
      const ttl = caps.ttl === false ? 'none' : caps.ttl
      expectCell('TTL', (c) => c.startsWith(ttl), ttl)
      const policies = [...caps.policies]
      expectCell(
        'policies',
        // A remark in parentheses may follow the list: "lru (none with a secondary store)".
        (c) => {
          const list = c.replace(/\s*\(.*\)\s*$/, '')
          return policies.length === 0 ? list.startsWith('none') : list.split(',').map((p) => p.trim()).join() === policies.join()
        },
        policies.length === 0 ? 'none' : policies.join(', '),
      )
      expectCell('values', (c) => c.startsWith(caps.structured ? 'live objects' : 'serialized'), caps.structured ? 'live objects' : 'serialized')
    }
    expect(problems).toEqual([])
  })
})

describe('code examples in the docs', () => {
  /** `import { a, type B } from '@twat-cache/x'` and `import '@twat-cache/x'` in ts/js blocks. */
  const imports = files.flatMap((file) =>
    codeBlocks(read(file))
      .filter((block) => /^(ts|tsx|js|mjs|javascript|typescript)$/.test(block.lang))
      .flatMap((block) =>
        [...block.code.matchAll(/^import\s+(type\s+)?(?:\{([^}]*)\}\s*from\s*)?['"](@twat-cache\/[^'"]+)['"]/gm)].map((m) => ({
          file: rel(file),
          typeOnly: Boolean(m[1]),
          names: (m[2] ?? '')
            .split(',')
            .map((n) => n.trim())
            .filter((n) => n !== '' && !n.startsWith('type '))
            .map((n) => n.split(/\s+as\s+/)[0]!.trim()),
          specifier: m[3]!,
        })),
      ),
  )

  it('finds the imports', () => {
    expect(imports.length).toBeGreaterThan(10)
  })

  it('import only modules and names that the packages export', async () => {
    const problems: string[] = []
    for (const { file, typeOnly, names, specifier } of imports) {
      let module: Record<string, unknown>
      try {
        module = await import(specifier)
      } catch (error) {
        problems.push(`${file}: cannot import '${specifier}': ${(error as Error).message.split('\n')[0]}`)
        continue
      }
      if (typeOnly) continue
      for (const name of names) if (!(name in module)) problems.push(`${file}: '${specifier}' has no export '${name}'`)
    }
    expect(problems).toEqual([])
  })
})
