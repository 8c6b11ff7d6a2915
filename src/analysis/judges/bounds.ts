/**
 * Measurement error at a limit. A rollback trigger is a limit the new release must be shown to
 * stay within: a value measured just under "error rate above 5%" from 200 requests, or a p95
 * ratio of 1.97× against "above 2×" from 10%-wide histogram buckets, cannot tell a release at
 * the limit from one under it. When the measurement's confidence bounds reach past the limit, the
 * judges count it as reaching it — but only once the sample resolves the question at all: the
 * bounds must be narrower than the distance from a perfect value to the limit (no errors to a 5%
 * limit; for a ratio, 1× to 2×, taken over the new release's own bounds), or too little traffic
 * or a few slow outliers could fail a healthy release.
 */

/** One-sided 95% normal quantile. */
const Z95 = 1.645;

/**
 * Wilson score bounds of a proportion (one-sided 95% each): where an error rate measured as
 * `rate` over `n` requests may really lie. Unlike `rate ± z·se` it stays inside 0–1 and is not
 * zero-width when no error was seen.
 *
 * `z` sets the level (default 1.645: 95% each side).
 *
 * @example wilsonBounds(0.05, 200) // → { low: ≈0.03, high: ≈0.08 }
 */
export function wilsonBounds(rate: number, n: number, z = Z95): { low: number; high: number } {
  const z2 = z * z;
  const centre = (rate + z2 / (2 * n)) / (1 + z2 / n);
  const half = (z / (1 + z2 / n)) * Math.sqrt((rate * (1 - rate)) / n + z2 / (4 * n * n));
  return { low: Math.max(0, centre - half), high: Math.min(1, centre + half) };
}

/**
 * Whether bounds `[low, high]` decide against a limit `distance` away from a perfect value: they
 * must be narrower than that distance.
 */
export function resolves(low: number, high: number, distance: number): boolean {
  return Number.isFinite(high) && high - low <= distance;
}
