/**
 * Real engines for the selection tests, and a way to pretend some are not installed: the
 * definitions the packages registered are removed and put back, never replaced by fakes.
 */
import '@twat-cache/cacheable'
import '@twat-cache/flat-cache'
import '@twat-cache/lru'
import '@twat-cache/node-cache'
import '@twat-cache/redis'
import '@twat-cache/sqlite'
import { type EngineConfig, type EngineDefinition, type Logger, listEngines, registerEngine, resetWarnings, setLogger, unregisterEngine } from '../src/index.js'

export const ALL_ENGINES = ['lru', 'node-cache', 'cacheable', 'sqlite', 'flat-cache', 'redis', 'memory'] as const
const installed: ReadonlyMap<string, EngineDefinition<EngineConfig>> = new Map(listEngines().map((d) => [d.name, d]))

/** Unregister the named engines (the built-in memory engine cannot be removed). */
export function uninstall(...names: string[]): void {
  for (const name of names) unregisterEngine(name)
}

/** Register exactly these engines (plus memory). */
export function installOnly(names: Iterable<string>): void {
  const keep = new Set(names)
  for (const [name, definition] of installed) {
    if (keep.has(name)) registerEngine(definition)
    else unregisterEngine(name)
  }
}

/** Put every real engine back and forget the one-time warnings. */
export function restoreEngines(): void {
  for (const definition of installed.values()) registerEngine(definition)
  setLogger(console, 'warn')
  resetWarnings()
}

/** Collect warnings instead of printing them. */
export function captureWarnings(): string[] {
  const warnings: string[] = []
  const logger: Logger = { debug() {}, info() {}, warn: (m: string) => warnings.push(m), error: (m: string) => warnings.push(m) }
  setLogger(logger, 'warn')
  return warnings
}
