/**
 * `@twat-cache/cli`: the `twat-cache` command. `main(argv)` runs it and resolves to the exit
 * code (0 ok, 1 failure, 2 bad usage); `bin.js` is the executable.
 */
import { createRequire } from 'node:module'
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander'
import { type CommonOptions, type Context, checkClearUsage, clear, inspectCommand, ls, openContext, prune, stats } from './commands.js'
import { CliError, EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from './errors.js'
import { type Io, output } from './output.js'

export { CliError, EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from './errors.js'
export type { EntryRow, NamespaceRow } from './stores.js'

// The same file from src/ and dist/: both sit one level below the package root.
const VERSION = (createRequire(import.meta.url)('../package.json') as { version: string }).version

function positiveInt(text: string): number {
  const n = Number(text)
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a whole number ≥ 1')
  return n
}

/** An empty `--dir` (often an unset shell variable) would resolve to the current directory. */
function nonEmptyPath(text: string): string {
  if (text.trim() === '') throw new InvalidArgumentError('must not be empty: give the cache directory, or leave --dir out for the default')
  return text
}

/** `--dir`, `--redis-url` and `--json`, on every command (before or after its arguments). */
function common(command: Command): Command {
  return command
    .addOption(new Option('--dir <path>', 'cache directory (default: TWAT_CACHE_DIR, else the platform cache directory)').argParser(nonEmptyPath))
    .addOption(new Option('--redis-url <url>', 'also look at the twat-cache keys on this Redis server'))
    .addOption(new Option('--json', 'print JSON instead of tables'))
}

/** Run the CLI with `argv` (without `node` and the script); resolves to the exit code. */
export async function main(argv: readonly string[], io: Io = process): Promise<number> {
  let code = EXIT_OK
  const run =
    <A extends unknown[]>(action: (ctx: Context, ...args: A) => Promise<void>, check?: (...args: A) => void) =>
    async (...args: unknown[]): Promise<void> => {
      const command = args[args.length - 1] as Command
      const options = command.opts<CommonOptions>()
      // Usage is checked before any folder is scanned or server contacted.
      check?.(...(args.slice(0, -1) as A))
      const out = output(io, options.json === true)
      const ctx = openContext(options, io, out)
      try {
        await action(ctx, ...(args.slice(0, -1) as A))
      } finally {
        out.progress(undefined)
        await Promise.allSettled(ctx.stores.map((s) => s.close()))
      }
    }

  const program = new Command('twat-cache')
    .description('List, inspect, clear and prune twat-cache caches (SQLite, flat-cache files, Redis).')
    .version(VERSION)
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => void io.stdout.write(text),
      writeErr: (text) => void io.stderr.write(text),
    })

  common(program.command('ls'))
    .description('list every cache namespace: engine, entries, size, oldest and newest write, expired entries')
    .action(run(ls))
  common(program.command('stats'))
    .description('totals per engine')
    .action(run(stats))
  common(program.command('inspect'))
    .description('show the entries of a namespace, or one entry with its decoded value')
    .argument('<namespace>', "a namespace as 'ls' shows it")
    .argument('[key]', 'the cache key of one entry')
    .addOption(new Option('--limit <n>', 'entries to show').argParser(positiveInt).default(20))
    .addOption(new Option('--full', 'show whole values instead of truncating them'))
    .action(run((ctx, namespace: string, key: string | undefined, options: { limit: number; full?: boolean }) => inspectCommand(ctx, namespace, key, options)))
  common(program.command('clear'))
    .description('remove every entry of the named namespaces (asks first on a terminal)')
    .argument('[namespace...]', "namespaces as 'ls' shows them")
    .addOption(new Option('--all', 'clear every namespace found'))
    .addOption(new Option('-y, --yes', 'do not ask for confirmation'))
    .action(run((ctx, namespaces: string[], options: { all?: boolean; yes?: boolean }) => clear(ctx, namespaces, options), (namespaces, options) => checkClearUsage(namespaces, options, io)))
  common(program.command('prune'))
    .description('remove expired entries and report what was freed')
    .action(run(prune))

  try {
    await program.parseAsync([...argv], { from: 'user' })
  } catch (error) {
    code = exitCodeOf(error, io)
  }
  return code
}

function exitCodeOf(error: unknown, io: Io): number {
  if (error instanceof CommanderError) {
    // Commander printed its own message already.
    return error.code === 'commander.helpDisplayed' || error.code === 'commander.version' ? EXIT_OK : EXIT_USAGE
  }
  const message = error instanceof Error ? error.message : String(error)
  io.stderr.write(`twat-cache: ${message}\n`)
  return error instanceof CliError ? error.exitCode : EXIT_FAILURE
}
