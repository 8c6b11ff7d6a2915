/**
 * A time-uniform upper confidence bound on a quantile of the baseline's latencies, from the
 * router's histogram: however often it is recomputed as the baseline's traffic grows, the chance
 * that it is ever below the true quantile is at most δ.
 *
 * Let q* be the baseline's true (1 − tail) quantile: each request is at or above it with
 * probability at least `tail`. Among n requests, the count A_n at or above q* is then at least a
 * Binomial(n, tail); the likelihood ratio of a smaller rate r < tail against `tail`,
 *   (r / tail)^A · ((1 − r) / (1 − tail))^(n − A),
 * and the equal-weight mixture M_n over a grid of such r are nonnegative supermartingales starting
 * at 1, so by Ville's inequality P(M_n(A_n) ever reaches 1/δ) ≤ δ (Howard & Ramdas, "Sequential
 * estimation of quantiles", 2022, build their confidence sequences on the same argument).
 * M_n(a) falls as a grows: let a_n be the largest a with M_n(a) ≥ 1/δ. Outside that event A_n > a_n
 * for every n, so at least a_n + 1 requests are at or above q*, and the (a_n + 1)-th slowest one
 * (the upper edge of its bucket) is an upper bound on q* — for every n at once.
 */
import type { Histogram } from './sequential-latency.ts';

/** Smaller rates mixed over, as fractions of `tail`. */
const BELOW = [0.8, 2 / 3, 0.5, 1 / 3, 0.2, 0.1];

/** log M_n(a): the mixture likelihood ratio of rates below `tail` for a of n at or above q*. */
export function logMixtureBelow(n: number, a: number, tail: number): number {
  const logs = BELOW.map((f) => {
    const r = tail * f;
    return a * Math.log(r / tail) + (n - a) * Math.log((1 - r) / (1 - tail));
  });
  const max = Math.max(...logs);
  return max + Math.log(logs.reduce((s, l) => s + Math.exp(l - max), 0) / BELOW.length);
}

/**
 * The most requests at or above the quantile that would still be evidence (at level δ) of a
 * smaller tail than `tail`: a_n above, or −1 when even none would not be (too few requests yet).
 */
export function tailAllowance(n: number, tail: number, delta: number): number {
  const bar = Math.log(1 / delta);
  if (n <= 0 || logMixtureBelow(n, 0, tail) < bar) return -1;
  // M_n(a) falls as a grows: the largest a still at the bar, by bisection.
  let lo = 0;
  let hi = Math.ceil(n * tail);
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (logMixtureBelow(n, mid, tail) >= bar) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/**
 * The upper bound on the (1 − tail) quantile: the upper edge of the bucket holding the
 * (a_n + 1)-th slowest request, with the count it rests on; undefined while there are too few.
 *
 * @example quantileUpperBound(histogram, 0.05, 0.0017) // → { ms: 79.3, requests: 1200 }
 */
export function quantileUpperBound(
  h: Histogram,
  tail: number,
  delta: number,
): { ms: number; requests: number } | undefined {
  const requests = h.counts.reduce((x, y) => x + y, 0);
  const allowance = tailAllowance(requests, tail, delta);
  if (allowance < 0) return undefined;
  // Ascending rank of the (allowance + 1)-th slowest request.
  const rank = requests - allowance;
  let seen = 0;
  for (let i = 0; i < h.counts.length; i++) {
    seen += h.counts[i]!;
    if (seen >= rank) return { ms: h.upperMs[i]!, requests };
  }
  return { ms: h.upperMs.at(-1)!, requests };
}
