/**
 * The entry envelope of ARCHITECTURE.md §12-§13: what a cached function stores when it needs
 * more than the value (stale windows, conditional refresh, tags). Functions without those
 * options store the bare value, so their entries pay nothing for the envelope.
 *
 * It is a plain object, so every engine stores it as it stores any value: structured engines
 * keep it as is, the others serialize it (the default serializer and `'json'` both round-trip
 * it). The marker field tells an envelope from a bare value written by a function without
 * these options or by an older release; such a value is read as a miss by functions that need
 * the envelope, never as garbage. Functions without them read an envelope (on persistent and
 * shared engines) as its value while fresh, and a marked object of another format as a miss.
 */

/** Marker property; its value is the envelope's format version. */
export const ENVELOPE_MARK = '$twatCache'
export const ENVELOPE_VERSION = 1

/** "No expiry" in `expiresAt`/`staleUntil`: JSON-safe, unlike `Infinity`, which JSON turns into `null`. */
export const NEVER = Number.MAX_SAFE_INTEGER

export interface Envelope<V = unknown> {
  readonly [ENVELOPE_MARK]: typeof ENVELOPE_VERSION
  readonly value: V
  /** When the value was computed (epoch milliseconds). */
  readonly createdAt: number
  /** Fresh until then (epoch ms); {@link NEVER} when the function has no `ttl`. */
  readonly expiresAt: number
  /**
   * Kept and servable as stale until then (epoch ms): `expiresAt` plus the longer of the
   * stale-while-revalidate and stale-if-error windows. The engine's own TTL is set to end here.
   */
  readonly staleUntil: number
  /** Tags of §13, absent when the entry has none. */
  readonly tags?: readonly string[]
}

export function envelope<V>(value: V, createdAt: number, expiresAt: number, staleUntil: number, tags?: readonly string[]): Envelope<V> {
  const entry: { -readonly [K in keyof Envelope<V>]: Envelope<V>[K] } = {
    [ENVELOPE_MARK]: ENVELOPE_VERSION,
    value,
    createdAt,
    expiresAt,
    staleUntil,
  }
  if (tags !== undefined && tags.length > 0) entry.tags = tags
  return entry
}

/** True for an envelope of a format this release reads. */
export function isEnvelope(stored: unknown): stored is Envelope {
  return typeof stored === 'object' && stored !== null && (stored as Record<string, unknown>)[ENVELOPE_MARK] === ENVELOPE_VERSION
}

/** True for anything carrying the envelope marker, of any format version (this release's or not). */
export function isMarked(stored: unknown): boolean {
  return typeof stored === 'object' && stored !== null && Object.hasOwn(stored, ENVELOPE_MARK)
}
