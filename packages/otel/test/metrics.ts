/**
 * A real OpenTelemetry metrics SDK with its in-memory exporter, and helpers to read what it
 * exported. Shared by the otel tests.
 */
import {
  AggregationTemporality,
  type DataPoint,
  type Histogram,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics'
import { DURATION_HISTOGRAM, EVENTS_COUNTER } from '../src/index.js'

export interface Sdk {
  readonly provider: MeterProvider
  /** Export now and return the counter's points and the histogram's points. */
  collect(): Promise<{ counts: DataPoint<number>[]; durations: DataPoint<Histogram>[] }>
  shutdown(): Promise<void>
}

export function startSdk(): Sdk {
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE)
  // The interval is never reached: every test exports with forceFlush.
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 })
  const provider = new MeterProvider({ readers: [reader] })
  return {
    provider,
    async collect() {
      exporter.reset()
      await provider.forceFlush()
      const metrics = exporter.getMetrics().flatMap((r) => r.scopeMetrics.flatMap((s) => s.metrics))
      const points = (name: string) => metrics.filter((m) => m.descriptor.name === name).flatMap((m) => m.dataPoints as DataPoint<unknown>[])
      return {
        counts: points(EVENTS_COUNTER) as DataPoint<number>[],
        durations: points(DURATION_HISTOGRAM) as DataPoint<Histogram>[],
      }
    },
    shutdown: () => provider.shutdown(),
  }
}

/** Sum of the counter over the points whose attributes include `match`. */
export function count(points: DataPoint<number>[], match: Record<string, string>): number {
  return points
    .filter((p) => Object.entries(match).every(([k, v]) => p.attributes[k] === v))
    .reduce((sum, p) => sum + p.value, 0)
}
