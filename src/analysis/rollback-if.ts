/**
 * `rollbackIf` from slipway.yaml → analysis rules. The config layer parses units ("5%" → 0.05,
 * "10m" → 600000, "2x" → 2) and hands over this shape; each trigger not mentioned keeps the
 * profile's default, and `false` turns a trigger off.
 *
 * @example
 * rulesFromRollbackIf({ errorRate: { above: 0.02, withinMs: 300_000 }, unhealthyInstances: false });
 */
import { type AnalysisProfile, businessDrop, DEFAULT_PROFILE } from './judges/defaults.ts';
import type { AnalysisRule } from './rules.ts';

/** How far back a sequential error-rate test reads: the builtin router keeps 10 minutes. */
export const SEQUENTIAL_WINDOW_MS = 600_000;

export interface RollbackIf {
  readonly errorRate?:
    | false
    | {
        readonly above?: number;
        readonly withinMs?: number;
        /**
         * threshold (default); two-proportion: significantly above the baseline by more than `above`;
         * sequential: shown above `above` by a sequential test checked at every measurement.
         */
        readonly test?: 'threshold' | 'two-proportion' | 'sequential';
      };
  readonly latency?:
    | false
    | {
        readonly p95AboveBaseline?: number;
        readonly forMs?: number;
        readonly floorMs?: number;
        /** ratio (default) or mann-whitney: the latency distribution significantly slower than the baseline's. */
        readonly test?: 'ratio' | 'mann-whitney';
      };
  readonly unhealthyInstances?: false | { readonly above?: number };
  readonly businessMetric?: {
    readonly metric: string;
    /** Largest allowed drop, 0–1; default 0.2. */
    readonly dropAbove?: number;
    readonly provider?: string;
    readonly withinMs?: number;
  };
}

function override(rule: AnalysisRule, spec: RollbackIf): AnalysisRule | undefined {
  if (rule.name === 'error-rate' && rule.kind === 'threshold') {
    if (spec.errorRate === false) return undefined;
    const e = spec.errorRate ?? {};
    if (e.test === 'two-proportion') {
      return {
        kind: 'proportions',
        name: rule.name,
        metric: rule.metric,
        windowMs: e.withinMs ?? rule.windowMs ?? 600_000,
        // `above` is the smallest increase over the baseline worth a rollback.
        ...(e.above !== undefined && { minEffect: e.above }),
        unit: 'ratio',
      };
    }
    if (e.test === 'sequential') {
      return {
        kind: 'sequential',
        name: rule.name,
        metric: rule.metric,
        above: e.above ?? rule.above ?? 0.05,
        // The test accumulates all of the release's traffic: the router's whole memory, not the
        // trigger's sliding window (a sliding window would forget the evidence it has).
        windowMs: SEQUENTIAL_WINDOW_MS,
        ...(rule.minCount !== undefined && { minCount: rule.minCount }),
        unit: 'ratio',
      };
    }
    return { ...rule, above: e.above ?? rule.above, windowMs: e.withinMs ?? rule.windowMs };
  }
  if (rule.name === 'latency-p95' && rule.kind === 'ratio') {
    if (spec.latency === false) return undefined;
    const l = spec.latency ?? {};
    if (l.test === 'mann-whitney') {
      return {
        kind: 'mann-whitney',
        name: rule.name,
        metric: 'latency',
        windowMs: rule.windowMs ?? 60_000,
        unit: 'ms',
      };
    }
    return {
      ...rule,
      maxRatio: l.p95AboveBaseline ?? rule.maxRatio,
      forMs: l.forMs ?? rule.forMs,
      floor: l.floorMs ?? rule.floor,
    };
  }
  if (rule.name === 'unhealthy-instances' && rule.kind === 'threshold') {
    if (spec.unhealthyInstances === false) return undefined;
    return { ...rule, above: spec.unhealthyInstances?.above ?? rule.above };
  }
  return rule;
}

/** The rollback rules for an environment: the profile's defaults with `spec` applied. */
export function rulesFromRollbackIf(
  spec: RollbackIf = {},
  profile: AnalysisProfile = DEFAULT_PROFILE,
): readonly AnalysisRule[] {
  const rules = profile.rollback.map((r) => override(r, spec)).filter((r) => r !== undefined);
  const b = spec.businessMetric;
  if (b) {
    rules.push(
      businessDrop(b.metric, {
        ...(b.provider === undefined ? {} : { provider: b.provider }),
        ...(b.dropAbove === undefined ? {} : { maxDrop: b.dropAbove }),
        ...(b.withinMs === undefined ? {} : { windowMs: b.withinMs }),
      }),
    );
  }
  return rules;
}
