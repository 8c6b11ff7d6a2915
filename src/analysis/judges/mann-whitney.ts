/**
 * Mann-Whitney U test, one-sided: is the new release's latency stochastically larger (slower)
 * than the baseline's? Normal approximation with tie correction and continuity correction — the
 * same statistic as SciPy's `mannwhitneyu(new, baseline, alternative='greater',
 * method='asymptotic')`. Valid for the sample sizes we require (≥ 20 per side).
 *
 * Significance alone is not enough to fail a release: with thousands of requests a 1% slowdown
 * is "significant". The effect size is Vargha–Delaney's A = U / (n1·n2), the probability that a
 * random new request is slower than a random baseline request (ties count half); 0.5 is no
 * difference, 0.56 small, 0.64 medium, 0.71 large.
 */
import { median } from 'simple-statistics';
import type { Measurement, Verdict } from '../contract.ts';
import { tooFew, unmeasured } from './common.ts';
import { formatPValue, formatValue, type Unit } from './format.ts';
import { normalUpperTail } from './normal.ts';

export interface MannWhitneyResult {
  /** U of the new sample: pairs where new > baseline, ties counting ½. */
  readonly u: number;
  readonly z: number;
  /** One-sided p-value for "new is larger". 1 when every value ties. */
  readonly pValue: number;
  /** Vargha–Delaney A = U / (n1·n2). */
  readonly effect: number;
}

/** The U statistic, z score and one-sided p-value (new > baseline). */
export function mannWhitneyU(current: readonly number[], baseline: readonly number[]): MannWhitneyResult {
  const n1 = current.length;
  const n2 = baseline.length;
  const all = [...current.map((v) => ({ v, mine: true })), ...baseline.map((v) => ({ v, mine: false }))].sort(
    (a, b) => a.v - b.v,
  );
  const n = all.length;
  let rankSum = 0;
  let tieTerm = 0;
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && all[j + 1]!.v === all[i]!.v) j++;
    const rank = (i + j + 2) / 2; // ranks are 1-based: the average of i+1 … j+1
    const t = j - i + 1;
    tieTerm += t ** 3 - t;
    for (let k = i; k <= j; k++) if (all[k]!.mine) rankSum += rank;
    i = j + 1;
  }
  const u = rankSum - (n1 * (n1 + 1)) / 2;
  const mean = (n1 * n2) / 2;
  const variance = ((n1 * n2) / 12) * (n + 1 - tieTerm / (n * (n - 1)));
  const effect = u / (n1 * n2);
  if (!(variance > 0)) return { u, z: 0, pValue: 1, effect };
  const z = (u - mean - 0.5) / Math.sqrt(variance);
  return { u, z, pValue: normalUpperTail(z), effect };
}

export interface MannWhitneyRule {
  readonly name: string;
  /** Significance level; default 0.01. */
  readonly alpha?: number;
  /**
   * Samples needed on each side before the rule may fail; default 100. Below ~100 the effect-size
   * gate adds nothing to alpha (1% of healthy comparisons would fail; see noise.bench.ts).
   */
  readonly minSamples?: number;
  /** Smallest Vargha–Delaney A that fails the release; default 0.6. */
  readonly minEffect?: number;
  readonly unit?: Unit;
}

export const MANN_WHITNEY_DEFAULTS = { alpha: 0.01, minSamples: 100, minEffect: 0.6 } as const;

/** Needs raw samples (`Measurement.samples`) from both sides. */
export function judgeMannWhitney(
  rule: MannWhitneyRule,
  current: Measurement,
  baseline: Measurement,
): Verdict {
  if (current.phase !== 'ok') return unmeasured(rule.name, 'new', current);
  if (baseline.phase !== 'ok') return unmeasured(rule.name, 'baseline', baseline);
  const alpha = rule.alpha ?? MANN_WHITNEY_DEFAULTS.alpha;
  const minSamples = rule.minSamples ?? MANN_WHITNEY_DEFAULTS.minSamples;
  const minEffect = rule.minEffect ?? MANN_WHITNEY_DEFAULTS.minEffect;
  const a = current.samples ?? [];
  const b = baseline.samples ?? [];
  const sample = { new: a.length, baseline: b.length };
  if (a.length < minSamples) return tooFew(rule.name, 'new', a.length, minSamples, 'samples', sample);
  if (b.length < minSamples) return tooFew(rule.name, 'baseline', b.length, minSamples, 'samples', sample);
  const r = mannWhitneyU(a, b);
  const medianNew = median([...a]);
  const medianBaseline = median([...b]);
  const stats = {
    u: r.u,
    z: r.z,
    pValue: r.pValue,
    effect: r.effect,
    alpha,
    minEffect,
    medianNew,
    medianBaseline,
  };
  const fmt = (v: number) => formatValue(v, rule.unit);
  const base = { rule: rule.name, observed: r.pValue, threshold: alpha, sample, stats };
  const medians = `median ${fmt(medianNew)} vs ${fmt(medianBaseline)}`;
  const p = formatPValue(r.pValue);
  const effect = `P(new slower) = ${r.effect.toFixed(2)}`;
  if (r.pValue < alpha && r.effect >= minEffect) {
    const reason = `${rule.name}: the new release is slower than the baseline (${p}, significant at α = ${alpha}; ${effect} ≥ ${minEffect}; ${medians})`;
    return { ...base, verdict: 'fail', reason };
  }
  const reason =
    r.pValue < alpha
      ? `${rule.name}: the new release is slightly slower but the effect is small (${effect} < ${minEffect}; ${medians})`
      : `${rule.name}: no significant slowdown (${p}, not significant at α = ${alpha}; ${medians})`;
  return { ...base, verdict: 'pass', reason };
}
