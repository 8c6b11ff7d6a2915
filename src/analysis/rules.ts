/**
 * Analysis rules as data: what `slipway.yaml` (`rollbackIf`, `analysis`) becomes once parsed, and
 * what `analyze` runs. Each rule names a metric, the provider that measures it and the judge that
 * decides; `severity: 'warn'` rules are reported but never fail an analysis (the watch window's
 * early warnings).
 */
import { AppError } from '../domain/errors.ts';
import type { Unit } from './judges/format.ts';

export const RULE_KINDS = [
  'threshold',
  'ratio',
  'drop',
  'mann-whitney',
  'proportions',
  'sequential',
  'sequential-latency',
  'sequential-vs-baseline',
  'sequential-latency-pairs',
] as const;
export type RuleKind = (typeof RULE_KINDS)[number];

export const SEVERITIES = ['rollback', 'warn'] as const;
export type Severity = (typeof SEVERITIES)[number];

interface RuleBase {
  /** Unique within one analysis, e.g. `error-rate`; shown in verdicts. */
  readonly name: string;
  /** Metric as the provider knows it: `error_rate`, `p95`, `checkout_rate` ... */
  readonly metric: string;
  /** Key of the provider in `analyze`'s providers; default: its `defaultProvider`. */
  readonly provider?: string;
  /** Default `rollback`. */
  readonly severity?: Severity;
  /** Window each measurement covers, in ms ("within 10m" is a 10-minute window). */
  readonly windowMs?: number;
  /** Sustained: fail only when every measurement failed for this long, in ms ("for 5m"). */
  readonly forMs?: number;
  readonly unit?: Unit;
}

export interface ThresholdRuleSpec extends RuleBase {
  readonly kind: 'threshold';
  readonly above?: number;
  readonly below?: number;
  readonly minCount?: number;
  /** Fail on `above` only when shown: see `ThresholdRule.shownAt` (judges/threshold.ts). */
  readonly shownAt?: number;
}

export interface RatioRuleSpec extends RuleBase {
  readonly kind: 'ratio';
  readonly maxRatio: number;
  readonly floor?: number;
  readonly minCount?: number;
}

export interface DropRuleSpec extends RuleBase {
  readonly kind: 'drop';
  readonly maxDrop: number;
  readonly minCount?: number;
}

export interface MannWhitneyRuleSpec extends RuleBase {
  readonly kind: 'mann-whitney';
  readonly alpha?: number;
  readonly minSamples?: number;
  readonly minEffect?: number;
}

export interface ProportionsRuleSpec extends RuleBase {
  readonly kind: 'proportions';
  readonly alpha?: number;
  readonly minRequests?: number;
  readonly minEffect?: number;
}

/** Sequential error-rate test against a limit (judges/sequential.ts); reads earlier rounds' counts. */
export interface SequentialRuleSpec extends RuleBase {
  readonly kind: 'sequential';
  readonly above: number;
  readonly alpha?: number;
  readonly minCount?: number;
  /** Only fail; pass when not shown above (a fixed-window trigger beside it decides). */
  readonly onlyFails?: boolean;
}

/**
 * Sequential latency test (judges/sequential-latency.ts): the new release's requests slower than
 * `maxRatio` × the baseline's p95; only fails. Metric: `latency` (a histogram).
 */
export interface SequentialLatencyRuleSpec extends RuleBase {
  readonly kind: 'sequential-latency';
  readonly maxRatio: number;
  readonly floor?: number;
  readonly alpha?: number;
  readonly minCount?: number;
}

/**
 * Sequential two-sample error-rate test against the baseline release served at the same time
 * (judges/sequential-vs-baseline.ts); only fails. Metric: `error_rate` with request counts.
 */
export interface SequentialVsBaselineRuleSpec extends RuleBase {
  readonly kind: 'sequential-vs-baseline';
  readonly alpha?: number;
}

/**
 * Sequential latency test request by request against the baseline release served at the same
 * time (judges/latency-vs-stable.ts): a new-release request more likely than not over `maxRatio` ×
 * a stable one; only fails. Metric: `latency` (a histogram).
 */
export interface SequentialLatencyPairsRuleSpec extends RuleBase {
  readonly kind: 'sequential-latency-pairs';
  readonly maxRatio: number;
  readonly alpha?: number;
}

