/**
 * The seed's default rollback triggers and watch-window warnings, as data. `slipway.yaml` may
 * override each; these are what applies when it says nothing.
 *
 * - error rate above 5% within 10 minutes
 * - p95 latency above 2× the baseline for 5 minutes
 * - more than 30% of instances failing health checks
 * - a business metric dropping more than 20% (only when the app names one)
 * - watch window: warn when the error rate passes 1.5× or p95 1.3× the pre-deploy baseline
 *
 * Beside the error-rate and latency triggers run sequential tests that may fail them early, as
 * soon as the evidence is overwhelming (judges/sequential*.ts, latency-vs-stable.ts): the error
 * rate shown above 5%, the error rate shown above the stable release's, the p95 shown above 2× the
 * baseline's, the typical request shown over 1.25× a stable one served at the same moment. They
 * share α = 1% (a third for each error-rate test, a sixth for each latency test): the chance any of
 * them ever rolls back a release within its limits and no worse than the stable one. `rollbackIf.*.test` swaps them out.
 *
 * The `fast` profile keeps the same rules with windows of seconds, for staging smoke runs and
 * tests that cannot wait ten minutes.
 */
import type { AnalysisRule, DropRuleSpec } from '../rules.ts';

const SECOND = 1000;
const MINUTE = 60 * SECOND;

export interface AnalysisProfile {
  readonly name: string;
  /** How often the engine measures. */
  readonly intervalMs: number;
  /** Rules whose failure rolls the deployment back. */
  readonly rollback: readonly AnalysisRule[];
  /** Rules checked during the watch (bake) window against the pre-deploy baseline; they only warn. */
  readonly watch: readonly AnalysisRule[];
}

interface Windows {
  readonly errorWindowMs: number;
  readonly latencyWindowMs: number;
  readonly latencyForMs: number;
  readonly minRequests: number;
}

/**
 * The fixed error-rate trigger fails when the window's rate is above its limit with this
 * confidence (one-sided Wilson lower bound): a release exactly at the limit fails one look in a
 * thousand. `errorRate.test: threshold` judges the measured rate alone, as wave 1 did.
 */
export const ERROR_RATE_SHOWN_AT = 0.999;

/**
 * The false-rollback bound of the sequential tests together: a third for each error-rate test, a
 * third for the two latency tests (a sixth each).
 */
export const SEQUENTIAL_ALPHA = 0.01;
const EACH_ALPHA = SEQUENTIAL_ALPHA / 3;
const LATENCY_ALPHA = SEQUENTIAL_ALPHA / 6;
/**
 * `latency-vs-stable` rolls back a release whose requests are more likely than not over this
 * factor × a stable request served at the same moment: a typical request a quarter slower.
 */
export const TYPICAL_SLOWDOWN = 1.25;
/** Sequential tests read all of the release's traffic the builtin router remembers: 10 minutes. */
export const SEQUENTIAL_WINDOW_MS = 600_000;

/** The sequential tests beside the error-rate trigger (limit `above`): against it and against stable. */
export function sequentialErrorRules(above: number): AnalysisRule[] {
  return [
    {
      kind: 'sequential',
      name: 'error-rate-sequential',
      metric: 'error_rate',
      above,
      alpha: EACH_ALPHA,
      onlyFails: true,
      windowMs: SEQUENTIAL_WINDOW_MS,
      unit: 'ratio',
    },
    {
      kind: 'sequential-vs-baseline',
      name: 'error-rate-vs-stable',
      metric: 'error_rate',
      alpha: EACH_ALPHA,
      windowMs: SEQUENTIAL_WINDOW_MS,
      unit: 'ratio',
    },
  ];
}

/** The sequential test beside the latency trigger (p95 above `maxRatio` × the baseline's). */
export function sequentialLatencyRule(maxRatio: number, floor: number): AnalysisRule {
  return {
    kind: 'sequential-latency',
    name: 'latency-p95-sequential',
    metric: 'latency',
    maxRatio,
    floor,
    alpha: LATENCY_ALPHA,
    windowMs: SEQUENTIAL_WINDOW_MS,
    unit: 'ms',
  };
}

/** The sequential test of the new release's requests against the stable's, pair by pair. */
export function latencyVsStableRule(maxRatio = TYPICAL_SLOWDOWN): AnalysisRule {
  return {
    kind: 'sequential-latency-pairs',
    name: 'latency-vs-stable',
    metric: 'latency',
    maxRatio,
    alpha: LATENCY_ALPHA,
    windowMs: SEQUENTIAL_WINDOW_MS,
    unit: 'ms',
  };
}

