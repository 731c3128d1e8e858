import { join } from 'node:path'
import ts from 'typescript'
import { ROOT } from './markdown.js'

/** A code example taken from a markdown page. */
export interface Example {
  /** The page, relative to the repository root. */
  file: string
  /** The line of the opening fence; the code starts on the next line. */
  line: number
  lang: 'ts' | 'js'
  code: string
}

/** One compiler error, placed on its markdown line. */
export interface ExampleProblem {
  file: string
  line: number
  message: string
}

/**
 * Ambient names the examples use without defining them: the reader's own database and render
 * function. Kept outside the root tsconfig's `include`, so they never leak into the packages.
 */
export const PRELUDE = join(ROOT, 'apps', 'docs-check', 'examples-prelude.d.ts')

/**
 * Where the examples pretend to live. They are never written to disk: the compiler host serves
 * them from memory. The folder sits in apps/docs-check so `import` resolves as it would for a
 * newcomer's ESM package (its package.json has `"type": "module"`, top-level await works).
 */
const EXAMPLES_DIR = join(ROOT, 'apps', 'docs-check', 'examples')

/**
 * Type-checks every example as its own module, in one program, with the root tsconfig.json
 * (its strictness, and its `paths`, which point `@twat-cache/*` at the workspace sources, so no
 * build is needed). Returns the compiler's errors, each placed on its markdown line.
 */
export function checkExamples(examples: readonly Example[]): ExampleProblem[] {
  const config = ts.getParsedCommandLineOfConfigFile(join(ROOT, 'tsconfig.json'), undefined, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (d) => {
      throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'))
    },
  })
  if (!config) throw new Error('cannot read tsconfig.json')
  const options: ts.CompilerOptions = {
    ...config.options,
    noEmit: true,
    // A block without import or export is still a module of its own, so two blocks may both
    // declare `const render` (and a script could not use top-level await).
    moduleDetection: ts.ModuleDetectionKind.Force,
    allowJs: true,
    checkJs: true,
    // The idb pages are browser code (`document`); the root program sees lib.dom too.
    lib: [...(config.options.lib ?? []), 'lib.dom.d.ts'],
  }

  const sources = new Map<string, Example>()
  for (const example of examples) {
    const name = `${example.file.replace(/[^a-z0-9]+/gi, '-')}-${example.line}.${example.lang}`
    sources.set(join(EXAMPLES_DIR, name), example)
  }

  const host = ts.createCompilerHost(options, true)
  const { fileExists, readFile, getSourceFile } = host
  host.fileExists = (path) => sources.has(path) || fileExists.call(host, path)
  host.readFile = (path) => sources.get(path)?.code ?? readFile.call(host, path)
  host.getSourceFile = (path, languageVersion, ...rest) => {
    const example = sources.get(path)
    return example ? ts.createSourceFile(path, example.code, languageVersion, true) : getSourceFile.call(host, path, languageVersion, ...rest)
  }

  const program = ts.createProgram({ rootNames: [PRELUDE, ...sources.keys()], options, host })
  const problems: ExampleProblem[] = program
    .getOptionsDiagnostics()
    .concat(program.getGlobalDiagnostics(), program.getSemanticDiagnostics(program.getSourceFile(PRELUDE)))
    .map((d) => ({ file: d.file?.fileName ?? 'tsconfig.json', line: 0, message: ts.flattenDiagnosticMessageText(d.messageText, '\n') }))
  for (const [path, example] of sources) {
    const file = program.getSourceFile(path)!
    for (const d of [...program.getSyntacticDiagnostics(file), ...program.getSemanticDiagnostics(file)]) {
      const line = example.line + 1 + file.getLineAndCharacterOfPosition(d.start ?? 0).line
      problems.push({ file: example.file, line, message: ts.flattenDiagnosticMessageText(d.messageText, '\n') })
    }
  }
  return problems
}
