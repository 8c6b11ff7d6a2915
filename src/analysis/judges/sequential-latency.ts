/**
 * Sequential latency test: the latency trigger ("p95 above 2× the baseline's") as a count, checked
 * by the same mixture SPRT as error rates (sequential.ts).
 *
 * A p95 above a limit L means more than 5% of requests are slower than L. So once the baseline has
 * enough traffic, the test fixes L = maxRatio × max(floor, baseline p95) for the rest of the
 * analysis, counts the new release's requests that were certainly slower than L (their histogram
 * bucket starts above L) and tests H0 "each request is slower than L with probability at most 5%"
 * with the mixture likelihood ratio and its restarts. Under H0 the chance of ever failing is at most
 * α (Ville's inequality, as for error rates).
 *
 * It only ever fails early: when the evidence is not there it passes, and the fixed-window ratio
 * trigger beside it (`latency-p95`) decides as before — a release sitting exactly on its limit
 * cannot be told apart from one just under it, and that trigger keeps judging it over its window.
 */
import type { Measurement, MeasurementOk, Verdict } from '../contract.ts';
import { formatValue } from './format.ts';
import {
  type Anchor,
  anchorAlpha,
  finite,
  formatAlpha,
  SEQUENTIAL_DEFAULTS,
  sequentialTest,
} from './sequential.ts';

export interface SequentialLatencyRule {
  readonly name: string;
  /** The trigger's factor over the baseline's p95 (`rollbackIf.latency.p95AboveBaseline`), e.g. 2. */
  readonly maxRatio: number;
  /** A baseline p95 below this is taken as this, in ms. */
  readonly floor?: number;
  /** The percentile's tail: 0.05 for p95. */
  readonly tail?: number;
  readonly alpha?: number;
  /** Baseline requests needed before the limit is fixed; default 50. */
  readonly minCount?: number;
}

/** A latency histogram: `counts[i]` requests took up to `upperMs[i]` (non-empty buckets only). */
export interface Histogram {
  readonly upperMs: readonly number[];
  readonly counts: readonly number[];
}

/** The builtin router's buckets are 10% wide: a bucket ending at u starts at u / 1.1. */
export const BUCKET_FACTOR = 1.1;

/** The `q` quantile of a histogram, as the upper edge of its bucket (never below the true one). */
export function quantileOf(h: Histogram, q: number): number | undefined {
  const total = h.counts.reduce((a, b) => a + b, 0);
  if (total === 0) return undefined;
  const rank = Math.ceil(q * total);
  let seen = 0;
  for (let i = 0; i < h.counts.length; i++) {
    seen += h.counts[i]!;
    if (seen >= rank) return h.upperMs[i];
  }
  return h.upperMs.at(-1);
}

/** Requests certainly slower than `limitMs`: those in buckets that start above it. */
export function slowerThan(h: Histogram, limitMs: number): { requests: number; slow: number } {
  let requests = 0;
  let slow = 0;
  h.upperMs.forEach((upper, i) => {
    const n = h.counts[i] ?? 0;
    requests += n;
    // The edges are rounded: a bucket counts only when its start is clearly past the limit.
    if (upper / BUCKET_FACTOR > limitMs * 1.001) slow += n;
  });
  return { requests, slow };
}

const pass = (rule: SequentialLatencyRule, reason: string, extra: Partial<Verdict> = {}): Verdict => ({
  verdict: 'pass',
  rule: rule.name,
  observed: null,
  threshold: null,
  sample: { new: 0 },
  reason: `${rule.name}: ${reason}; the fixed latency trigger decides`,
  ...extra,
});

/**
 * `limitMs`: the limit fixed at an earlier round (undefined until the baseline had enough traffic);
 * `earlier`: cumulative {requests, errors = slow requests} at earlier rounds under that limit.
 */
export function judgeSequentialLatency(
  rule: SequentialLatencyRule,
  current: Measurement,
  baseline: Measurement | undefined,
  limitMs: number | undefined,
  earlier: readonly Anchor[],
): Verdict {
  const alpha = rule.alpha ?? SEQUENTIAL_DEFAULTS.alpha;
  const tail = rule.tail ?? 0.05;
  const histogramOf = (m: Measurement | undefined) =>
    m?.phase === 'ok' ? (m as MeasurementOk).histogram : undefined;
  let limit = limitMs;
  if (limit === undefined) {
    const b = histogramOf(baseline);
    const total = b ? b.counts.reduce((x, y) => x + y, 0) : 0;
    const p95 =
      b && total >= (rule.minCount ?? SEQUENTIAL_DEFAULTS.minCount) ? quantileOf(b, 1 - tail) : undefined;
    if (p95 === undefined) return pass(rule, 'no latency histogram with enough baseline traffic yet');
    limit = rule.maxRatio * Math.max(rule.floor ?? 0, p95);
  }
  const h = histogramOf(current);
  if (!h) return pass(rule, 'no latency histogram for the new release', { stats: { limitMs: limit } });
  const now = slowerThan(h, limit);
  const r = sequentialTest({ requests: now.requests, errors: now.slow }, earlier, tail, alpha);
  const stats = {
    limitMs: limit,
    requests: now.requests,
    events: now.slow,
    ...finite('logLikelihoodRatio', r.margin + Math.log(1 / anchorAlpha(alpha, r.anchor))),
    alpha,
    anchor: r.anchor,
  };
  const share = (k: number, n: number) => formatValue(n > 0 ? k / n : 0, 'ratio');
  const base = {
    rule: rule.name,
    observed: now.requests > 0 ? now.slow / now.requests : null,
    threshold: tail,
    sample: { new: now.requests },
    stats,
  };
  if (r.reject) {
    const since = r.anchor === 0 ? 'since the analysis started' : `in the last ${r.requests} requests`;
    const reason = `${rule.name}: ${r.errors} of ${r.requests} requests ${since} (${share(r.errors, r.requests)}) were slower than ${Math.round(limit)} ms (${rule.maxRatio}× the baseline's p${Math.round((1 - tail) * 100)}), showing the p${Math.round((1 - tail) * 100)} above it (sequential test, α = ${formatAlpha(alpha)})`;
    return { ...base, verdict: 'fail', reason };
  }
  const reason = `${rule.name}: ${now.slow} of ${now.requests} requests slower than ${Math.round(limit)} ms, not shown above ${share(1, 1 / tail)}; the fixed latency trigger decides`;
  return { ...base, verdict: 'pass', reason };
}
