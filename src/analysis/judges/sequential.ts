/**
 * Sequential error-rate test: a mixture SPRT (likelihood-ratio martingale) on the new release's
 * error count against the trigger's limit, which may be looked at after every measurement and
 * stops as soon as the evidence is overwhelming.
 *
 * H0: every request fails with probability at most `above` (the limit), given everything before it.
 * For one alternative rate q > above, the likelihood ratio after n requests with k errors is
 *   L_q = (q / above)^k · ((1 − q) / (1 − above))^(n − k),
 * and under H0 each request multiplies it by at most 1 on average: a nonnegative supermartingale
 * starting at 1. So is the equal-weight mixture M over a grid of alternatives. Ville's inequality:
 * P(M ever reaches 1/α) ≤ α — however often it is looked at and however long the canary runs
 * (Robbins 1970; Johari et al., "Always Valid Inference", 2017, call this the mSPRT).
 *
 * A fault that starts late in a long healthy window is diluted by the healthy requests before it.
 * So the test also restarts at every earlier measurement ("anchor"): the counts since anchor j are
 * the cumulative counts now minus those at j. Anchor 0 (everything) gets α/2, anchor j ≥ 1 (the
 * first measurement in second j − 1 of the analysis) gets α/2 · 1/(j(j+1)); these sum to at most
 * α, and by the union bound the chance that any of them ever rolls back a release within its limit
 * is at most α.
 */
import type { Measurement, Verdict } from '../contract.ts';
import { tooFew, undecided, unmeasured } from './common.ts';
import { formatValue } from './format.ts';

export interface SequentialRule {
  readonly name: string;
  /** The trigger's limit on the error rate, 0–1 (`rollbackIf.errorRate.above`). */
  readonly above: number;
  /** Bound on the chance of ever rolling back a release whose rate is within the limit; default 0.01. */
  readonly alpha?: number;
  /** Requests needed before a pass; default 50. A fail needs only the evidence. */
  readonly minCount?: number;
  /**
   * Only ever fail: when the evidence is not there, pass and leave the decision to the fixed-window
   * trigger beside it (the default, `test: sequential`).
   */
  readonly onlyFails?: boolean;
}

export const SEQUENTIAL_DEFAULTS = { alpha: 0.01, minCount: 50 } as const;

/** `{ key: value }` for a finite value, nothing otherwise (stats are stored as JSON). */
export function finite(key: string, value: number): Record<string, number> {
  return Number.isFinite(value) ? { [key]: value } : {};
}

/** α as written in reasons: 0.01, 0.0033. */
export function formatAlpha(alpha: number): string {
  return String(Number(alpha.toPrecision(2)));
}

/** Cumulative requests and errors of the new release at one measurement. */
export interface Counts {
  readonly requests: number;
  readonly errors: number;
}

/** Alternative error rates mixed over, as multiples of the limit (capped below 1). */
const ALTERNATIVES = [1.5, 2, 3, 5, 8];

function alternativesFor(p0: number): number[] {
  const qs = ALTERNATIVES.map((f) => Math.min(p0 * f, p0 + (1 - p0) * 0.9)).filter((q) => q > p0 && q < 1);
  return [...new Set(qs)];
}

/** log M: the log of the equal-weight mixture likelihood ratio for `errors` out of `requests`. */
export function logMixtureRatio(
  requests: number,
  errors: number,
  p0: number,
  alternatives: readonly number[] = alternativesFor(p0),
): number {
  const qs = alternatives;
  const logs = qs.map((q) => errors * Math.log(q / p0) + (requests - errors) * Math.log((1 - q) / (1 - p0)));
  const max = Math.max(...logs);
  return max + Math.log(logs.reduce((s, l) => s + Math.exp(l - max), 0) / qs.length);
}

/** The share of α anchor j spends: α/2 for the start, α/2 · 1/(j(j+1)) after. */
export function anchorAlpha(alpha: number, j: number): number {
  return j === 0 ? alpha / 2 : alpha / 2 / (j * (j + 1));
}

/**
 * What a sequential test leaves in its verdict's stats: the log likelihood ratio's distance from
 * the level of the anchor that decided (`testAlpha`: the share of α that test runs at), α and the anchor.
 */
export function testStats(
  r: { readonly margin: number; readonly anchor: number },
  alpha: number,
  testAlpha = alpha,
): Record<string, number> {
  return {
    ...finite('logLikelihoodRatio', r.margin + Math.log(1 / anchorAlpha(testAlpha, r.anchor))),
    alpha,
    anchor: r.anchor,
  };
}

export interface SequentialResult {
  readonly reject: boolean;
  /** The anchor that decided (or had the most evidence), 0 = all the traffic. */
  readonly anchor: number;
  readonly requests: number;
  readonly errors: number;
  /** log M − log(1/α_anchor): ≥ 0 rejects. */
  readonly margin: number;
}

/**
 * Cumulative counts at an earlier measurement, and its place on the restart grid: restart
 * `index` (≥ 1) is the first measurement in second `index − 1` after the analysis' first one, so a
 * restart keeps its share of α however often the analysis measures and whatever history is kept.
 */
