import { type CacheEventType, emitWrapperEvent, hasCacheListeners } from '../events.js'
import type { StepContext } from './pipeline.js'

export { hasCacheListeners as listening }

/**
 * One cache event from a wrapper. Callers test `listening()` first, so with no listener the
 * hot path builds nothing (no object, no key hash, no clock read).
 */
export function emit(context: StepContext, type: CacheEventType, key: string, durationMs?: number, error?: unknown): void {
  emitWrapperEvent(type, context.name, context.engine.name, key, durationMs, error)
}

/** Start time of a run, read only when someone listens (0 otherwise). */
export const startClock = (): number => (hasCacheListeners() ? performance.now() : 0)

/** Milliseconds since `started` (from {@link startClock}). */
export const since = (started: number): number => performance.now() - started
