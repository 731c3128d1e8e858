import { afterEach, describe, expect, it, vi } from 'vitest'

// The level comes from TWAT_CACHE_LOG_LEVEL once, when the module loads: each case loads a
// fresh copy of the logger with the variable set.
async function freshLogger(level: string | undefined) {
  vi.resetModules()
  if (level !== undefined) vi.stubEnv('TWAT_CACHE_LOG_LEVEL', level)
  const logger = await import('../src/logger.js')
  const seen: string[] = []
  const record = (tag: string) => (message: string) => seen.push(`${tag} ${message}`)
  logger.setLogger({ debug: record('debug'), info: record('info'), warn: record('warn'), error: record('error') })
  const logAll = () => {
    for (const level of ['debug', 'info', 'warn', 'error'] as const) logger.log(level, 'test', level)
  }
  return { logger, seen, logAll }
}

afterEach(() => {
  vi.unstubAllEnvs()
})

describe('log levels', () => {
  it('default to warn', async () => {
    const { seen, logAll } = await freshLogger(undefined)
    logAll()
    expect(seen).toEqual(['warn [twat-cache:test] warn', 'error [twat-cache:test] error'])
  })

  it('follow TWAT_CACHE_LOG_LEVEL, in any case', async () => {
    const debug = await freshLogger('DEBUG')
    debug.logAll()
    expect(debug.seen).toHaveLength(4)
    const error = await freshLogger('error')
    error.logAll()
    expect(error.seen).toEqual(['error [twat-cache:test] error'])
    const silent = await freshLogger('silent')
    silent.logAll()
    expect(silent.seen).toEqual([])
  })

  it('keep warn for a value that names no level, and say so once on load (an empty one is unset)', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    try {
      for (const value of ['loud', 'toString', '']) {
        warn.mockClear()
        const { seen, logAll } = await freshLogger(value)
        logAll()
        expect(seen).toHaveLength(2)
        const told = warn.mock.calls.map((call) => String(call[0]))
        expect(told).toEqual(value === '' ? [] : [`[twat-cache:config] TWAT_CACHE_LOG_LEVEL='${value}' is not a level (use debug, info, warn, error or silent); logging at 'warn'`])
      }
    } finally {
      warn.mockRestore()
    }
  })

  it('refuse a level that does not exist in code', async () => {
    const { logger, seen, logAll } = await freshLogger(undefined)
    expect(() => logger.setLogLevel('loud' as never)).toThrow(/log level "loud" does not exist: use debug, info, warn, error or silent/)
    expect(() => logger.setLogger(console, 'verbose' as never)).toThrow(/does not exist/)
    logAll()
    expect(seen).toHaveLength(2)
  })

  it('change with setLogLevel and setLogger, and warn once per id', async () => {
    const { logger, seen, logAll } = await freshLogger(undefined)
    logger.setLogLevel('info')
    logAll()
    expect(seen).toHaveLength(3)
    seen.length = 0
    logger.setLogger({ debug() {}, info() {}, warn: (m: string) => seen.push(m), error() {} }, 'error')
    logger.log('warn', 'test', 'hidden')
    expect(seen).toEqual([])
    logger.setLogLevel('warn')
    expect(logger.warnOnce('id', 'test', 'first')).toBe(true)
    expect(logger.warnOnce('id', 'test', 'again')).toBe(false)
    expect(seen).toEqual(['[twat-cache:test] first'])
  })
})
