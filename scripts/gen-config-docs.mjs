#!/usr/bin/env node
/**
 * Writes the options reference of docs/guide/configuration.md (between the `options:start` and
 * `options:end` markers) from the published schema, so the page cannot drift from the code.
 *
 *   node scripts/gen-config-docs.mjs           rewrite the section
 *   node scripts/gen-config-docs.mjs --check   exit 1 if the page is stale (writes nothing)
 *
 * Field names, types and constraints come from the zod/mini schema objects themselves; the
 * descriptions and `@default`s come from the JSDoc above each field in
 * packages/core/src/schema.ts, which is the one place to edit them. The schema is loaded from
 * its TypeScript source (transpiled in memory), not from dist/, so a stale build can never
 * produce a stale page. apps/docs-check/test/config-docs.test.ts renders the same section from
 * the same source and fails when the page differs.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')
export const SCHEMA_SOURCE = join(ROOT, 'packages/core/src/schema.ts')
export const CONFIG_DOC = join(ROOT, 'docs/guide/configuration.md')
export const OPTIONS_START = '<!-- options:start -->'
export const OPTIONS_END = '<!-- options:end -->'

const NOTICE =
  '<!-- Generated from packages/core/src/schema.ts by `pnpm docs:config`: edit the JSDoc there, then run it. A test fails when this section is stale. -->'

// ---------------------------------------------------------------------------------------------
// Source: the JSDoc and the expression text of every field, per `const` of schema.ts.

/**
 * Fields of schema.ts by the `const` they are written in: `scope → key → { doc, defaultValue, expr }`.
 * A field is a line `key: ...` (optionally preceded by its `/** … *\/` comment); its expression
 * runs to the next field. Keys written inline (`{ host: z.string(), port: … }`) are not fields.
 */
export function parseSchemaSource(source) {
  const scopes = new Map()
  const declarations = [...source.matchAll(/^(?:export\s+)?const\s+([A-Za-z_$][\w$]*)\s*=/gm)]
  declarations.forEach((declaration, i) => {
    const start = declaration.index + declaration[0].length
    const end = i + 1 < declarations.length ? declarations[i + 1].index : source.length
    scopes.set(declaration[1], parseFields(source.slice(start, end)))
  })
  return scopes
}

function parseFields(text) {
  const fields = new Map()
  // A JSDoc block may not contain `*/`, so a comment that documents something other than a
  // field (a `const`) is never glued onto the next field.
  const field = /(?:\/\*\*((?:(?!\*\/)[\s\S])*)\*\/[ \t]*\r?\n)?^[ \t]*([A-Za-z_$][\w$]*)[ \t]*:/gm
  const matches = [...text.matchAll(field)]
  matches.forEach((match, i) => {
    const exprEnd = i + 1 < matches.length ? matches[i + 1].index : text.length
    const { doc, defaultValue } = parseJsDoc(match[1] ?? '')
    fields.set(match[2], { doc, defaultValue, expr: text.slice(match.index + match[0].length, exprEnd).trim() })
  })
  return fields
}

/** The description (one paragraph) and the `@default` of a JSDoc body. */
export function parseJsDoc(body) {
  const lines = body
    .split(/\r?\n/)
    .map((line) => line.replace(/^\s*\*?\s?/, '').trimEnd())
  const text = lines.join('\n').trim()
  const tagAt = text.search(/(^|\s)@[a-z]+/)
  const description = (tagAt === -1 ? text : text.slice(0, tagAt)).replace(/\s+/g, ' ').trim()
  const defaultMatch = /@default\s+([\s\S]*?)(?=\s@[a-z]+|$)/.exec(text)
  return { doc: description, defaultValue: defaultMatch ? defaultMatch[1].replace(/\s+/g, ' ').trim() : undefined }
}

