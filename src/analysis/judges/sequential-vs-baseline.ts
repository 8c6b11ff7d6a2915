/**
 * Sequential two-sample error-rate test: the new release against the release it replaces, both
 * served by the router at the same time (a canary beside its stable release). Rolls back a release
 * shown to fail more often than the stable one, even when both are under the absolute limit.
 *
 * H0: a request to the new release fails with probability at most that of a request to the
 * baseline. Between two measurements the router sent n₁ requests to the new release and n₀ to the
 * baseline, with e₁ and e₀ errors. Given e = e₁ + e₀, under equal rates e₁ is hypergeometric (the
 * e errors are a random subset of the n₁ + n₀ requests), and a lower new-release rate only makes it
 * smaller. For an alternative "the new release fails ρ times as often", π = ρn₁ / (ρn₁ + n₀) against
 * π₀ = n₁ / (n₁ + n₀), the factor (π/π₀)^e₁ · ((1−π)/(1−π₀))^e₀ has expectation at most 1 under H0
 * (Hoeffding 1963: a convex function of a hypergeometric count averages no more than of the
 * binomial one, whose expectation is exactly 1). The product over intervals, averaged over
 * ρ ∈ {1.5, 2, 3, 5, 8, 20, 100}, is a nonnegative supermartingale: by Ville's inequality the chance it ever
 * reaches 1/α is at most α. Restarts on the one-per-second grid share α as in sequential.ts.
 *
 * Only traffic seen at the same time counts: the stretch before the first measurement (the stable
 * release's traffic before the canary) and intervals where either side had no requests add nothing.
 */
import type { Measurement, Verdict } from '../contract.ts';
import { formatShare } from './format.ts';
import {
  ANCHOR_STEP_MS,
  anchorAlpha,
  type Counts,
  countsOf,
  formatAlpha,
  SEQUENTIAL_DEFAULTS,
  testStats,
} from './sequential.ts';

export interface SequentialVsBaselineRule {
  readonly name: string;
  readonly alpha?: number;
}

/** Cumulative counts of both releases at one measurement. */
export interface PairPoint {
  readonly at: number;
  readonly current: Counts;
  readonly baseline: Counts;
}

/**
 * 20 and 100 are for a stable release with (almost) no errors: there every error of the new
 * release is close to the most evidence one error can be (log 2), and 8 alone gives 0.58 of it.
 */
const RATIOS = [1.5, 2, 3, 5, 8, 20, 100];

export interface TwoSampleResult {
  readonly reject: boolean;
  readonly anchor: number;
  readonly margin: number;
  readonly newRequests: number;
  readonly newErrors: number;
  readonly baselineRequests: number;
  readonly baselineErrors: number;
}

/** log of the factor one interval contributes, per alternative ratio. */
function intervalLogs(a: PairPoint, b: PairPoint): number[] | undefined {
  const n1 = b.current.requests - a.current.requests;
  const n0 = b.baseline.requests - a.baseline.requests;
  const e1 = b.current.errors - a.current.errors;
  const e0 = b.baseline.errors - a.baseline.errors;
  // A count that went down (the router's window slid, or it restarted) describes no interval.
  if (n1 <= 0 || n0 <= 0 || e1 < 0 || e0 < 0 || e1 > n1 || e0 > n0 || e1 + e0 === 0) return undefined;
  const pi0 = n1 / (n1 + n0);
  return RATIOS.map((rho) => {
    const pi = (rho * n1) / (rho * n1 + n0);
    return e1 * Math.log(pi / pi0) + e0 * Math.log((1 - pi) / (1 - pi0));
  });
}

function logMean(sums: readonly number[]): number {
  const max = Math.max(...sums);
  return max + Math.log(sums.reduce((s, l) => s + Math.exp(l - max), 0) / sums.length);
}

/**
 * The test over every restart: `points` are the measurements of the analysis, oldest first, the
 * last one being now; `since` is the analysis' first measurement (the origin of the restart grid).
 */
