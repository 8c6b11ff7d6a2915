/**
 * The analysis contract: what a metric provider returns and what a judge decides.
 *
 * A provider turns "metric M of release R in environment E over the last W ms" into a
 * `Measurement`. Failures are values, not exceptions (Argo's `MarkMeasurementError`): a provider
 * that cannot reach its backend returns `{ phase: 'error' }`, one whose backend has nothing to say
 * returns `{ phase: 'nodata' }`, so the engine always gets something it can store and show.
 *
 * A judge is a pure function from measurements to a `Verdict`. Too little data is never a pass:
 * it is `inconclusive` with a reason naming what was missing.
 */

/** The phases of one measurement. */
export const MEASUREMENT_PHASES = ['ok', 'nodata', 'error'] as const;
export type MeasurementPhase = (typeof MEASUREMENT_PHASES)[number];

/** A value was measured. */
export interface MeasurementOk {
  readonly phase: 'ok';
  /** The metric's value in its own unit: a ratio 0–1 for rates, milliseconds for latency. */
  readonly value: number;
  /** Raw observations behind the value (e.g. request latencies), when the provider has them. */
  readonly samples?: readonly number[];
  /** The latency distribution as histogram buckets, when the provider keeps one (sequential latency test). */
  readonly histogram?: { readonly upperMs: readonly number[]; readonly counts: readonly number[] };
  /** How many events the value rests on (e.g. requests in the window), when known. */
  readonly count?: number;
  /**
   * Where the value may really lie given its sample, when the provider can tell: one-sided 95%
   * confidence bounds (an error rate from its request count, a percentile from its histogram's
   * ranks and bucket edges). Judges use them to count a value within its error of a limit as
   * reaching it.
   */
  readonly bounds?: { readonly low: number; readonly high: number };
}

/** The backend answered but had nothing for this query: no traffic, an empty series, NaN. */
export interface MeasurementNoData {
  readonly phase: 'nodata';
  /** What was missing, e.g. `no requests to release v2 in the last 10s`. */
  readonly reason: string;
}

/** The provider could not measure: unreachable backend, bad response, bad query. */
export interface MeasurementError {
  readonly phase: 'error';
  /** What failed and where (URL, query, path); never a secret. */
  readonly message: string;
}

export type Measurement = MeasurementOk | MeasurementNoData | MeasurementError;

export function isMeasured(m: Measurement): m is MeasurementOk {
  return m.phase === 'ok';
}

/** One question to a provider. */
export interface MetricQuery {
  readonly env: string;
  readonly release: string;
  /** Metric name as the provider knows it, e.g. `error_rate`, `p95`, `checkout_rate`. */
  readonly metric: string;
  /** Length of the window that ends at `now`, in milliseconds. */
  readonly windowMs: number;
  /** End of the window, epoch milliseconds. */
  readonly now: number;
  /**
   * How long before the present `now` lies, when the window was moved into the past (the stable
   * release's figures up to a full cutover). A provider that can only measure "the last N ms" (the
   * builtin router) widens its window by this much instead.
   */
  readonly endedAgoMs?: number;
}

/**
 * A source of metrics (builtin router, Prometheus, an HTTP JSON endpoint).
 *
 * @example
 * const m = await provider.query({ env: 'production', release: 'v2', metric: 'error_rate', windowMs: 600_000, now: Date.now() });
 * if (m.phase === 'ok') console.log(m.value);
 */
export interface MetricProvider {
  /** Provider kind, e.g. `prometheus`; used in messages. */
  readonly name: string;
  /**
   * Measure one metric of one release. Must not throw for a provider's failure: unreachable
   * backends, timeouts, bad responses and empty results come back as measurements.
   */
  query(q: MetricQuery): Promise<Measurement>;
}

/** The outcomes of a judge. */
export const VERDICTS = ['pass', 'fail', 'inconclusive'] as const;
export type VerdictKind = (typeof VERDICTS)[number];

/** A decisive verdict settles the question; `inconclusive` asks for more data or a human. */
export function isDecisive(v: VerdictKind): v is 'pass' | 'fail' {
  return v !== 'inconclusive';
}

/** How many observations a verdict rests on, for the new release and the baseline. */
export interface SampleSize {
  readonly new: number;
  readonly baseline?: number;
}

/**
 * The outcome of one rule, with every number behind it so it can be stored and shown.
 * `observed` and `threshold` share a unit (a rate, milliseconds, a p-value for statistical
 * tests); `null` when there was nothing to observe.
 */
export interface Verdict {
  readonly verdict: VerdictKind;
  /** Rule name, e.g. `error-rate`. */
  readonly rule: string;
  readonly observed: number | null;
  readonly threshold: number | null;
  /** The baseline's value, for rules that compare with the baseline. */
  readonly baseline?: number | null;
  readonly sample: SampleSize;
  /** One sentence a person can act on. */
  readonly reason: string;
  /** Further numbers the verdict rests on (ratio, p-value, effect size ...). */
  readonly stats?: Readonly<Record<string, number>>;
}

export function isFail(v: Verdict): boolean {
  return v.verdict === 'fail';
}