/** The type argument of the first `z.custom<…>` in an expression (`=>` does not close it). */
function customType(expr) {
  const start = expr.indexOf('z.custom<')
  if (start === -1) return undefined
  let depth = 0
  for (let i = start + 'z.custom'.length; i < expr.length; i++) {
    const c = expr[i]
    if (c === '<') depth++
    else if (c === '>' && expr[i - 1] !== '=') {
      depth--
      if (depth === 0) return expr.slice(start + 'z.custom<'.length, i).trim()
    }
  }
  return undefined
}

// ---------------------------------------------------------------------------------------------
// Schema: types and constraints from the zod/mini definitions.

const def = (schema) => schema._zod.def

function unwrapOptional(schema) {
  let optional = false
  while (def(schema).type === 'optional') {
    optional = true
    schema = def(schema).innerType
  }
  return { schema, optional }
}

/** Constraints that a TypeScript type does not show: `integer ≥ 1`, `non-empty`. */
function constraints(schema) {
  const d = def(schema)
  const checks = (d.checks ?? []).map((c) => def(c))
  const notes = []
  let min
  let max
  for (const check of checks) {
    if (check.check === 'number_format' && /int/.test(check.format)) notes.push('integer')
    if (check.check === 'greater_than') min = `${check.inclusive ? '≥' : '>'} ${check.value}`
    if (check.check === 'less_than') max = `${check.inclusive ? '≤' : '<'} ${check.value}`
    if (check.check === 'min_length' && check.minimum === 1) notes.push('non-empty')
    else if (check.check === 'min_length') notes.push(`length ≥ ${check.minimum}`)
  }
  if (min && max) notes.push(`${min.slice(2)} to ${max.slice(2)}`)
  else if (min) notes.push(min)
  else if (max) notes.push(max)
  return notes.join(' ')
}

/**
 * A TypeScript-like spelling of the type. `objects` names the object schemas that have their own
 * table (rendered as `object`); `expr` is the field's source, for `z.custom<T>`.
 */
