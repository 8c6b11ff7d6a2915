/**
 * Pieces every judge shares: turning a missing measurement into an inconclusive verdict that
 * says what was missing, and the minimum-count check.
 */
import type { Measurement, MeasurementOk, SampleSize, Verdict } from '../contract.ts';

export type Side = 'new' | 'baseline';

const SIDE_NAME: Record<Side, string> = { new: 'the new release', baseline: 'the baseline' };

/**
 * A verdict with no figure: the rule does not decide this round — a pass that leaves it to a trigger
 * beside it, or inconclusive — saying why.
 */
export function undecided(
  verdict: 'pass' | 'inconclusive',
  rule: string,
  reason: string,
  extra: { readonly sample?: SampleSize; readonly stats?: Readonly<Record<string, number>> } = {},
): Verdict {
  return {
    verdict,
    rule,
    observed: null,
    threshold: null,
    sample: extra.sample ?? { new: 0 },
    reason,
    ...(extra.stats && { stats: extra.stats }),
  };
}

/** Inconclusive because one side has no usable measurement. */
export function unmeasured(rule: string, side: Side, m: Exclude<Measurement, MeasurementOk>): Verdict {
  const reason =
    m.phase === 'nodata'
      ? `no data for ${SIDE_NAME[side]}: ${m.reason}`
      : `measuring ${SIDE_NAME[side]} failed: ${m.message}`;
  return undecided('inconclusive', rule, reason);
}

/** Inconclusive because a side rests on fewer events than the rule asks for. */
export function tooFew(
  rule: string,
  side: Side,
  count: number,
  min: number,
  what: string,
  sample: SampleSize,
): Verdict {
  return undecided(
    'inconclusive',
    rule,
    `too little traffic: ${count} ${what} for ${SIDE_NAME[side]}, the rule needs at least ${min}`,
    { sample },
  );
}

/** The count a measurement rests on, or undefined when the provider did not say. */
export function countOf(m: MeasurementOk): number | undefined {
  return m.count ?? m.samples?.length;
}

/**
 * Checks `minCount` for one side. A provider that does not report a count is trusted (it has
 * already applied its own window); a reported count below the minimum makes the rule inconclusive.
 */
export function checkCount(
  rule: string,
  side: Side,
  m: MeasurementOk,
  minCount: number | undefined,
  sample: SampleSize,
): Verdict | undefined {
  const count = countOf(m);
  if (minCount === undefined || count === undefined || count >= minCount) return undefined;
  return tooFew(rule, side, count, minCount, 'requests', sample);
}
