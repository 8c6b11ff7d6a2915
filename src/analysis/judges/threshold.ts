/**
 * Threshold judge: one value against fixed bounds, e.g. "error rate above 5%".
 */
import type { Measurement, Verdict } from '../contract.ts';
import { resolves } from './bounds.ts';
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
  readonly unit?: Unit;
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
