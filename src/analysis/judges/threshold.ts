/**
 * Threshold judge: one value against fixed bounds, e.g. "error rate above 5%".
 */

import { probit } from 'simple-statistics';
import type { Measurement, Verdict } from '../contract.ts';
import { resolves, wilsonBounds } from './bounds.ts';
import { checkCount, countOf, unmeasured } from './common.ts';
import { formatValue, type Unit } from './format.ts';

export interface ThresholdRule {
  readonly name: string;
  /**
   * Fail when the value is strictly above this, or when its bounds (if the provider gives them and
   * they resolve the question, see bounds.ts) reach above it.
   */
  readonly above?: number;
  /** Fail when the value is strictly below this. */
  readonly below?: number;
  /** Fewer events than this (when the provider reports a count) is inconclusive. */
  readonly minCount?: number;
  /**
   * For a rate with a request count: fail on `above` only when the rate is shown above it, i.e. its
   * one-sided Wilson lower bound at this confidence (e.g. 0.999) is above the limit. A rate measured
   * above but not shown is inconclusive (1 error in 12 requests reads 8.3% and shows nothing), and
   * one measured within passes, however close. Unset: the measured value decides, and bounds
   * reaching past the limit fail too (the limit must be shown to hold).
   */
  readonly shownAt?: number;
  readonly unit?: Unit;
}

/** The `shownAt` judgement: the measured rate against the limit with its lower bound. */
function judgeShown(
  rule: ThresholdRule & { above: number; shownAt: number },
  value: number,
  n: number,
  sample: { new: number },
): Verdict {
  const fmt = (v: number) => formatValue(v, rule.unit);
  const low = wilsonBounds(value, n, probit(rule.shownAt)).low;
  const base = { rule: rule.name, observed: value, threshold: rule.above, sample, stats: { low } };
  const level = `${Number((rule.shownAt * 100).toPrecision(3))}%`;
  if (low > rule.above) {
    const reason = `${rule.name} is ${fmt(value)}, above ${fmt(rule.above)} (over ${n} requests: at least ${fmt(low)} with ${level} confidence)`;
    return { ...base, verdict: 'fail', reason };
  }
  if (value > rule.above) {
    const reason = `${rule.name} is ${fmt(value)} over ${n} requests, above ${fmt(rule.above)} but not shown to be (it may be as low as ${fmt(low)}); waiting for more requests`;
    return { ...base, verdict: 'inconclusive', reason };
  }
  const reason = `${rule.name} is ${fmt(value)}, within bounds (at most ${fmt(rule.above)}) over ${n} requests`;
  return { ...base, verdict: 'pass', reason };
}

/**
 * @example
 * judgeThreshold({ name: 'error-rate', above: 0.05, unit: 'ratio' }, { phase: 'ok', value: 0.08, count: 400 });
 * // → { verdict: 'fail', observed: 0.08, threshold: 0.05, reason: 'error-rate is 8%, above 5%', ... }
 */
export function judgeThreshold(rule: ThresholdRule, m: Measurement): Verdict {
  if (m.phase !== 'ok') return unmeasured(rule.name, 'new', m);
  const n = countOf(m);
  const sample = { new: n ?? 1 };
  const few = checkCount(rule.name, 'new', m, rule.minCount, sample);
  if (few) return few;
  if (
    rule.shownAt !== undefined &&
    rule.above !== undefined &&
    rule.below === undefined &&
    n !== undefined &&
    n > 0 &&
    m.value <= 1
  )
    return judgeShown({ ...rule, above: rule.above, shownAt: rule.shownAt }, m.value, n, sample);
  const fmt = (v: number) => formatValue(v, rule.unit);
  const base = { rule: rule.name, observed: m.value, sample };
  if (rule.above !== undefined && m.value > rule.above) {
    const reason = `${rule.name} is ${fmt(m.value)}, above ${fmt(rule.above)}`;
    return { ...base, verdict: 'fail', threshold: rule.above, reason };
  }
  // Within the limit as measured, but not by more than the measurement's own error.
  if (
    rule.above !== undefined &&
    m.bounds &&
    m.bounds.high > rule.above &&
    resolves(m.bounds.low, m.bounds.high, Math.abs(rule.above))
  ) {
    const reason = `${rule.name} is ${fmt(m.value)}${n === undefined ? '' : ` over ${n} requests`} and may really be up to ${fmt(m.bounds.high)}: too close to the limit of ${fmt(rule.above)} to count as within it`;
    const stats = { low: m.bounds.low, high: m.bounds.high };
    return { ...base, verdict: 'fail', threshold: rule.above, stats, reason };
  }
  if (rule.below !== undefined && m.value < rule.below) {
    const reason = `${rule.name} is ${fmt(m.value)}, below ${fmt(rule.below)}`;
    return { ...base, verdict: 'fail', threshold: rule.below, reason };
  }
  const bounds = [
    rule.above === undefined ? undefined : `at most ${fmt(rule.above)}`,
    rule.below === undefined ? undefined : `at least ${fmt(rule.below)}`,
  ].filter((b) => b !== undefined);
  const reason = `${rule.name} is ${fmt(m.value)}, within bounds (${bounds.join(' and ')})`;
  return { ...base, verdict: 'pass', threshold: rule.above ?? rule.below ?? null, reason };
}
