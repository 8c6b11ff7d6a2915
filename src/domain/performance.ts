/**
 * A release's figures under the performance step's load (slipway.yaml `performance`), kept per
 * release and environment so the next release is judged against them.
 */

/** One release measured under load: latencies in ms, error rate 0–1. */
export interface PerfFigures {
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly errorRate: number;
  /** Responses and errors counted (after the warm-up). */
  readonly requests: number;
  /** Requests per second actually sent (the asked rate is a ceiling). */
  readonly rate: number;
}

/**
 * What the new release was compared with: `side-by-side` = the previous release still running
 * behind the router, measured in the same step at the same time; `recorded` = its figures stored
 * by its own deployment's step (it no longer runs, e.g. after a rolling deployment).
 */
export interface PerfBaseline {
  readonly releaseId: string;
  readonly version: string;
  readonly how: 'side-by-side' | 'recorded';
  readonly figures: PerfFigures;
  /**
   * Side by side only: new/previous per percentile as the median over time slices measured at the
   * same moment (a stall of the machine or of one process then spoils one slice, not the verdict).
   */
  readonly paired?: {
    readonly p50: number;
    readonly p95: number;
    readonly p99: number;
    readonly slices: number;
  };
}

/** `unjudged`: one side had no answer to measure (a starved machine, a too short run); noted, not failed. */
export type PerfVerdict = 'pass' | 'fail' | 'first' | 'unjudged';

export interface PerfRecord {
  readonly deploymentId: string;
  readonly app: string;
  readonly env: string;
  readonly releaseId: string;
  readonly version: string;
  readonly measuredAt: string;
  readonly figures: PerfFigures;
  /** null: nothing to compare with (the environment's first release, or none measured). */
  readonly baseline: PerfBaseline | null;
  readonly verdict: PerfVerdict;
  /** The line shown on the timeline: both numbers and the ratio. */
  readonly summary: string;
}

/** The store's side (src/store/sql/perf-queries.ts). */
export interface PerformanceRecords {
  /** Keep a deployment's figures; a re-run of the same deployment's step replaces them. */
  record(r: PerfRecord): Promise<void>;
  /** The newest figures of `releaseId` in an environment, if its step ever ran there. */
  latest(app: string, env: string, releaseId: string): Promise<PerfRecord | undefined>;
  /** An environment's figures, newest first. */
  list(app: string, env: string, limit?: number): Promise<PerfRecord[]>;
}