export type AnalysisRule =
  | SequentialRuleSpec
  | SequentialLatencyPairsRuleSpec
  | SequentialLatencyRuleSpec
  | SequentialVsBaselineRuleSpec
  | ThresholdRuleSpec
  | RatioRuleSpec
  | DropRuleSpec
  | MannWhitneyRuleSpec
  | ProportionsRuleSpec;

/** Rules that compare the new release with a baseline. */
export function needsBaseline(rule: AnalysisRule): boolean {
  return rule.kind !== 'threshold' && rule.kind !== 'sequential';
}

export function severityOf(rule: AnalysisRule): Severity {
  return rule.severity ?? 'rollback';
}

const positive = (v: number | undefined) => v === undefined || (Number.isFinite(v) && v > 0);
const fraction = (v: number | undefined) => v === undefined || (Number.isFinite(v) && v > 0 && v < 1);

/** Every problem of one rule, each naming the rule, the field and what is allowed. */
function problemsOf(rule: AnalysisRule, index: number): string[] {
  const at = `rule ${index} (${rule.name || 'unnamed'})`;
  const out: string[] = [];
  if (!rule.name) out.push(`${at}: name is empty; give every rule a name`);
  if (!rule.metric) out.push(`${at}: metric is empty; name the metric to measure, e.g. error_rate`);
  if (!(RULE_KINDS as readonly string[]).includes(rule.kind)) {
    out.push(`${at}: kind "${rule.kind}" is unknown; use one of ${RULE_KINDS.join(', ')}`);
  }
  if (rule.severity !== undefined && !(SEVERITIES as readonly string[]).includes(rule.severity)) {
    out.push(`${at}: severity "${rule.severity}" is unknown; use rollback or warn`);
  }
  if (!positive(rule.windowMs)) out.push(`${at}: windowMs must be a positive number of milliseconds`);
  if (!positive(rule.forMs)) out.push(`${at}: forMs must be a positive number of milliseconds`);
  if (rule.kind === 'threshold' && rule.above === undefined && rule.below === undefined) {
    out.push(`${at}: a threshold rule needs above or below`);
  }
  if (rule.kind === 'ratio' && !positive(rule.maxRatio))
    out.push(`${at}: maxRatio must be a positive factor, e.g. 2`);
  if (rule.kind === 'ratio' && rule.floor !== undefined && !(rule.floor >= 0)) {
    out.push(`${at}: floor must be 0 or more`);
  }
  if (rule.kind === 'drop' && !fraction(rule.maxDrop))
    out.push(`${at}: maxDrop must be between 0 and 1, e.g. 0.2`);
  if (rule.kind === 'sequential' && !fraction(rule.above)) {
    out.push(`${at}: above must be an error rate between 0 and 1, e.g. 0.05`);
  }
  if (
    (rule.kind === 'sequential-latency' || rule.kind === 'sequential-latency-pairs') &&
    !(rule.maxRatio > 1)
  )
    out.push(`${at}: maxRatio must be a factor above 1, e.g. 2`);
  if (
    (rule.kind === 'mann-whitney' ||
      rule.kind === 'proportions' ||
      rule.kind === 'sequential' ||
      rule.kind === 'sequential-latency' ||
      rule.kind === 'sequential-latency-pairs' ||
      rule.kind === 'sequential-vs-baseline') &&
    !fraction(rule.alpha)
  ) {
    out.push(`${at}: alpha must be between 0 and 1, e.g. 0.01`);
  }
  return out;
}

/**
 * Throws `ANALYSIS_RULE_INVALID` listing every problem, or returns the rules unchanged.
 * Names must be unique, because sustained rules find their history by name.
 */
export function validateRules(rules: readonly AnalysisRule[]): readonly AnalysisRule[] {
  const problems = rules.flatMap(problemsOf);
  const seen = new Set<string>();
  for (const r of rules) {
    if (seen.has(r.name)) problems.push(`rule name "${r.name}" is used twice; names must be unique`);
    seen.add(r.name);
  }
  if (problems.length > 0) {
    const message =
      problems.length === 1
        ? problems[0]!
        : `${problems.length} problems in analysis rules, first: ${problems[0]}`;
    throw new AppError('ANALYSIS_RULE_INVALID', message, { details: problems });
  }
  return rules;
}
