import { inspect } from 'node:util'
import Table from 'cli-table3'
import pc from 'picocolors'

/** Where a command writes, and what the terminal can show. */
export interface Io {
  readonly stdout: NodeJS.WriteStream
  readonly stderr: NodeJS.WriteStream
  readonly stdin: NodeJS.ReadStream
  readonly env: NodeJS.ProcessEnv
}

export interface Output {
  readonly json: boolean
  readonly color: ReturnType<typeof pc.createColors>
  /** A line on stdout. */
  line(text?: string): void
  /** One JSON document on stdout. */
  data(value: unknown): void
  table(head: string[], rows: (string | number)[][], align?: ('left' | 'right')[]): void
  /** Overwrite the progress line on stderr (TTY only); `undefined` clears it. */
  progress(text: string | undefined): void
  warn(text: string): void
}

/** Colour only on a TTY, and never when `NO_COLOR` is set (https://no-color.org). */
export function output(io: Io, json: boolean): Output {
  const colorful = io.stdout.isTTY === true && !io.env.NO_COLOR
  const color = pc.createColors(colorful)
  const progressive = io.stderr.isTTY === true
  let shown = false
  let last = 0
  return {
    json,
    color,
    line: (text = '') => void io.stdout.write(`${text}\n`),
    data: (value) => void io.stdout.write(`${JSON.stringify(value, jsonSafe, 2)}\n`),
    table(head, rows, align) {
      const table = new Table({
        head: head.map((h) => color.bold(h)),
        // cli-table3 colours head and border itself unless told not to.
        style: { head: [], border: [], compact: true },
        ...(align && { colAligns: align }),
      })
      table.push(...rows)
      io.stdout.write(`${table.toString()}\n`)
    },
    progress(text) {
      if (!progressive) return
      if (text === undefined) {
        if (shown) io.stderr.write('\r\x1b[2K')
        shown = false
        return
      }
      // At most ~10 updates a second: redrawing per file would cost more than the scan.
      const now = Date.now()
      if (shown && now - last < 100) return
      last = now
      shown = true
      io.stderr.write(`\r\x1b[2K${text}`)
    },
    warn: (text) => void io.stderr.write(`${color.yellow('warning')}: ${text}\n`),
  }
}

/** JSON for values JSON cannot hold: BigInt as a string, Map/Set as arrays, binary as base64. */
function jsonSafe(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString()
  if (value instanceof Map) return Object.fromEntries([...value].map(([k, v]) => [typeof k === 'string' ? k : inspect(k), v]))
  if (value instanceof Set) return [...value]
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64')
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value)
  if (value === undefined) return null
  return value
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`
  const units = ['KiB', 'MiB', 'GiB', 'TiB']
  let n = bytes / 1024
  let unit = 0
  while (n >= 1024 && unit < units.length - 1) {
    n /= 1024
    unit++
  }
  return `${n.toFixed(n < 10 ? 1 : 0)} ${units[unit]}`
}

/** A value as `util.inspect` prints it, cut to `max` characters unless `max` is Infinity. */
export function preview(value: unknown, max: number, pretty: boolean): string {
  const text = inspect(value, { depth: pretty ? null : 4, breakLength: pretty ? 100 : Number.POSITIVE_INFINITY, compact: pretty ? 3 : true, maxArrayLength: pretty ? null : 20, maxStringLength: pretty ? null : 200 })
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`
}
