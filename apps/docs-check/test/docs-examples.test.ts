import { beforeAll, describe, expect, it } from 'vitest'
import { type Example, type ExampleProblem, checkExamples } from './examples.js'
import { codeBlocks, markdownFiles, read, rel } from './markdown.js'

const LANGS: Record<string, Example['lang']> = { ts: 'ts', typescript: 'ts', js: 'js', javascript: 'js', mjs: 'js' }

/** Every ts/js block of README.md and docs/, with the words of its info string after the language. */
const blocks = markdownFiles().flatMap((file) =>
  codeBlocks(read(file)).flatMap(({ lang, meta, code, line }) => {
    const kind = LANGS[lang]
    return kind ? [{ example: { file: rel(file), line, lang: kind, code }, meta }] : []
  }),
)
/**
 * A block whose info string says `fragment` (```ts fragment continues the Worker above) is not
 * compiled: it continues an earlier block, or shows a shape. The words after `fragment` say why.
 */
const isFragment = (meta: string[]) => meta[0] === 'fragment'
const checked = blocks.filter((b) => !isFragment(b.meta)).map((b) => b.example)
const fragments = blocks.filter((b) => isFragment(b.meta))

/** Broken on purpose: they prove the check reports what it should, in both languages. */
const canaries: Example[] = [
  { file: 'canary.md', line: 1, lang: 'ts', code: "import { mcache } from '@twat-cache/core'\n\nmcache({ ttl: 5 })((n: number) => n).cacheInfo().hitz\n" },
  { file: 'canary.md', line: 10, lang: 'js', code: "import { acache } from '@twat-cache/core'\n\nacache({ maxsize: 'many' })\n" },
]

describe('code examples in the docs type-check', () => {
  let problems: ExampleProblem[]
  beforeAll(() => {
    // One program for every block: the packages' sources are read and checked once.
    problems = checkExamples([...checked, ...canaries])
  }, 120_000)

  it('finds the examples', () => {
    expect(checked.length).toBeGreaterThan(50)
  })

  it('every ts/js block of README.md and docs/ compiles against the workspace packages', () => {
    const found = problems.filter((p) => p.file !== 'canary.md').map((p) => `${p.file}:${p.line}: ${p.message}`)
    expect(found, 'fix the example (or, if it continues an earlier block, mark it ```ts fragment <why>)').toEqual([])
  })

  it('reports a broken example on its markdown line', () => {
    const found = problems.filter((p) => p.file === 'canary.md')
    expect(found).toEqual([
      { file: 'canary.md', line: 4, message: expect.stringContaining("Property 'hitz' does not exist") },
      { file: 'canary.md', line: 13, message: expect.stringContaining("Type 'string' is not assignable to type 'number'") },
    ])
  })

  it('opts out only a few blocks, each with a reason in its info string', () => {
    expect(fragments.map((b) => `${b.example.file}:${b.example.line}`).length).toBeLessThanOrEqual(5)
    for (const { example, meta } of fragments) expect(meta.length, `${example.file}:${example.line}: say why after 'fragment'`).toBeGreaterThan(1)
  })
})
