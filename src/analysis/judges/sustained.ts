/**
 * Sustained rules over a series of timestamped measurements.
 *
 * - `judgeFor` — "for 5m": fails only when the per-point condition failed at every point of an
 *   unbroken run spanning at least the duration. A shorter run that is still going is
 *   inconclusive (breaching, not yet for long enough); a point without data breaks a run,
 *   because nobody can say the condition held across it.
 * - `judgeWithin` — "within 10m": aggregates the points inside the window (weighted by their
 *   counts when they have them, so an error rate is errors over requests) and fails when that
 *   aggregate breaches the bound.
 */
import type { Measurement, MeasurementOk, Verdict } from '../contract.ts';
import { tooFew, undecided } from './common.ts';
import { formatDuration } from './format.ts';
import { judgeThreshold, type ThresholdRule } from './threshold.ts';

/** A per-point verdict (e.g. from `judgeRatio`) at a time, epoch ms. */
export interface VerdictPoint {
  readonly at: number;
  readonly verdict: Verdict;
}

export interface MeasurementPoint {
  readonly at: number;
  readonly measurement: Measurement;
}

export interface ForRule {
  readonly name: string;
  /** How long the condition must hold, in milliseconds. */
  readonly forMs: number;
}

interface Run {
  readonly from: number;
  readonly to: number;
  readonly points: number;
}

/** Unbroken runs of failing points, oldest first. */
function failingRuns(points: readonly VerdictPoint[]): Run[] {
  const runs: Run[] = [];
  let current: { from: number; to: number; points: number } | undefined;
  for (const p of points) {
    if (p.verdict.verdict === 'fail') {
      if (current) {
        current.to = p.at;
        current.points++;
      } else current = { from: p.at, to: p.at, points: 1 };
    } else if (current) {
      runs.push(current);
      current = undefined;
    }
  }
  if (current) runs.push(current);
  return runs;
}

/**
 * @example
 * // p95 above 2× baseline at every point from 10:00 to 10:05 → fail
 * judgeFor({ name: 'latency-p95', forMs: 300_000 }, points);
 */
export function judgeFor(rule: ForRule, points: readonly VerdictPoint[]): Verdict {
  const sorted = [...points].sort((a, b) => a.at - b.at);
  const last = sorted.at(-1);
  const need = formatDuration(rule.forMs);
  if (!last) {
    return undecided(
      'inconclusive',
      rule.name,
      `no measurements of ${rule.name} yet; it must be watched for ${need}`,
    );
  }
  const runs = failingRuns(sorted);
  const sustained = runs.find((r) => r.to - r.from >= rule.forMs);
  const sample = { new: sorted.length };
  const numbers = {
    observed: last.verdict.observed,
    threshold: last.verdict.threshold,
    ...(last.verdict.baseline === undefined ? {} : { baseline: last.verdict.baseline }),
  };
  if (sustained) {
    const held = formatDuration(sustained.to - sustained.from);
    return {
      ...numbers,
      verdict: 'fail',
      rule: rule.name,
      sample,
      stats: { heldMs: sustained.to - sustained.from, forMs: rule.forMs, points: sustained.points },
      reason: `${rule.name} breached for ${held} (${sustained.points} measurements), at least the ${need} allowed; last: ${last.verdict.reason}`,
    };
  }
  const ongoing = runs.at(-1);
  if (last.verdict.verdict === 'fail' && ongoing) {
    const heldMs = ongoing.to - ongoing.from;
    return {
      ...numbers,
      verdict: 'inconclusive',
      rule: rule.name,
      sample,
      stats: { heldMs, forMs: rule.forMs, points: ongoing.points },
      reason: `${rule.name} has breached for ${formatDuration(heldMs)} of the ${need} that would fail it: ${last.verdict.reason}`,
    };
  }
  if (last.verdict.verdict === 'inconclusive') {
    return { ...last.verdict, rule: rule.name, sample };
  }
  return { ...numbers, verdict: 'pass', rule: rule.name, sample, reason: last.verdict.reason };
}

export interface WithinRule extends ThresholdRule {
  /** Window length in milliseconds; points at or before `now − withinMs` are left out. */
  readonly withinMs: number;
}

/** Count-weighted mean when every point has a count, plain mean otherwise. */
function aggregate(points: readonly MeasurementOk[]): { value: number; count: number | undefined } {
  const counts = points.map((p) => p.count);
  if (counts.every((c) => c !== undefined)) {
    const total = counts.reduce<number>((s, c) => s + (c ?? 0), 0);
    if (total > 0) {
      const weighted = points.reduce((s, p) => s + p.value * (p.count ?? 0), 0);
      return { value: weighted / total, count: total };
    }
    return { value: 0, count: 0 };
  }
  return { value: points.reduce((s, p) => s + p.value, 0) / points.length, count: undefined };
}

/**
 * @example
 * // error rate above 5% over the last 10 minutes
 * judgeWithin({ name: 'error-rate', above: 0.05, withinMs: 600_000, unit: 'ratio' }, points, now);
 */
export function judgeWithin(rule: WithinRule, points: readonly MeasurementPoint[], now: number): Verdict {
  const inWindow = points.filter((p) => p.at > now - rule.withinMs && p.at <= now);
  const measured = inWindow.map((p) => p.measurement).filter((m): m is MeasurementOk => m.phase === 'ok');
  const window = formatDuration(rule.withinMs);
  if (measured.length === 0) {
    const last = inWindow.at(-1)?.measurement;
    const why =
      last?.phase === 'nodata' ? last.reason : last?.phase === 'error' ? last.message : 'no measurements';
    return undecided('inconclusive', rule.name, `no data for ${rule.name} in the last ${window}: ${why}`);
  }
  const { value, count } = aggregate(measured);
  if (count === 0) {
    return tooFew(rule.name, 'new', 0, rule.minCount ?? 1, 'requests', { new: 0 });
  }
  const v = judgeThreshold(
    rule,
    count === undefined ? { phase: 'ok', value } : { phase: 'ok', value, count },
  );
  const stats = { withinMs: rule.withinMs, points: measured.length };
  return { ...v, stats, reason: `${v.reason} over the last ${window} (${measured.length} measurements)` };
}
