import { readEnv } from './config.js'
import { ConfigurationError } from './errors.js'

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent'

/** Anything with console-like methods: `console`, pino, winston... */
export interface Logger {
  debug(message: string, ...rest: unknown[]): void
  info(message: string, ...rest: unknown[]): void
  warn(message: string, ...rest: unknown[]): void
  error(message: string, ...rest: unknown[]): void
}

/** Least to most severe: a message is logged when its level ranks at or above the threshold. */
const LEVELS: readonly string[] = ['debug', 'info', 'warn', 'error', 'silent']
const rank = (level: string | undefined): number => LEVELS.indexOf(level!)
const LEVEL_NAMES = 'debug, info, warn, error or silent'
/** The rank of a level passed in code: a name that is no level is the caller's mistake, not `debug`. */
function checked(level: LogLevel): number {
  const r = rank(level)
  if (r < 0) throw new ConfigurationError(`log level ${JSON.stringify(level)} does not exist: use ${LEVEL_NAMES}`)
  return r
}

let sink: Logger = console
/** `TWAT_CACHE_LOG_LEVEL` if it names a level, else `warn` (with a warning, at the end of this module). */
const envLevel = readEnv('TWAT_CACHE_LOG_LEVEL')
let threshold = rank(envLevel?.toLowerCase())
const badEnvLevel = envLevel !== undefined && threshold < 0
if (threshold < 0) threshold = rank('warn')
const warned = new Set<string>()

/** Route twat-cache's messages to your logger, and optionally change the level (default `warn`). */
export function setLogger(logger: Logger, level?: LogLevel): void {
  const r = level ? checked(level) : threshold
  sink = logger
  threshold = r
}

/** @throws ConfigurationError for a name that is not a level. */
export function setLogLevel(level: LogLevel): void {
  threshold = checked(level)
}

/** Messages are prefixed `[twat-cache:<scope>]` so they can be grepped. */
export function log(level: Exclude<LogLevel, 'silent'>, scope: string, message: string, ...rest: unknown[]): void {
  if (rank(level) < threshold) return
  sink[level](`[twat-cache:${scope}] ${message}`, ...rest)
}

/** Log a warning the first time `id` is seen in this process; returns whether it logged. */
export function warnOnce(id: string, scope: string, message: string, ...rest: unknown[]): boolean {
  if (warned.has(id)) return false
  warned.add(id)
  log('warn', scope, message, ...rest)
  return true
}

/** Forget which one-time warnings were given (tests). */
export function resetWarnings(): void {
  warned.clear()
}

if (badEnvLevel) log('warn', 'config', `TWAT_CACHE_LOG_LEVEL='${envLevel}' is not a level (use ${LEVEL_NAMES}); logging at 'warn'`)
