import { readEnv } from './config.js'

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent'

/** Anything with console-like methods: `console`, pino, winston... */
export interface Logger {
  debug(message: string, ...rest: unknown[]): void
  info(message: string, ...rest: unknown[]): void
  warn(message: string, ...rest: unknown[]): void
  error(message: string, ...rest: unknown[]): void
}

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 }

let sink: Logger = console
let threshold = RANK[levelFromEnv() ?? 'warn']
const warned = new Set<string>()

function levelFromEnv(): LogLevel | undefined {
  const value = readEnv('TWAT_CACHE_LOG_LEVEL')?.toLowerCase()
  return value && value in RANK ? (value as LogLevel) : undefined
}

/** Route twat-cache's messages to your logger, and optionally change the level (default `warn`). */
export function setLogger(logger: Logger, level?: LogLevel): void {
  sink = logger
  if (level) threshold = RANK[level]
}

export function setLogLevel(level: LogLevel): void {
  threshold = RANK[level]
}

/** Messages are prefixed `[twat-cache:<scope>]` so they can be grepped. */
export function log(level: Exclude<LogLevel, 'silent'>, scope: string, message: string, ...rest: unknown[]): void {
  if (RANK[level] < threshold) return
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
