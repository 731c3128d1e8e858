import { ConfigurationError } from './errors.js'

const UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }
const DURATION = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\s*$/

/** A duration string such as `'500ms'`, `'30s'`, `'5m'`, `'1h'` or `'1d'`. */
export type DurationString = `${number}${'ms' | 's' | 'm' | 'h' | 'd'}`

/** What a duration must look like, for messages. */
const DURATION_SHAPE = "a positive number of milliseconds (at most Number.MAX_SAFE_INTEGER) or a string like '500ms', '30s', '5m', '1h', '1d'"
export const DURATION_EXPECTED = `expected ${DURATION_SHAPE}`

/**
 * Whole milliseconds from a number (already milliseconds) or a duration string, rounded up
 * (`'1.5ms'` and `1.5` are 2: lru-cache and Redis `PX` take integers only), or `undefined` when
 * `input` is not a positive duration engines can store (more than `Number.MAX_SAFE_INTEGER` ms
 * overflows Redis `PX` once the clock is added). The one place durations are normalised.
 */
export function toMilliseconds(input: unknown): number | undefined {
  let ms: number
  if (typeof input === 'number') ms = input
  else if (typeof input === 'string') {
    const match = DURATION.exec(input)
    if (!match) return undefined
    ms = Number(match[1]) * UNITS[match[2]!]!
  } else return undefined
  ms = Math.ceil(ms)
  return ms > 0 && ms <= Number.MAX_SAFE_INTEGER ? ms : undefined
}

/**
 * Milliseconds from a number (already milliseconds) or a duration string. Numbers are always
 * milliseconds: the seconds-vs-milliseconds mix-up is the most reported TTL bug in the field.
 */
export function parseDuration(input: number | string, field = 'ttl'): number {
  const ms = toMilliseconds(input)
  if (ms === undefined) {
    const shown = typeof input === 'string' ? `'${input}'` : String(input)
    throw new ConfigurationError(`${field} must be ${DURATION_SHAPE} (omit it for no expiry), got ${shown}`)
  }
  return ms
}
