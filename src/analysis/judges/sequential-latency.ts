/**
 * Sequential latency test: the latency trigger ("p95 above 2× the baseline's") as a count, checked
 * by the same mixture SPRT as error rates (sequential.ts), against the stable release served at the
 * same time.
 *
 * A p95 above a limit L means more than 5% of requests are slower than L. At every round the test
 * takes an upper confidence bound U on the stable release's p95 over its traffic from 5 minutes
 * before the analysis started until now (the new release's window, and the 5 minutes before it;
 * quantile-bound.ts: it holds for every round at once with probability 1 − α/2) and sets the
 * limit for the traffic until the next round to L = maxRatio × max(floor, U). The new release's
 * requests that arrive after a limit was set are counted against that limit (slower only when
 * their whole histogram bucket is past it), and the running count is tested for H0 "each request
 * is slower than its limit with probability at most 5%" with the mixture likelihood ratio and its
 * restarts, at α/2. A release whose p95 is within
 * maxRatio × the stable's is rolled back with probability at most α (Ville's inequality and the
 * union bound), however often the test looks — assuming, as any comparison does, that each side's
 * requests are alike over the analysis.
 *
 * It only ever fails early: when the evidence is not there it passes, and the fixed-window ratio
 * trigger beside it (`latency-p95`) decides as before — a release sitting exactly on its limit
 * cannot be told apart from one just under it, and that trigger keeps judging it over its window.
 */
import type { Measurement, MeasurementOk, Verdict } from '../contract.ts';
import { undecided } from './common.ts';
import { formatShare } from './format.ts';
import { quantileUpperBound } from './quantile-bound.ts';
import { type Anchor, formatAlpha, SEQUENTIAL_DEFAULTS, sequentialTest, testStats } from './sequential.ts';

export interface SequentialLatencyRule {
  readonly name: string;
  /** The trigger's factor over the baseline's p95 (`rollbackIf.latency.p95AboveBaseline`), e.g. 2. */
  readonly maxRatio: number;
  /** A baseline p95 below this is taken as this, in ms. */
  readonly floor?: number;
  /** The percentile's tail: 0.05 for p95. */
  readonly tail?: number;
  readonly alpha?: number;
  /** Baseline requests needed before a limit is set, besides the bound's own need; default none. */
  readonly minCount?: number;
}

/** A latency histogram: `counts[i]` requests took up to `upperMs[i]` (non-empty buckets only). */
export interface Histogram {
  readonly upperMs: readonly number[];
  readonly counts: readonly number[];
}

/**
 * The stable release's traffic the p95 bound rests on starts this long before the analysis, and
 * grows from there. An upper bound on a p95 from a few hundred requests sits among the slowest of
 * them (from 180: the slowest), and on a busy machine those are several times the p95: the bound
 * needs thousands. So it takes the stable's traffic of the last 5 minutes too, which also gives a
 * limit at once when a very slow canary holds up the clients. The price: the stable release's
 * latencies before the canary count as the reference (they served all the traffic then).
 */
export const STABLE_LEAD_MS = 300_000;

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

/**
 * What one round hands the next (kept in its verdict's stats): the limit it set, the new release's
 * cumulative requests and slow requests under that limit as it saw them, and the running counts
 * the test has accumulated.
 */
export interface LatencyCarry {
  readonly limitMs?: number;
  readonly seenRequests?: number;
  readonly seenSlow?: number;
  readonly requests?: number;
  readonly events?: number;
}

const pass = (rule: SequentialLatencyRule, reason: string, stats: Record<string, number>): Verdict =>
  undecided('pass', rule.name, `${rule.name}: ${reason}; the fixed latency trigger decides`, { stats });

/** The carry's fields that are numbers, as stats (so a round without data keeps the chain). */
function carried(c: LatencyCarry | undefined): Record<string, number> {
  return Object.fromEntries(Object.entries(c ?? {}).filter(([, v]) => typeof v === 'number'));
}

