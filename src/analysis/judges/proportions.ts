/**
 * Two-proportion z-test, one-sided: is the new release's error proportion larger than the
 * baseline's? Pooled standard error, no continuity correction (the textbook form, e.g.
 * Moore & McCabe, "Introduction to the Practice of Statistics", §8.2).
 *
 * As with Mann-Whitney, significance alone does not fail a release: the difference in error
 * rates must also be at least `minEffect` (absolute, default 2 percentage points). With a 400-request
 * canary at a 1% error rate, one standard error is already half a point: a smaller default would
 * fail healthy releases; the fixed "error rate above 5%" rule covers the rest.
 */
import type { Measurement, Verdict } from '../contract.ts';
import { tooFew, unmeasured } from './common.ts';
import { formatPValue, formatValue } from './format.ts';
import { normalUpperTail } from './normal.ts';

export interface Proportion {
  readonly events: number;
  readonly total: number;
}

export interface ProportionsResult {
  readonly z: number;
  /** One-sided p-value for "new proportion is larger"; 1 when both proportions are 0 or 1. */
  readonly pValue: number;
  /** p_new − p_baseline. */
  readonly difference: number;
}

export function twoProportionZ(current: Proportion, baseline: Proportion): ProportionsResult {
  const p1 = current.events / current.total;
  const p2 = baseline.events / baseline.total;
  const pooled = (current.events + baseline.events) / (current.total + baseline.total);
  const se = Math.sqrt(pooled * (1 - pooled) * (1 / current.total + 1 / baseline.total));
  const difference = p1 - p2;
  if (!(se > 0)) return { z: 0, pValue: 1, difference };
  const z = difference / se;
  return { z, pValue: normalUpperTail(z), difference };
}

export interface ProportionsRule {
  readonly name: string;
  /** Significance level; default 0.01. */
  readonly alpha?: number;
  /** Requests needed on each side before the rule may fail; default 200. */
  readonly minRequests?: number;
  /** Smallest absolute increase of the error rate that fails the release; default 0.02 (2 points). */
  readonly minEffect?: number;
}

export const PROPORTIONS_DEFAULTS = { alpha: 0.01, minRequests: 200, minEffect: 0.02 } as const;

const MIN_EXPECTED = 5;

/** From an error-rate measurement: value is the rate, count the number of requests. */
function proportionOf(m: { value: number; count?: number }): Proportion | undefined {
  if (m.count === undefined) return undefined;
  return { events: Math.round(m.value * m.count), total: m.count };
}

/** Needs error-rate measurements with a `count` (requests) on both sides. */
export function judgeProportions(
  rule: ProportionsRule,
  current: Measurement,
  baseline: Measurement,
): Verdict {
  if (current.phase !== 'ok') return unmeasured(rule.name, 'new', current);
  if (baseline.phase !== 'ok') return unmeasured(rule.name, 'baseline', baseline);
  const alpha = rule.alpha ?? PROPORTIONS_DEFAULTS.alpha;
  const minRequests = rule.minRequests ?? PROPORTIONS_DEFAULTS.minRequests;
  const minEffect = rule.minEffect ?? PROPORTIONS_DEFAULTS.minEffect;
  const a = proportionOf(current);
  const b = proportionOf(baseline);
  const sample = { new: a?.total ?? 0, baseline: b?.total ?? 0 };
  if (!a)
    return tooFew(rule.name, 'new', 0, minRequests, 'counted requests (the provider gave no count)', sample);
  if (!b)
    return tooFew(
      rule.name,
      'baseline',
      0,
      minRequests,
      'counted requests (the provider gave no count)',
      sample,
    );
  if (a.total < minRequests) return tooFew(rule.name, 'new', a.total, minRequests, 'requests', sample);
  if (b.total < minRequests) return tooFew(rule.name, 'baseline', b.total, minRequests, 'requests', sample);
  const r = twoProportionZ(a, b);
  const pct = (v: number) => formatValue(v, 'ratio');
  const stats = { z: r.z, pValue: r.pValue, difference: r.difference, alpha, minEffect };
  const base = {
    rule: rule.name,
    observed: r.pValue,
    threshold: alpha,
    baseline: b.events / b.total,
    sample,
    stats,
  };
  const rates = `${pct(a.events / a.total)} of ${a.total} vs ${pct(b.events / b.total)} of ${b.total}`;
  const p = formatPValue(r.pValue);
  if (r.pValue < alpha && r.difference >= minEffect) {
    // The normal approximation holds only with at least 5 expected events and non-events on each
    // side (the textbook success–failure condition); with fewer its tail is too thin and healthy
    // canaries with a handful of errors would fail.
    const pooled = (a.events + b.events) / (a.total + b.total);
    const expected = Math.min(a.total, b.total) * Math.min(pooled, 1 - pooled);
    if (expected < MIN_EXPECTED) {
      const reason = `${rule.name}: the new release may fail more often (${rates}), but ${expected.toFixed(1)} errors are expected at this traffic and the z-test needs ${MIN_EXPECTED}; wait for more requests`;
      return { ...base, verdict: 'inconclusive', reason };
    }
    const reason = `${rule.name}: the new release fails more often than the baseline (${rates}; ${p}, significant at α = ${alpha})`;
    return { ...base, verdict: 'fail', reason };
  }
  const reason =
    r.pValue < alpha
      ? `${rule.name}: the new release fails slightly more often, less than ${pct(minEffect)} more (${rates})`
      : `${rule.name}: no significant increase (${rates}; ${p}, not significant at α = ${alpha})`;
  return { ...base, verdict: 'pass', reason };
}
