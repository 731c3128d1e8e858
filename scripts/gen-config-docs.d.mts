/** Types for gen-config-docs.mjs, which the docs-check tests import. */

export const ROOT: string
export const SCHEMA_SOURCE: string
export const CONFIG_DOC: string
export const OPTIONS_START: string
export const OPTIONS_END: string

export interface SourceField {
  /** The JSDoc description, as one paragraph ('' when there is none). */
  doc: string
  /** The `@default` text as written, if any. */
  defaultValue: string | undefined
  /** The field's expression in schema.ts. */
  expr: string
}

/** `const` name in schema.ts → field key → what the source says about it. */
export function parseSchemaSource(source: string): Map<string, Map<string, SourceField>>
export function parseJsDoc(body: string): { doc: string; defaultValue: string | undefined }
/** The generated section, markers included, from schema.ts's exports and its text. */
export function renderOptionsSection(module: Record<string, unknown>, source: string): string
/** Fields (`key` or `key.field`) that have no JSDoc description. */
export function undocumentedFields(module: Record<string, unknown>, source: string): string[]
export function replaceSection(markdown: string, section: string): string
/** Import packages/core/src/schema.ts without a build. */
export function loadSchemaModule(file?: string): Promise<Record<string, unknown>>
