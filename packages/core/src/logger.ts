import { readEnv } from './config.js'

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

let sink: Logger = console
/** `TWAT_CACHE_LOG_LEVEL` if it names a level, else `warn`. */
let threshold = rank(readEnv('TWAT_CACHE_LOG_LEVEL')?.toLowerCase())
if (threshold < 0) threshold = rank('warn')
const warned = new Set<string>()

/** Route twat-cache's messages to your logger, and optionally change the level (default `warn`). */
export function setLogger(logger: Logger, level?: LogLevel): void {
  sink = logger
  if (level) threshold = rank(level)
}

export function setLogLevel(level: LogLevel): void {
  threshold = rank(level)
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
