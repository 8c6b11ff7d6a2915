/**
 * For the latency judges' tests: request latencies as the builtin router's histogram (buckets 10%
 * wide from 0.05 ms) and as a measurement carrying it.
 */
import type { Measurement } from '../contract.ts';
import type { Histogram } from './sequential-latency.ts';

/** The upper edge of bucket k. */
export const bucketEdge = (k: number) => 0.05 * 1.1 ** k;

export function histogramOf(
  latencies: readonly number[],
  edge: (k: number) => number = bucketEdge,
): Histogram {
  const counts = new Map<number, number>();
  for (const ms of latencies) {
    const k = Math.max(0, Math.ceil(Math.log(ms / 0.05) / Math.log(1.1)));
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  const keys = [...counts.keys()].sort((a, b) => a - b);
  return { upperMs: keys.map(edge), counts: keys.map((k) => counts.get(k)!) };
}

export const measuredLatencies = (
  latencies: readonly number[],
  edge?: (k: number) => number,
): Measurement => ({
  phase: 'ok',
  value: 0,
  count: latencies.length,
  histogram: histogramOf(latencies, edge),
});