function rollbackRules(w: Windows): readonly AnalysisRule[] {
  return [
    {
      kind: 'threshold',
      name: 'error-rate',
      metric: 'error_rate',
      above: 0.05,
      windowMs: w.errorWindowMs,
      minCount: w.minRequests,
      // Roll back on the window's rate only when it is shown above 5%, not on 1 error in 12.
      shownAt: ERROR_RATE_SHOWN_AT,
      unit: 'ratio',
    },
    {
      kind: 'ratio',
      name: 'latency-p95',
      metric: 'p95',
      maxRatio: 2,
      // A baseline p95 under 50 ms is compared as 50 ms: 1 ms → 3 ms is not a regression anyone feels.
      floor: 50,
      windowMs: w.latencyWindowMs,
      forMs: w.latencyForMs,
      minCount: w.minRequests,
      unit: 'ms',
    },
    {
      kind: 'threshold',
      name: 'unhealthy-instances',
      metric: 'unhealthy_instances',
      provider: 'runtime',
      above: 0.3,
      unit: 'ratio',
    },
    ...sequentialErrorRules(0.05),
    sequentialLatencyRule(2, 50),
    latencyVsStableRule(),
  ];
}

function watchRules(w: Windows): readonly AnalysisRule[] {
  return [
    {
      kind: 'ratio',
      name: 'watch-error-rate',
      metric: 'error_rate',
      severity: 'warn',
      maxRatio: 1.5,
      // Below a 1% baseline, 1.5× is noise; warn from 1.5% on.
      floor: 0.01,
      windowMs: w.errorWindowMs,
      minCount: w.minRequests,
      unit: 'ratio',
    },
    {
      kind: 'ratio',
      name: 'watch-latency-p95',
      metric: 'p95',
      severity: 'warn',
      maxRatio: 1.3,
      floor: 50,
      windowMs: w.latencyWindowMs,
      minCount: w.minRequests,
      unit: 'ms',
    },
  ];
}

/** Production defaults: the seed's windows, measured every 30 s. */
export const DEFAULT_PROFILE: AnalysisProfile = {
  name: 'default',
  intervalMs: 30 * SECOND,
  rollback: rollbackRules({
    errorWindowMs: 10 * MINUTE,
    latencyWindowMs: MINUTE,
    latencyForMs: 5 * MINUTE,
    minRequests: 50,
  }),
  watch: watchRules({
    errorWindowMs: 10 * MINUTE,
    latencyWindowMs: MINUTE,
    latencyForMs: 5 * MINUTE,
    minRequests: 50,
  }),
};

/**
 * Staging and tests: 10 s windows, measured every second. A p95 needs about 50 requests before it
 * has bounds (see bounds.ts), and with ~100 its upper bound no longer rests on the slowest request
 * alone, so one stray slow response cannot decide it.
 */
export const FAST_PROFILE: AnalysisProfile = {
  name: 'fast',
  intervalMs: SECOND,
  rollback: rollbackRules({
    errorWindowMs: 10 * SECOND,
    latencyWindowMs: 10 * SECOND,
    latencyForMs: 10 * SECOND,
    minRequests: 10,
  }),
  watch: watchRules({
    errorWindowMs: 10 * SECOND,
    latencyWindowMs: 10 * SECOND,
    latencyForMs: 10 * SECOND,
    minRequests: 10,
  }),
};

export const PROFILES: Readonly<Record<string, AnalysisProfile>> = {
  default: DEFAULT_PROFILE,
  fast: FAST_PROFILE,
};

/**
 * The business-metric trigger, for an app that names one: fail when `metric` falls more than
 * 20% below the baseline's.
 *
 * @example businessDrop('checkout_rate', { provider: 'prometheus' })
 */
export function businessDrop(
  metric: string,
  options: { provider?: string; maxDrop?: number; windowMs?: number; name?: string } = {},
): DropRuleSpec {
  return {
    kind: 'drop',
    name: options.name ?? `${metric}-drop`,
    metric,
    maxDrop: options.maxDrop ?? 0.2,
    windowMs: options.windowMs ?? 10 * MINUTE,
    ...(options.provider === undefined ? {} : { provider: options.provider }),
  };
}