function typeOf(schema, expr, objects) {
  const { schema: inner } = unwrapOptional(schema)
  const d = def(inner)
  switch (d.type) {
    case 'string':
    case 'number':
    case 'boolean':
    case 'unknown':
    case 'bigint':
      return d.type
    case 'enum':
      return Object.values(d.entries).map((v) => JSON.stringify(v).replace(/"/g, "'")).join(' | ')
    case 'literal':
      return d.values.map((v) => JSON.stringify(v).replace(/"/g, "'")).join(' | ')
    case 'union':
      return d.options.map((option) => typeOf(option, expr, objects)).join(' | ')
    case 'array': {
      const element = typeOf(d.element, expr, objects)
      return / \| /.test(element) ? `(${element})[]` : `${element}[]`
    }
    case 'record':
      return `Record<${typeOf(d.keyType, expr, objects)}, ${typeOf(d.valueType, expr, objects)}>`
    case 'object':
      if (objects.has(inner)) return 'object'
      return `{ ${Object.entries(d.shape)
        .map(([key, value]) => `${key}${unwrapOptional(value).optional ? '?' : ''}: ${typeOf(value, '', objects)}`)
        .join('; ')} }`
    case 'custom':
      return customType(expr) ?? 'unknown'
    default:
      return d.type
  }
}

/** The object schemas reachable from a field directly or as a union member: each gets a table. */
function objectsOf(schema) {
  const { schema: inner } = unwrapOptional(schema)
  const d = def(inner)
  if (d.type === 'object') return [inner]
  if (d.type === 'union') return d.options.flatMap((option) => (def(option).type === 'object' ? [option] : []))
  return []
}

// ---------------------------------------------------------------------------------------------
// Markdown

const cell = (text) => String(text).replace(/\|/g, '\\|').replace(/\r?\n/g, ' ')
const code = (text) => (text.includes('`') ? `\`\` ${text} \`\`` : `\`${text}\``)

/** `@default` text as written, in code when it is a literal (`1000`, `'lru'`, `true`). */
function renderDefault(value) {
  if (value === undefined) return ''
  return /^(-?\d[\d_.]*|true|false|null|'[^']*'|"[^"]*")$/.test(value) ? code(value) : value
}

function renderType(schema, expr, objects, anchors) {
  const { schema: inner, optional } = unwrapOptional(schema)
  const type = code(typeOf(inner, expr, objects))
  const notes = constraints(inner)
  const tables = objectsOf(inner)
    .filter((o) => anchors.has(o))
    .map((o) => `[fields](#${anchors.get(o)})`)
  return [type, notes && `(${notes})`, optional ? '' : '**required**', ...tables].filter(Boolean).join(' ')
}

function table(shape, fields, objects, anchors, firstColumn) {
  const rows = [`| ${firstColumn} | type | default | description |`, '|---|---|---|---|']
  for (const [key, schema] of Object.entries(shape)) {
    const source = fields?.get(key) ?? { doc: '', defaultValue: undefined, expr: '' }
    rows.push(
      `| ${cell(code(key))} | ${cell(renderType(schema, source.expr, objects, anchors))} | ${cell(renderDefault(source.defaultValue))} | ${cell(source.doc)} |`,
    )
  }
  return rows.join('\n')
}

/** The scope (schema.ts `const`) that documents an object schema's fields. */
function scopeOf(object, module, parentScope) {
  for (const [name, value] of Object.entries(module)) {
    if (value === object) return name
    if (value && value._zod && def(value).type === 'union' && def(value).options.includes(object)) return name
  }
  return parentScope
}

/**
 * The generated section, markers included. `module` is schema.ts's exports (it must export
 * `cacheConfigSchema`); `source` is schema.ts's text.
 */
export function renderOptionsSection(module, source) {
  const root = module.cacheConfigSchema
  if (!root || def(root).type !== 'object') throw new Error('schema.ts must export cacheConfigSchema, a z.strictObject')
  const scopes = parseSchemaSource(source)
  const rootScope = scopeOf(root, module, 'cacheConfigSchema')
  const shape = def(root).shape

  // One table per object-valued top-level field, in field order.
  const nested = []
  for (const [key, schema] of Object.entries(shape)) {
    for (const object of objectsOf(schema)) nested.push({ key, object, several: objectsOf(schema).length > 1 })
  }
  const objects = new Set(nested.map((n) => n.object))
  const anchors = new Map(nested.map((n) => [n.object, `${n.key.toLowerCase()}-fields`]))

  const parts = [
    OPTIONS_START,
    NOTICE,
    '',
    table(shape, scopes.get(rootScope), objects, anchors, 'option'),
  ]
  for (const { key, object } of nested) {
    const scope = scopeOf(object, module, rootScope)
    const isUnionMember = def(unwrapOptional(shape[key]).schema).type === 'union'
    parts.push(
      '',
      `### ${key} fields`,
      '',
      isUnionMember
        ? `The object form of ${code(key)}. Unknown fields are rejected.`
        : `The fields of ${code(key)}. Unknown fields are rejected.`,
      '',
      table(def(object).shape, scopes.get(scope), new Set(), new Map(), 'field'),
    )
  }
  parts.push('', OPTIONS_END)
  return parts.join('\n')
}

/** Every field of the schema (top level and object tables) that has no JSDoc description. */
export function undocumentedFields(module, source) {
  const scopes = parseSchemaSource(source)
  const missing = []
  const shape = def(module.cacheConfigSchema).shape
  const rootScope = scopeOf(module.cacheConfigSchema, module, 'cacheConfigSchema')
  for (const [key, schema] of Object.entries(shape)) {
    if (!scopes.get(rootScope)?.get(key)?.doc) missing.push(key)
    for (const object of objectsOf(schema)) {
      const scope = scopeOf(object, module, rootScope)
      for (const field of Object.keys(def(object).shape)) {
        if (!scopes.get(scope)?.get(field)?.doc) missing.push(`${key}.${field}`)
      }
    }
  }
  return missing
}

/** `markdown` with the text between the markers (markers included) replaced by `section`. */
export function replaceSection(markdown, section) {
  const start = markdown.indexOf(OPTIONS_START)
  const end = markdown.indexOf(OPTIONS_END)
  if (start === -1 || end === -1 || end < start) {
    throw new Error(`${CONFIG_DOC} must contain ${OPTIONS_START} … ${OPTIONS_END}, once each, in that order`)
  }
  return markdown.slice(0, start) + section + markdown.slice(end + OPTIONS_END.length)
}

// ---------------------------------------------------------------------------------------------
// Loading schema.ts without a build

/**
 * Import packages/core/src/schema.ts: transpile it with the workspace's TypeScript and import it
 * from a data: URL, with `zod/mini` resolved the way packages/core resolves it.
 */
export async function loadSchemaModule(file = SCHEMA_SOURCE) {
  return import(transpiledUrl(file))
}

/**
 * schema.ts (and the small core modules it imports: the duration and option checks it shares
 * with config.ts), transpiled and inlined as data: URLs, with zod resolved from packages/core.
 */
function transpiledUrl(file) {
  const requireFromRoot = createRequire(join(ROOT, 'package.json'))
  const ts = requireFromRoot('typescript')
  const source = readFileSync(file, 'utf8')
  const { outputText } = ts.transpileModule(source, {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: false },
    fileName: file,
  })
  const requireFromCore = createRequire(join(SCHEMA_SOURCE, '..', '..', 'package.json'))
  const code = outputText.replace(/(\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)(['"])([^'"]+)\2/g, (whole, lead, quote, specifier) => {
    if (specifier === 'zod/mini' || specifier === 'zod') return `${lead}${quote}${zodUrl(requireFromCore, specifier)}${quote}`
    if (specifier.startsWith('./') && specifier.endsWith('.js')) {
      return `${lead}${quote}${transpiledUrl(join(dirname(file), specifier.replace(/\.js$/, '.ts')))}${quote}`
    }
    throw new Error(
      `schema.ts imports '${specifier}'; scripts/gen-config-docs.mjs only knows how to load 'zod/mini' and relative core modules. Teach loadSchemaModule about it.`,
    )
  })
  return `data:text/javascript;base64,${Buffer.from(code).toString('base64')}`
}

/** The ESM entry of a zod subpath, resolved from packages/core (pnpm does not hoist zod to the root). */
function zodUrl(requireFromCore, specifier) {
  const manifestPath = requireFromCore.resolve('zod/package.json')
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'))
  const subpath = specifier === 'zod' ? '.' : `./${specifier.slice('zod/'.length)}`
  const entry = manifest.exports?.[subpath]
  const target = typeof entry === 'string' ? entry : entry?.import?.default ?? entry?.import ?? entry?.default
  if (typeof target !== 'string') throw new Error(`cannot find the ESM entry of '${specifier}' in ${manifestPath}`)
  return pathToFileURL(join(dirname(manifestPath), target)).href
}

// ---------------------------------------------------------------------------------------------

async function main(argv) {
  const check = argv.includes('--check')
  const source = readFileSync(SCHEMA_SOURCE, 'utf8')
  const module = await loadSchemaModule()
  const section = renderOptionsSection(module, source)
  const current = readFileSync(CONFIG_DOC, 'utf8')
  const next = replaceSection(current, section)
  const missing = undocumentedFields(module, source)
  if (missing.length > 0) {
    console.warn(`note: no JSDoc description in packages/core/src/schema.ts for: ${missing.join(', ')}`)
  }
  if (check) {
    if (next !== current) {
      console.error('docs/guide/configuration.md is stale: run `pnpm docs:config`')
      process.exitCode = 1
    } else {
      console.log('docs/guide/configuration.md is up to date')
    }
    return
  }
  if (next === current) {
    console.log('docs/guide/configuration.md is up to date')
  } else {
    writeFileSync(CONFIG_DOC, next)
    console.log('wrote the options section of docs/guide/configuration.md')
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).catch((error) => {
    console.error(error instanceof Error ? error.message : error)
    process.exitCode = 1
  })
}
