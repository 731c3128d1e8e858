import { ConfigurationError } from './errors.js'

const UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }
const DURATION = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\s*$/

/** A duration string such as `'500ms'`, `'30s'`, `'5m'`, `'1h'` or `'1d'`. */
export type DurationString = `${number}${'ms' | 's' | 'm' | 'h' | 'd'}`

/**
 * Milliseconds from a number (already milliseconds) or a duration string. Numbers are always
 * milliseconds: the seconds-vs-milliseconds mix-up is the most reported TTL bug in the field.
 */
export function parseDuration(input: number | string, field = 'ttl'): number {
  let ms = input as number
  if (typeof input === 'string') {
    const match = DURATION.exec(input)
    if (!match) {
      throw new ConfigurationError(
        `${field} '${input}' is not a duration: use milliseconds (60000) or a string like '500ms', '30s', '5m', '1h', '1d'`,
      )
    }
    ms = Number(match[1]) * UNITS[match[2]!]!
  }
  if (!(ms > 0 && ms < Number.POSITIVE_INFINITY)) {
    throw new ConfigurationError(`${field} must be a positive number of milliseconds (omit it for no expiry), got ${typeof input === 'string' ? `'${input}'` : input}`)
  }
  return ms
}
