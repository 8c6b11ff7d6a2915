/**
 * Business-metric drop judge: fail when the new release's value falls below
 * baseline × (1 − maxDrop), e.g. checkout rate more than 20% under the baseline's.
 */
import type { Measurement, Verdict } from '../contract.ts';
import { checkCount, countOf, unmeasured } from './common.ts';
import { formatValue, type Unit } from './format.ts';

export interface DropRule {
  readonly name: string;
  /** The largest allowed relative drop, 0–1; 0.2 means "fail below 80% of the baseline". */
  readonly maxDrop: number;
  readonly minCount?: number;
  readonly unit?: Unit;
}

export function judgeDrop(rule: DropRule, current: Measurement, baseline: Measurement): Verdict {
  if (current.phase !== 'ok') return unmeasured(rule.name, 'new', current);
  if (baseline.phase !== 'ok') return unmeasured(rule.name, 'baseline', baseline);
  const sample = { new: countOf(current) ?? 1, baseline: countOf(baseline) ?? 1 };
  const few =
    checkCount(rule.name, 'new', current, rule.minCount, sample) ??
    checkCount(rule.name, 'baseline', baseline, rule.minCount, sample);
  if (few) return few;
  const fmt = (v: number) => formatValue(v, rule.unit);
  const base = { rule: rule.name, observed: current.value, baseline: baseline.value, sample };
  if (!(baseline.value > 0)) {
    const reason = `the baseline's ${rule.name} is ${fmt(baseline.value)}, so a drop cannot be measured`;
    return { ...base, verdict: 'inconclusive', threshold: null, reason };
  }
  const threshold = baseline.value * (1 - rule.maxDrop);
  const drop = 1 - current.value / baseline.value;
  const stats = { drop, maxDrop: rule.maxDrop };
  const pct = (v: number) => formatValue(v, 'ratio');
  if (current.value < threshold) {
    const reason = `${rule.name} is ${fmt(current.value)}, ${pct(drop)} below baseline ${fmt(baseline.value)}; more than the allowed ${pct(rule.maxDrop)}`;
    return { ...base, verdict: 'fail', threshold, stats, reason };
  }
  const change = drop > 0 ? `${pct(drop)} below` : `${pct(-drop)} above`;
  const reason = `${rule.name} is ${fmt(current.value)}, ${change} baseline ${fmt(baseline.value)}; within the allowed drop of ${pct(rule.maxDrop)}`;
  return { ...base, verdict: 'pass', threshold, stats, reason };
}
