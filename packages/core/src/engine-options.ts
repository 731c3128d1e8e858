import { configurationProblems } from './errors.js'

/** The part of a zod (or zod/mini) object schema that `parseEngineOptions` needs. */
export interface OptionsSchema<T> {
  safeParse(input: unknown): { success: true; data: T } | { success: false; error: { issues: readonly OptionsIssue[] } }
  readonly def?: { readonly shape?: Record<string, unknown> }
}
interface OptionsIssue {
  readonly code: string
  readonly path: readonly PropertyKey[]
  readonly message: string
  readonly keys?: readonly string[]
}

/**
 * Validate an engine's `engineOptions` with its own schema, once, when the engine is created.
 * Every bad field is listed in one `ConfigurationError`; unknown fields name the known ones, and
 * `expected` gives a sentence per field instead of the schema's terse message.
 */
export function parseEngineOptions<T>(
  engine: string,
  schema: OptionsSchema<T>,
  input: unknown,
  expected: Readonly<Record<string, string>> = {},
): T {
  const result = schema.safeParse(input ?? {})
  if (result.success) return result.data
  const known = Object.keys(schema.def?.shape ?? {})
  const problems = result.error.issues.map((issue) => {
    const path = issue.path.map(String).join('.')
    if (issue.code === 'unrecognized_keys') {
      const names = (issue.keys ?? []).map((k) => `'engineOptions.${path ? `${path}.` : ''}${k}'`).join(', ')
      return `unknown option ${names} for the ${engine} engine${known.length ? ` (it accepts ${known.join(', ')})` : ''}`
    }
    const got = issue.path.reduce<unknown>((v, k) => (v as Record<PropertyKey, unknown> | undefined)?.[k], input)
    return `engineOptions.${path}: ${expected[path] ?? issue.message}, got ${typeof got === 'function' ? 'a function' : (JSON.stringify(got) ?? String(got))}`
  })
  throw configurationProblems(`invalid engineOptions for the ${engine} engine`, problems)
}