export interface Anchor extends Counts {
  readonly index: number;
}

/** How far apart restarts are: at most one per second of analysis. */
export const ANCHOR_STEP_MS = 1000;

/**
 * The restarts of a series of measurements at times `at`, oldest first, counted from `since`
 * (the analysis' first measurement): the first measurement of each second of the grid.
 */
export function anchorsOf(points: readonly { at: number; counts: Counts }[], since: number): Anchor[] {
  const out: Anchor[] = [];
  for (const p of points) {
    const index = Math.floor((p.at - since) / ANCHOR_STEP_MS) + 1;
    if (index >= 1 && (out.length === 0 || out.at(-1)!.index < index)) out.push({ ...p.counts, index });
  }
  return out;
}

/**
 * The test over all restarts: `earlier` are the cumulative counts at earlier measurements (see
 * `anchorsOf`); `now` the cumulative counts at this one. Restart 0 is the start (all the traffic).
 */
export function sequentialTest(
  now: Counts,
  earlier: readonly Anchor[],
  p0: number,
  alpha: number,
  /** Alternative rates mixed over (each above p0); default p0 × 1.5, 2, 3, 5, 8, capped. */
  alternatives?: readonly number[],
): SequentialResult {
  let best: SequentialResult | undefined;
  const anchors: Anchor[] = [{ requests: 0, errors: 0, index: 0 }, ...earlier];
  for (const a of anchors) {
    const requests = now.requests - a.requests;
    const errors = now.errors - a.errors;
    // A later count below an earlier one means the window slid or the router restarted: that
    // restart no longer describes a stretch of traffic.
    if (requests <= 0 || errors < 0 || errors > requests) continue;
    const margin =
      logMixtureRatio(requests, errors, p0, alternatives) - Math.log(1 / anchorAlpha(alpha, a.index));
    if (!best || margin > best.margin)
      best = { reject: margin >= 0, anchor: a.index, requests, errors, margin };
  }
  return best ?? { reject: false, anchor: 0, requests: 0, errors: 0, margin: Number.NEGATIVE_INFINITY };
}

/** Cumulative counts from an error-rate measurement (value = rate, count = requests). */
export function countsOf(m: { value: number; count?: number }): Counts | undefined {
  if (m.count === undefined) return undefined;
  return { requests: m.count, errors: Math.round(m.value * m.count) };
}

/**
 * Fail when the test rejects; pass when it does not and the rate measured is within the limit
 * (with at least `minCount` requests); inconclusive otherwise — above the limit but not yet shown
 * to be, which the analysis' `inconclusive` policy settles when its window ends.
 */
export function judgeSequential(
  rule: SequentialRule,
  current: Measurement,
  earlier: readonly Anchor[],
): Verdict {
  if (current.phase !== 'ok' && rule.onlyFails)
    return undecided('pass', rule.name, `${rule.name}: not measured; the fixed error-rate trigger decides`);
  if (current.phase !== 'ok') return unmeasured(rule.name, 'new', current);
  const alpha = rule.alpha ?? SEQUENTIAL_DEFAULTS.alpha;
  const minCount = rule.minCount ?? SEQUENTIAL_DEFAULTS.minCount;
  const now = countsOf(current);
  if (!now && rule.onlyFails)
    return undecided(
      'pass',
      rule.name,
      `${rule.name}: no request count; the fixed error-rate trigger decides`,
    );
  if (!now)
    return tooFew(rule.name, 'new', 0, minCount, 'counted requests (the provider gave no count)', { new: 0 });
  const sample = { new: now.requests };
  const r = sequentialTest(now, earlier, rule.above, alpha);
  const pct = (v: number) => formatValue(v, 'ratio');
  const stats = {
    ...testStats(r, alpha),
    anchorRequests: r.requests,
    anchorErrors: r.errors,
  };
  const base = { rule: rule.name, observed: current.value, threshold: rule.above, sample, stats };
  if (r.reject) {
    const since = r.anchor === 0 ? 'since the release started' : `in the last ${r.requests} requests`;
    const reason = `${rule.name}: ${r.errors} errors ${since} (${pct(r.errors / r.requests)}) show an error rate above ${pct(rule.above)} (sequential test, α = ${formatAlpha(alpha)})`;
    return { ...base, verdict: 'fail', reason };
  }
  if (rule.onlyFails) {
    const reason = `${rule.name}: ${r.errors} errors in ${r.requests} requests, not shown above ${pct(rule.above)}; the fixed error-rate trigger decides`;
    return { ...base, verdict: 'pass', reason };
  }
  if (now.requests < minCount) return tooFew(rule.name, 'new', now.requests, minCount, 'requests', sample);
  if (current.value > rule.above) {
    const reason = `${rule.name} is ${pct(current.value)} over ${now.requests} requests, above ${pct(rule.above)} but not yet shown to be (sequential test, α = ${formatAlpha(alpha)}); waiting for more requests`;
    return { ...base, verdict: 'inconclusive', reason };
  }
  const reason = `${rule.name} is ${pct(current.value)} over ${now.requests} requests, within ${pct(rule.above)}`;
  return { ...base, verdict: 'pass', reason };
}
