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

export interface RollbackIf {
  readonly errorRate?:
    | false
    | {
        readonly above?: number;
        readonly withinMs?: number;
        /**
         * sequential (default): the limit over the window (failing once the rate is shown above it,
         * at 99.9%), and sequential tests that fail early (shown above `above`, shown above the
         * stable release's rate); threshold: the limit over the window alone, on the measured rate
         * (and failing when its 95% bounds reach past the limit); sequential-only: the sequential tests alone (a release measured above
         * `above` but not shown to be is inconclusive); two-proportion: significantly above the
         * baseline by more than `above`.
         */
        readonly test?: 'threshold' | 'two-proportion' | 'sequential' | 'sequential-only';
        /** The two-proportion test's significance level; default 0.01. */
        readonly alpha?: number;
      };
  readonly latency?:
    | false
    | {
        readonly p95AboveBaseline?: number;
        readonly forMs?: number;
        readonly floorMs?: number;
        /**
         * sequential (default): the ratio over `forMs` and a sequential test that fails early (p95
         * shown above the factor); ratio: the ratio alone; mann-whitney: the latency distribution
         * significantly slower than the baseline's.
         */
        readonly test?: 'ratio' | 'mann-whitney' | 'sequential';
        /** The Mann-Whitney test's significance level; default 0.01. */
        readonly alpha?: number;
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

const SEQUENTIAL_ERROR = new Set(['error-rate-sequential', 'error-rate-vs-stable']);

function override(rule: AnalysisRule, spec: RollbackIf): AnalysisRule | undefined {
  const e = spec.errorRate === false ? undefined : (spec.errorRate ?? {});
  const l = spec.latency === false ? undefined : (spec.latency ?? {});
  if (SEQUENTIAL_ERROR.has(rule.name)) {
    const test = e?.test ?? 'sequential';
    if (!e || (test !== 'sequential' && test !== 'sequential-only')) return undefined;
    if (rule.kind !== 'sequential') return rule;
    // sequential-only: no fixed trigger beside it, so the test itself says pass or inconclusive.
    return {
      ...rule,
      ...(e.above !== undefined && { above: e.above }),
      ...(test === 'sequential-only' && { onlyFails: false, minCount: 50 }),
    };
  }
  if (rule.name === 'latency-vs-stable' && rule.kind === 'sequential-latency-pairs') {
    if (!l || (l.test ?? 'sequential') !== 'sequential') return undefined;
    // A p95 limit set above 2× loosens the typical slowdown in proportion (3× → 1.875×); a
    // stricter one keeps 1.25×.
    const p95 = l.p95AboveBaseline ?? 2;
    return p95 > 2 ? { ...rule, maxRatio: (rule.maxRatio * p95) / 2 } : rule;
  }
  if (rule.name === 'latency-p95-sequential' && rule.kind === 'sequential-latency') {
    if (!l || (l.test ?? 'sequential') !== 'sequential') return undefined;
    return {
      ...rule,
      maxRatio: l.p95AboveBaseline ?? rule.maxRatio,
      ...(l.floorMs !== undefined && { floor: l.floorMs }),
    };
  }
  if (rule.name === 'error-rate' && rule.kind === 'threshold') {
    if (!e || e.test === 'sequential-only') return undefined;
    if (e.test === 'two-proportion') {
      return {
        kind: 'proportions',
        name: rule.name,
        metric: rule.metric,
        windowMs: e.withinMs ?? rule.windowMs ?? 600_000,
        // `above` is the smallest increase over the baseline worth a rollback.
        ...(e.above !== undefined && { minEffect: e.above }),
        ...(e.alpha !== undefined && { alpha: e.alpha }),
        unit: 'ratio',
      };
    }
    const fixed = { ...rule, above: e.above ?? rule.above, windowMs: e.withinMs ?? rule.windowMs };
    if (e.test !== 'threshold') return fixed;
    // `test: threshold`: the measured rate decides, bounds reaching past the limit fail (wave 1).
    const { shownAt: _, ...measured } = fixed;
    return measured;
  }
  if (rule.name === 'latency-p95' && rule.kind === 'ratio') {
    if (!l) return undefined;
    if (l.test === 'mann-whitney') {
      return {
        kind: 'mann-whitney',
        name: rule.name,
        metric: 'latency',
        windowMs: rule.windowMs ?? 60_000,
        ...(l.alpha !== undefined && { alpha: l.alpha }),
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
