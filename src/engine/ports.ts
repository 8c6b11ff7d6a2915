/**
 * What the executor drives, as small interfaces: the data plane (the agent, or its client), the
 * guard that measures the new release, and smoke checks. Real ones are composed in
 * `src/app/engine.ts` (the app layer wires them; engine/ owns these ports, gates/ implements `Gates`);
 * tests pass their own.
 */

import type { DesiredEnv, EnvBodyInput, EnvStatus } from '../domain/data-plane.ts';
import type { Deployment } from '../domain/types.ts';
import type { DeploymentContext } from './context.ts';

export interface DataPlane {
  putEnv(env: string, body: EnvBodyInput): Promise<EnvStatus>;
  setWeights(env: string, weights: Readonly<Record<string, number>>): Promise<EnvStatus>;
  desired(env: string): Promise<DesiredEnv | undefined>;
  deleteEnv(env: string): Promise<void>;
  /**
   * A data plane of several hosts (src/fleet/plane.ts): what happened to its hosts since it was
   * last asked — notes for the timeline, or a host fault the deployment must pause or roll back
   * for, per slipway.yaml `hostFailure`. Asked before each step and at each measurement.
   */
  hostEvents?(env: string): Promise<readonly HostEvent[]>;
}

export interface HostEvent {
  readonly kind: 'note' | 'pause' | 'rollback';
  /** Names the host. */
  readonly what: string;
}

export type GuardPhase = 'traffic' | 'analysis' | 'watch';

/** One measurement round of the new release against its baseline. */
export interface GuardResult {
  readonly verdict: 'pass' | 'fail' | 'inconclusive';
  /** One line a person can act on. */
  readonly reason: string;
  readonly rule?: string;
  readonly observed?: number | null;
  readonly threshold?: number | null;
  readonly warnings: readonly string[];
  /** Headline numbers for progress views: error rate (0–1) and p95 (ms) of new and baseline. */
  readonly numbers?: {
    readonly errorRate?: number | null;
    readonly p95?: number | null;
    readonly baselineErrorRate?: number | null;
    readonly baselineP95?: number | null;
  };
}

export interface Guard {
  /** How often to measure this deployment, in ms (its analysis profile decides). */
  intervalMs(ctx: DeploymentContext): number;
  /**
   * Why this deployment's traffic cannot be measured at all (HAProxy or nginx with no `metrics:`
   * source), or undefined when it can. A watch window then judges instance health only.
   */
  unmeasurable?(ctx: DeploymentContext): string | undefined;
  /** `cutoverAt`: when the new release took all traffic; the stable release is measured up to then. */
  check(
    ctx: DeploymentContext,
    phase: GuardPhase,
    now: number,
    cutoverAt: number | null,
  ): Promise<GuardResult>;
}

export interface SmokeChecker {
  /** Runs the context's smoke checks against the new release; a failure names the check. */
  run(ctx: DeploymentContext): Promise<{ ok: true } | { ok: false; reason: string }>;
}

export interface CheckRunner {
  /** Runs the context's check commands in order; the first failure names the check and its output. */
  run(
    ctx: DeploymentContext,
    signal?: AbortSignal,
  ): Promise<{ ok: true; note: string } | { ok: false; reason: string }>;
}

/** The performance step (src/engine/performance.ts): load, compare with the previous release, record. */
export interface PerformanceRunner {
  run(
    ctx: DeploymentContext,
    input: {
      readonly deploymentId: string;
      /** The previous release still runs behind the router (measured side by side when it does). */
      readonly stableRunning: boolean;
      readonly signal?: AbortSignal;
    },
  ): Promise<{ ok: true; note: string } | { ok: false; reason: string }>;
}

/**
 * Tells an outside system (GitHub's Deployments API) where a deployment stands. Never decides
 * anything: each call returns a line for the timeline, also when the report failed.
 */
export interface DeploymentReporter {
  readonly name: string;
  started(deploymentId: string, ctx: DeploymentContext): Promise<string>;
  finished(
    deploymentId: string,
    ctx: DeploymentContext,
    outcome: 'succeeded' | 'rolled_back' | 'failed' | 'aborted',
    reason?: string,
  ): Promise<string>;
}

export interface PreflightResult {
  /** Problems that stop the deployment before anything starts; empty when all is well. */
  readonly problems: readonly string[];
  /** Warnings worth a line on the timeline (drift warnings, accepted scan findings). */
  readonly notes?: readonly string[];
}

/**
 * The release's database migrations (src/migrations/, wired by src/app/): back up, apply what is
 * pending, and say what was done. Throws an AppError naming the statement and the database's error;
 * the deployment then fails before any instance of the new release starts.
 */
export interface Migrator {
  run(ctx: DeploymentContext, deploymentId: string): Promise<{ readonly note: string }>;
}

export interface Preflight {
  /** Problems that stop the deployment before anything starts (a plain list: problems only). */
  check(ctx: DeploymentContext): Promise<readonly string[] | PreflightResult>;
}

/**
 * Secret values for the instances, read right before the executor applies a desired state, so
 * they never sit in the stored deployment state. `redact` hides every value read so far (and the
 * credential-named assignments) in text the executor stores: failure reasons, notes, events.
 */
export interface SecretsPort {
  /**
   * The values of `pins` (key → version) in `env`, plus the current values of the plain
   * `sensitiveKeys`; a version no longer stored is an AppError.
   */
  values(
    env: string,
    pins: Readonly<Record<string, number>>,
    sensitiveKeys?: readonly string[],
  ): Promise<Record<string, string>>;
  redact(text: string): string;
}

/** Where the executor asks the gates: the plan's approval step, and before the first traffic step. */
export type GatePoint = 'approval' | 'traffic';

export type GateResult =
  | { readonly state: 'open'; readonly note?: string }
  /** Ask again later (by `until`, epoch ms, when the gate knows when it opens). */
  | { readonly state: 'wait'; readonly reason: string; readonly until?: number }
  /** The deployment fails with this reason. */
  | { readonly state: 'blocked'; readonly reason: string };

/**
 * Go/no-go gates: approvals, deploy windows, checklists (implemented by `src/gates/` `createGates`, wired by
 * `src/app/`, which opens them at once for a rollback).
 * The executor asks at the plan's approval step and before the first traffic step; `wait` is asked
 * again every `pollMs` (or at `until`), `blocked` fails the deployment with the reason.
 *
 * @example
 * const gates: Gates = { pollMs: 1000, check: async () => ({ state: 'wait', reason: 'waiting for approval: 0 of 1' }) };
 */
export interface Gates {
  /** How often a waiting gate is asked again, in ms. */
  readonly pollMs: number;
  check(ctx: DeploymentContext, deployment: Deployment, point: GatePoint): Promise<GateResult>;
}

export interface Clock {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      signal?.addEventListener(
        'abort',
        () => {
          clearTimeout(timer);
          resolve();
        },
        { once: true },
      );
    }),
};
