/**
 * `@twat-cache/otel`: twat-cache's cache events as OpenTelemetry metrics. No side effects on
 * import; nothing is recorded until {@link instrument} is called.
 */
import { type Attributes, type MeterProvider, createNoopMeter, metrics } from '@opentelemetry/api'
import { type CacheEvent, onCacheEvent, warnOnce } from '@twat-cache/core'

/** The meter's name (the instrumentation scope) as exporters show it. */
export const METER_NAME = '@twat-cache/otel'

/**
 * One counter for all events, split by the `cache.event` attribute (`hit`, `miss`, `stale`,
 * `set`, `delete`, `error`, `refresh`). One instrument rather than seven: a hit ratio is one
 * query over one metric (`sum by (cache.event)`), and a new event type needs no new metric.
 */
export const EVENTS_COUNTER = 'twat_cache.events'

/** Histogram of how long the cached function ran, in milliseconds: `miss` and `refresh` runs. */
export const DURATION_HISTOGRAM = 'twat_cache.function.duration'

export interface InstrumentOptions {
  /**
   * Where the metrics go.
   * @default the global provider (`metrics.getMeterProvider()` of `@opentelemetry/api`)
   */
  meterProvider?: MeterProvider | undefined
}

/**
 * Record twat-cache's events as OpenTelemetry metrics until the returned function is called:
 *
 * - `twat_cache.events` (counter): one per event, attributes `cache.event`, `cache.name` (the
 *   function's name), `cache.engine`, and `error.type` (the error's name) on `error` events;
 * - `twat_cache.function.duration` (histogram, `ms`): the function's run time on `miss` and
 *   `refresh`, attributes `cache.event`, `cache.name`, `cache.engine`.
 *
 * Keys are never recorded (they would explode cardinality and may hold personal data).
 *
 * ```ts
 * import { instrument } from '@twat-cache/otel'
 * const stop = instrument({ meterProvider })
 * ```
 *
 * Without `meterProvider` and with no global provider registered (the OpenTelemetry SDK not set
 * up yet), nothing could be recorded: it logs one warning and does not listen, so cached calls
 * pay nothing for events. Call it after the SDK registers its provider, or pass `meterProvider`.
 */
export function instrument(options: InstrumentOptions = {}): () => void {
  const provider = options.meterProvider ?? metrics.getMeterProvider()
  const meter = provider.getMeter(METER_NAME)
  if (options.meterProvider === undefined && meter.constructor === noopMeter.constructor) {
    warnOnce(
      'otel:no-provider',
      'otel',
      'instrument(): no OpenTelemetry meter provider is registered, so no metric would be exported; call instrument() after the SDK registers one (metrics.setGlobalMeterProvider), or pass { meterProvider }',
    )
    return () => {}
  }
  const events = meter.createCounter(EVENTS_COUNTER, {
    description: 'Cache events by type (cache.event: hit, miss, stale, set, delete, error, refresh)',
    unit: '{event}',
  })
  const duration = meter.createHistogram(DURATION_HISTOGRAM, {
    description: 'Run time of the cached function on a miss or a refresh',
    unit: 'ms',
  })
  return onCacheEvent((event: CacheEvent) => {
    const attributes: Attributes = { 'cache.event': event.type, 'cache.name': event.name, 'cache.engine': event.engine }
    if (event.durationMs !== undefined && (event.type === 'miss' || event.type === 'refresh')) {
      duration.record(event.durationMs, attributes)
    }
    if (event.type === 'error') attributes['error.type'] = errorType(event.error)
    events.add(1, attributes)
  })
}

/** What the API hands out when no provider is registered (its class is not exported). */
const noopMeter = createNoopMeter()

function errorType(error: unknown): string {
  if (error instanceof Error) return error.name
  return error === undefined ? 'unknown' : typeof error
}