export function twoSampleTest(points: readonly PairPoint[], since: number, alpha: number): TwoSampleResult {
  const sums = RATIOS.map(() => 0);
  const last = points.at(-1);
  let best: TwoSampleResult | undefined;
  let lastIndex = Number.POSITIVE_INFINITY;
  // Walk back from now; each grid second's first measurement is a restart.
  for (let i = points.length - 1; i >= 0; i--) {
    const p = points[i]!;
    if (i < points.length - 1) {
      const logs = intervalLogs(p, points[i + 1]!);
      if (logs) for (const [k, l] of logs.entries()) sums[k]! += l;
    }
    const index = Math.floor((p.at - since) / ANCHOR_STEP_MS);
    const first = i === 0 || Math.floor((points[i - 1]!.at - since) / ANCHOR_STEP_MS) < index;
    if (!first || index >= lastIndex || !last || i === points.length - 1) continue;
    lastIndex = index;
    const margin = logMean(sums) - Math.log(1 / anchorAlpha(alpha, index));
    if (!best || margin > best.margin)
      best = {
        reject: margin >= 0,
        anchor: index,
        margin,
        newRequests: last.current.requests - p.current.requests,
        newErrors: last.current.errors - p.current.errors,
        baselineRequests: last.baseline.requests - p.baseline.requests,
        baselineErrors: last.baseline.errors - p.baseline.errors,
      };
  }
  return (
    best ?? {
      reject: false,
      anchor: 0,
      margin: Number.NEGATIVE_INFINITY,
      newRequests: 0,
      newErrors: 0,
      baselineRequests: 0,
      baselineErrors: 0,
    }
  );
}

/**
 * Fails when the test rejects; passes otherwise (the absolute triggers decide the rest). `earlier`
 * are this analysis' earlier measurements of both sides, oldest first.
 */
export function judgeSequentialVsBaseline(
  rule: SequentialVsBaselineRule,
  current: Measurement,
  baseline: Measurement | undefined,
  earlier: readonly PairPoint[],
  now: number,
  since: number,
): Verdict {
  const alpha = rule.alpha ?? SEQUENTIAL_DEFAULTS.alpha;
  const c = current.phase === 'ok' ? countsOf(current) : undefined;
  const b = baseline?.phase === 'ok' ? countsOf(baseline) : undefined;
  const pass = (reason: string, extra: Partial<Verdict> = {}): Verdict => ({
    verdict: 'pass',
    rule: rule.name,
    observed: null,
    threshold: null,
    sample: { new: c?.requests ?? 0 },
    reason: `${rule.name}: ${reason}`,
    ...extra,
  });
  if (!c || !b) return pass('no error counts for both releases; the absolute trigger decides');
  const stats = {
    newRequests: c.requests,
    newErrors: c.errors,
    baselineRequests: b.requests,
    baselineErrors: b.errors,
  };
  const r = twoSampleTest([...earlier, { at: now, current: c, baseline: b }], since, alpha);
  const base = {
    rule: rule.name,
    observed: r.newRequests > 0 ? r.newErrors / r.newRequests : null,
    threshold: r.baselineRequests > 0 ? r.baselineErrors / r.baselineRequests : null,
    sample: { new: r.newRequests, baseline: r.baselineRequests },
    stats: {
      ...stats,
      ...testStats(r, alpha),
    },
  };
  if (r.reject) {
    const reason = `${rule.name}: ${r.newErrors} errors in ${r.newRequests} requests (${formatShare(r.newErrors, r.newRequests)}) against the stable release's ${r.baselineErrors} in ${r.baselineRequests} (${formatShare(r.baselineErrors, r.baselineRequests)}) over the same time show the new release failing more often (sequential test, α = ${formatAlpha(alpha)})`;
    return { ...base, verdict: 'fail', reason };
  }
  return {
    ...base,
    verdict: 'pass',
    reason: `${rule.name}: not shown to fail more often than the stable release`,
  };
}
