import { readFileSync, readdirSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The monorepo root, found from this file so the tests do not depend on the working directory. */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..')
export const DOCS = join(ROOT, 'docs')

/** README.md and every markdown file under docs/, as absolute paths, sorted. */
export function markdownFiles(): string[] {
  const found: string[] = [join(ROOT, 'README.md')]
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name)
      if (statSync(path).isDirectory()) walk(path)
      else if (name.endsWith('.md')) found.push(path)
    }
  }
  walk(DOCS)
  return found
}

export const rel = (path: string) => relative(ROOT, path)
export const read = (path: string) => readFileSync(path, 'utf8')

/** A fenced code block: `lang` is the info string's first word, `meta` the words after it. */
export interface CodeBlock {
  lang: string
  meta: string[]
  code: string
  /** The 1-based line of the opening fence; the code starts on the next line. */
  line: number
}

/** Fenced code blocks (``` or ~~~), with their info string. */
export function codeBlocks(markdown: string): CodeBlock[] {
  const blocks: CodeBlock[] = []
  const fence = /^([ \t]*)(`{3,}|~{3,})[ \t]*([^\n`]*)\n([\s\S]*?)^\1\2[ \t]*$/gm
  for (const match of markdown.matchAll(fence)) {
    const [lang = '', ...meta] = match[3]!.trim().split(/\s+/)
    blocks.push({ lang, meta, code: match[4]!, line: markdown.slice(0, match.index).split('\n').length })
  }
  return blocks
}

/** The prose: fenced blocks and inline code spans blanked out (line count kept). */
export function prose(markdown: string): string {
  const fence = /^([ \t]*)(`{3,}|~{3,})[^\n]*\n[\s\S]*?^\1\2[ \t]*$/gm
  return markdown
    .replace(fence, (block) => block.replace(/[^\n]/g, ' '))
    .replace(/(`+)(?:(?!\1)[\s\S])*?\1/g, (span) => ' '.repeat(span.length))
}

export interface Link {
  target: string
  line: number
}

/** Inline links and images `[text](target)` and reference definitions `[x]: target`, outside code. */
export function links(markdown: string): Link[] {
  const text = prose(markdown)
  const found: Link[] = []
  const lineOf = (index: number) => text.slice(0, index).split('\n').length
  for (const match of text.matchAll(/!?\[(?:[^\]\\]|\\.)*\]\(\s*<?([^)\s>]*)>?(?:\s+(?:"[^"]*"|'[^']*'))?\s*\)/g)) {
    found.push({ target: match[1]!, line: lineOf(match.index) })
  }
  for (const match of text.matchAll(/^[ \t]{0,3}\[[^\]]+\]:[ \t]*<?(\S+?)>?(?:[ \t]+.*)?$/gm)) {
    found.push({ target: match[1]!, line: lineOf(match.index) })
  }
  return found
}

/** Links that leave the repository: a scheme (`https:`, `mailto:`) or protocol-relative. */
export const isExternal = (target: string) => /^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('//')

/** A heading's anchor as GitHub makes it: lower case, punctuation dropped, spaces to `-`. */
export function slug(heading: string): string {
  return heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/<[^>]+>/g, '')
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
    .replace(/ /g, '-')
}

/** Every anchor a markdown file offers: heading slugs (deduplicated `-1`, `-2`) and `id`/`name` attributes. */
export function anchors(markdown: string): Set<string> {
  const text = markdown.replace(/^([ \t]*)(`{3,}|~{3,})[^\n]*\n[\s\S]*?^\1\2[ \t]*$/gm, '')
  const result = new Set<string>()
  const seen = new Map<string, number>()
  for (const match of text.matchAll(/^[ \t]{0,3}#{1,6}[ \t]+(.+?)[ \t#]*$/gm)) {
    const base = slug(match[1]!)
    const count = seen.get(base) ?? 0
    seen.set(base, count + 1)
    result.add(count === 0 ? base : `${base}-${count}`)
  }
  for (const match of text.matchAll(/<[a-z]+[^>]*\s(?:id|name)=["']([^"']+)["']/gi)) result.add(match[1]!)
  return result
}

/** The body rows of the first markdown table in the file (header and delimiter skipped), as arrays of cells. */
export function tableRows(markdown: string): string[][] {
  const lines = prose(markdown).split('\n')
  const original = markdown.split('\n')
  const start = lines.findIndex((line, i) => /^\s*\|/.test(line) && /^\s*\|?\s*:?-{3,}/.test(lines[i + 1] ?? ''))
  if (start === -1) return []
  const rows: string[][] = []
  for (let i = start + 2; i < original.length && /^\s*\|/.test(original[i]!); i++) {
    rows.push(
      original[i]!
        .trim()
        .replace(/^\||\|$/g, '')
        .split(/(?<!\\)\|/)
        .map((c) => c.trim()),
    )
  }
  return rows
}
