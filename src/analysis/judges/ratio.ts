/**
 * Ratio-to-baseline judge: the new release's value against the baseline's, e.g. "p95 above 2×
 * baseline". A floor keeps tiny baselines from producing absurd ratios: with a baseline p95 of
 * 1 ms and a floor of 50 ms, the new release may reach 2 × 50 ms before the rule fails.
 */
import type { Measurement, MeasurementOk, SampleSize, Verdict } from '../contract.ts';
import { resolves } from './bounds.ts';
import { checkCount, countOf, unmeasured } from './common.ts';
import { formatFactor, formatValue, type Unit } from './format.ts';

export interface RatioRule {
  readonly name: string;
  /**
   * Fail when new > maxRatio × max(baseline, floor), or when the ratio's bounds (both sides'
   * measurement error, when the provider gives it) reach above that and resolve the question.
   */
  readonly maxRatio: number;
  /** The smallest baseline the ratio is taken against, in the metric's unit. Default 0. */
  readonly floor?: number;
  readonly minCount?: number;
  readonly unit?: Unit;
}

/**
 * @example
 * judgeRatio({ name: 'latency-p95', maxRatio: 2, floor: 50, unit: 'ms' },
 *   { phase: 'ok', value: 320 }, { phase: 'ok', value: 140 });
 * // → fail: observed 320, threshold 280, baseline 140, stats.ratio ≈ 2.29
 */
export function judgeRatio(rule: RatioRule, current: Measurement, baseline: Measurement): Verdict {
  if (current.phase !== 'ok') return unmeasured(rule.name, 'new', current);
  if (baseline.phase !== 'ok') return unmeasured(rule.name, 'baseline', baseline);
  const sample = { new: countOf(current) ?? 1, baseline: countOf(baseline) ?? 1 };
  const few =
    checkCount(rule.name, 'new', current, rule.minCount, sample) ??
    checkCount(rule.name, 'baseline', baseline, rule.minCount, sample);
  if (few) return few;
  const fmt = (v: number) => formatValue(v, rule.unit);
  const floor = rule.floor ?? 0;
  const reference = Math.max(baseline.value, floor);
  const base = { rule: rule.name, observed: current.value, baseline: baseline.value, sample };
  if (!(reference > 0)) {
    return {
      ...base,
      verdict: 'inconclusive',
      threshold: null,
      reason: `the baseline's ${rule.name} is ${fmt(baseline.value)} and the rule has no floor, so no ratio can be taken; set a floor`,
    };
  }
  const threshold = rule.maxRatio * reference;
  const ratio = current.value / reference;
  const stats = { ratio, maxRatio: rule.maxRatio, floor };
  const against =
    reference === baseline.value
      ? `baseline ${fmt(baseline.value)}`
      : `the floor ${fmt(floor)} (baseline ${fmt(baseline.value)})`;
  if (current.value > threshold) {
    const reason = `${rule.name} is ${fmt(current.value)}, ${formatFactor(ratio)} ${against}, above the limit of ${formatFactor(rule.maxRatio)}`;
    return { ...base, verdict: 'fail', threshold, stats, reason };
  }
  const near = nearLimit(rule, current, baseline, floor);
  if (near) {
    const reason = `${rule.name} is ${fmt(current.value)}, ${formatFactor(ratio)} ${against}, and may really be up to ${formatFactor(near.high)}${sizes(sample)}: too close to the limit of ${formatFactor(rule.maxRatio)} to count as within it`;
    return {
      ...base,
      verdict: 'fail',
      threshold,
      stats: { ...stats, ratioLow: near.low, ratioHigh: near.high },
      reason,
    };
  }
  const reason = `${rule.name} is ${fmt(current.value)}, ${formatFactor(ratio)} ${against}, within ${formatFactor(rule.maxRatio)}`;
  return { ...base, verdict: 'pass', threshold, stats, reason };
}

/**
 * The ratio's bounds (the new release's over the baseline's) when the new release has bounds,
 * if they reach above the limit and the new release's are narrow enough to decide (see
 * bounds.ts): a ratio of 1.97× read from 10%-wide histogram buckets cannot be told from 2×.
 */
function nearLimit(
  rule: RatioRule,
  current: MeasurementOk,
  baseline: MeasurementOk,
  floor: number,
): { low: number; high: number } | undefined {
  if (!current.bounds) return undefined;
  const baseLow = Math.max(baseline.bounds?.low ?? baseline.value, floor);
  const baseHigh = Math.max(baseline.bounds?.high ?? baseline.value, floor);
  if (!(baseLow > 0)) return undefined;
  const high = current.bounds.high / baseLow;
  const low = current.bounds.low / baseHigh;
  // The new release's own bounds must be tighter than the limit's factor: a p95 that may lie
  // anywhere from 70 to 165 ms tells of this machine's jitter, not of a 2× regression.
  const own = current.bounds.low > 0 ? current.bounds.high / current.bounds.low : Number.POSITIVE_INFINITY;
  if (high > rule.maxRatio && resolves(1, own, rule.maxRatio - 1)) return { low, high };
  return undefined;
}

function sizes(sample: SampleSize): string {
  return sample.baseline === undefined
    ? ` (${sample.new} requests)`
    : ` (${sample.new} and ${sample.baseline} requests)`;
}
