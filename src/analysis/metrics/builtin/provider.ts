/**
 * Metrics from slipway's own traffic router: turns `TrafficRouter.metrics()` (requests, status
 * classes, failures and latency percentiles per release over a rolling window) into
 * measurements. Metrics: `error_rate` (5xx and failed requests over requests), `p50`, `p95`,
 * `p99` (ms), `requests`. Error rates carry Wilson bounds from their request count, percentiles the
 * router's bounds (rank spread and bucket edges), so judges can see how close to a limit they are.
 */
import type { ReleaseMetrics, TrafficRouter } from '../../../traffic/contract.ts';
import type { Measurement, MetricProvider, MetricQuery } from '../../contract.ts';
import { wilsonBounds } from '../../judges/bounds.ts';
import { formatDuration } from '../../judges/format.ts';

export const BUILTIN_METRICS = ['error_rate', 'p50', 'p95', 'p99', 'requests', 'latency'] as const;
/** At most this many latency samples are rebuilt from a histogram (counts scaled down beyond). */
const MAX_SAMPLES = 20_000;

/**
 * Every request's latency as its histogram bucket's upper edge (the router keeps no finer): the
 * samples a rank test (Mann-Whitney) compares. A rank test only sees order, so the edge serves as
 * well as any point of the bucket; ties within a bucket are corrected for by the test.
 */
export function latencySamples(m: ReleaseMetrics): number[] | undefined {
  const h = m.latencyHistogram;
  if (!h) return undefined;
  const total = h.counts.reduce((a, b) => a + b, 0);
  const scale = total > MAX_SAMPLES ? MAX_SAMPLES / total : 1;
  const samples: number[] = [];
  h.upperMs.forEach((upper, i) => {
    for (let n = Math.round((h.counts[i] ?? 0) * scale); n > 0; n--) samples.push(upper);
  });
  return samples;
}
export type BuiltinMetric = (typeof BUILTIN_METRICS)[number];

/** The part of a TrafficRouter this provider needs. */
export type MetricsSource = Pick<TrafficRouter, 'name' | 'metrics'>;

export interface BuiltinProviderConfig {
  readonly router: MetricsSource;
}

function isBuiltinMetric(metric: string): metric is BuiltinMetric {
  return (BUILTIN_METRICS as readonly string[]).includes(metric);
}

/** Pure: one metric out of a router's `ReleaseMetrics`. */
export function measurementOf(metric: BuiltinMetric, m: ReleaseMetrics, q: MetricQuery): Measurement {
  const count = m.requests;
  if (metric === 'requests') return { phase: 'ok', value: count, count };
  if (count === 0) {
    return {
      phase: 'nodata',
      reason: `no requests to release ${q.release} in ${q.env} in the last ${formatDuration(q.windowMs)}`,
    };
  }
  if (metric === 'error_rate') {
    const rate = (m.status['5xx'] + m.failures) / count;
    return { phase: 'ok', value: rate, count, bounds: wilsonBounds(rate, count) };
  }
  if (metric === 'latency') {
    const samples = latencySamples(m);
    if (samples === undefined || samples.length === 0) {
      return {
        phase: 'nodata',
        reason: `the router keeps no latency histogram for release ${q.release} in ${q.env}`,
      };
    }
    return { phase: 'ok', value: m.latency.p50 ?? 0, count, samples, histogram: m.latencyHistogram! };
  }
  const value = m.latency[metric];
  if (value === null) {
    return {
      phase: 'nodata',
      reason: `the router has no ${metric} latency for release ${q.release} in ${q.env}`,
    };
  }
  const bounds = m.latencyBounds?.[metric];
  return bounds ? { phase: 'ok', value, count, bounds } : { phase: 'ok', value, count };
}

export function createBuiltinProvider(config: BuiltinProviderConfig): MetricProvider {
  const { router } = config;
  return {
    name: 'builtin',
    async query(q) {
      if (!isBuiltinMetric(q.metric)) {
        return {
          phase: 'error',
          message: `the builtin provider has no metric "${q.metric}"; it knows ${BUILTIN_METRICS.join(', ')}`,
        };
      }
      if (!router.metrics) {
        return {
          phase: 'error',
          message: `traffic router ${router.name} does not report metrics; use the prometheus or http metric provider`,
        };
      }
      try {
        // The router answers for the last N ms only: a window that ended in the past (the stable
        // release up to a cutover, which serves nothing since) is read as the last N + endedAgo ms.
        const windowMs = q.windowMs + (q.endedAgoMs ?? 0);
        return measurementOf(q.metric, await router.metrics(q.env, q.release, windowMs), q);
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        return {
          phase: 'error',
          message: `traffic router ${router.name} metrics for ${q.env}/${q.release}: ${message}`,
        };
      }
    },
  };
}