/**
 * `previous`: the stats of this rule's last round (undefined at the first); `earlier`: the running
 * counts {requests, errors = slow requests} at earlier rounds, as restarts (sequential.ts).
 * `baseline`: the stable release's latencies over the same window as `current`.
 */
export function judgeSequentialLatency(
  rule: SequentialLatencyRule,
  current: Measurement,
  baseline: Measurement | undefined,
  previous: LatencyCarry | undefined,
  earlier: readonly Anchor[],
): Verdict {
  const alpha = rule.alpha ?? SEQUENTIAL_DEFAULTS.alpha;
  // Half of α for the stable p95's bound, half for the count.
  const testAlpha = alpha / 2;
  const tail = rule.tail ?? 0.05;
  const histogramOf = (m: Measurement | undefined) =>
    m?.phase === 'ok' ? (m as MeasurementOk).histogram : undefined;
  const h = histogramOf(current);
  if (!h) return pass(rule, 'no latency histogram for the new release', carried(previous));
  // The traffic since the last round, against the limit that round set.
  let requests = previous?.requests ?? 0;
  let slow = previous?.events ?? 0;
  const p = previous;
  if (p?.limitMs !== undefined && p.seenRequests !== undefined && p.seenSlow !== undefined) {
    const now = slowerThan(h, p.limitMs);
    const more = now.requests - p.seenRequests;
    const moreSlow = now.slow - p.seenSlow;
    // A count below the last one means the router restarted: that stretch is lost, not counted.
    if (more >= 0 && moreSlow >= 0 && moreSlow <= more) {
      requests += more;
      slow += moreSlow;
    }
  }
  // The limit for the traffic until the next round: from the stable release's traffic so far.
  const b = histogramOf(baseline);
  const bound = b ? quantileUpperBound(b, tail, alpha / 2) : undefined;
  const enough = bound !== undefined && bound.requests >= (rule.minCount ?? 0);
  const limit = enough ? rule.maxRatio * Math.max(rule.floor ?? 0, bound.ms) : p?.limitMs;
  const seen = limit === undefined ? undefined : slowerThan(h, limit);
  const carry: Record<string, number> = {
    ...(limit !== undefined && { limitMs: limit }),
    ...(seen && { seenRequests: seen.requests, seenSlow: seen.slow }),
    requests,
    events: slow,
    ...(enough && { baselineRequests: bound.requests, baselineBoundMs: bound.ms }),
  };
  if (p?.limitMs === undefined && limit === undefined)
    return pass(rule, 'too little traffic to the stable release to bound its p95 yet', carry);
  const r = sequentialTest({ requests, errors: slow }, earlier, tail, testAlpha);
  const stats = {
    ...carry,
    ...testStats(r, alpha, testAlpha),
  };
  const base = {
    rule: rule.name,
    observed: requests > 0 ? slow / requests : null,
    threshold: tail,
    sample: { new: requests },
    stats,
  };
  const pct = `p${Math.round((1 - tail) * 100)}`;
  // The limit the decisive requests were counted against (the last round's).
  const against = Math.round(p?.limitMs ?? limit ?? 0);
  if (r.reject) {
    const since = r.anchor === 0 ? 'since the test started' : `in the last ${r.requests} requests`;
    const reason = `${rule.name}: ${r.errors} of ${r.requests} requests ${since} (${formatShare(r.errors, r.requests)}) were slower than ${against} ms (${rule.maxRatio}× the stable release's ${pct}, bounded above), showing the ${pct} above it (sequential test, α = ${formatAlpha(alpha)})`;
    return { ...base, verdict: 'fail', reason };
  }
  const reason = `${rule.name}: ${slow} of ${requests} requests slower than ${against} ms, not shown above ${formatShare(1, 1 / tail)}; the fixed latency trigger decides`;
  return { ...base, verdict: 'pass', reason };
}
