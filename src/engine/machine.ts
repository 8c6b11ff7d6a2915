/**
 * The deployment state machine: pure. `advance(state, event)` returns the next state; `next(state,
 * now)` says what the executor must do. The executor persists every new state before it acts on
 * it, so a restarted control plane picks up exactly where the last one stopped.
 */
import type { PlanStep } from './plan.ts';
import { weightBefore } from './plan.ts';

export const ENGINE_STATUSES = [
  'running',
  'paused',
  'rolling_back',
  'succeeded',
  'rolled_back',
  'aborted',
  'failed',
] as const;
export type EngineStatus = (typeof ENGINE_STATUSES)[number];

export function isFinished(status: EngineStatus): boolean {
  return status === 'succeeded' || status === 'rolled_back' || status === 'aborted' || status === 'failed';
}

/** Why a deployment was rolled back or failed: the rule and the numbers. */
export interface Outcome {
  readonly reason: string;
  readonly rule?: string;
  readonly observed?: number | null;
  readonly threshold?: number | null;
  readonly by?: string;
}

export interface TimelineEntry {
  readonly at: number;
  readonly what: string;
}

export interface EngineState {
  readonly plan: readonly PlanStep[];
  readonly status: EngineStatus;
  /** Index of the current step; `plan.length` once every step ran. */
  readonly step: number;
  /** When the current step began (epoch ms); null until the executor begins it. */
  readonly stepStartedAt: number | null;
  /** Time spent paused inside a timed step, which does not count toward its duration. */
  readonly pausedMs: number;
  readonly pausedAt: number | null;
  /** The new release's current weight. */
  readonly weight: number;
  /** When the weight last changed: the baseline of a full cutover is measured up to then. */
  readonly weightChangedAt: number | null;
  /** Set when status leaves `running` for good, or a rollback starts. */
  readonly outcome: Outcome | null;
  /** What ends the deployment once a rollback's effects are done. */
  readonly endAs: 'rolled_back' | 'aborted' | 'failed' | null;
  readonly timeline: readonly TimelineEntry[];
  /** Last time the executor wrote this state (for "how long was the control plane gone"). */
  readonly touchedAt: number;
}

export type EngineEvent =
  | { readonly type: 'step-began'; readonly at: number }
  | { readonly type: 'step-succeeded'; readonly at: number; readonly note?: string }
  | { readonly type: 'step-failed'; readonly at: number; readonly outcome: Outcome }
  /** A rollback rule failed (during any step after traffic moved). */
  | { readonly type: 'unhealthy'; readonly at: number; readonly outcome: Outcome }
  | { readonly type: 'pause'; readonly at: number; readonly by: string }
  | { readonly type: 'resume'; readonly at: number; readonly by: string }
  | { readonly type: 'abort'; readonly at: number; readonly by: string; readonly reason: string }
  | { readonly type: 'rollback'; readonly at: number; readonly by: string; readonly reason: string }
  | { readonly type: 'rollback-done'; readonly at: number }
  /** End the record only: the data plane no longer matches it, so nothing there is touched. */
  | { readonly type: 'close'; readonly at: number; readonly by: string; readonly reason: string }
  | { readonly type: 'note'; readonly at: number; readonly what: string };

export type Action =
  | { readonly kind: 'begin'; readonly step: PlanStep; readonly index: number }
  /** The step runs: re-run it (idempotent) — after a restart, or for its first time right after begin. */
  | { readonly kind: 'run'; readonly step: PlanStep; readonly index: number; readonly elapsedMs: number }
  | { readonly kind: 'rollback'; readonly endAs: 'rolled_back' | 'aborted' | 'failed' }
  | { readonly kind: 'idle' }
  | { readonly kind: 'done'; readonly status: EngineStatus };

export function initialState(plan: readonly PlanStep[], at: number): EngineState {
  return {
    plan,
    status: 'running',
    step: 0,
    stepStartedAt: null,
    pausedMs: 0,
    pausedAt: null,
    weight: 0,
    weightChangedAt: null,
    outcome: null,
    endAs: null,
    timeline: [{ at, what: 'deployment created' }],
    touchedAt: at,
  };
}

const log = (s: EngineState, at: number, what: string): readonly TimelineEntry[] => [
  ...s.timeline,
  { at, what },
];

export function describeStep(step: PlanStep): string {
  switch (step.kind) {
    case 'shift':
      return `shift ${step.weight}% of traffic`;
    case 'flag':
      return `flag ${step.key} to ${step.percent}% of users`;
    case 'scale':
      return `${step.newCount} new / ${step.oldCount} old instances (${step.weight}%)`;
    case 'start':
      return `start ${step.count} instance(s)`;
    case 'pause':
      return step.durationMs === null
        ? 'pause until resumed'
        : `pause ${Math.round(step.durationMs / 1000)}s`;
    case 'analysis':
      return `analysis ${Math.round(step.durationMs / 1000)}s`;
    case 'watch':
      return `watch ${Math.round(step.durationMs / 1000)}s`;
    default:
      return step.kind;
  }
}

function startRollback(
  s: EngineState,
  at: number,
  outcome: Outcome,
  endAs: 'rolled_back' | 'aborted' | 'failed',
  what: string,
): EngineState {
  if (isFinished(s.status) || s.status === 'rolling_back') return s;
  // Nothing took traffic or started yet: there is nothing to undo, the deployment just ends.
  return { ...s, status: 'rolling_back', outcome, endAs, timeline: log(s, at, what), touchedAt: at };
}

export function advance(s: EngineState, e: EngineEvent): EngineState {
  if (isFinished(s.status)) return s;
  const step = s.plan[s.step];
  switch (e.type) {
    case 'step-began':
      if (s.status !== 'running' || step === undefined || s.stepStartedAt !== null) return s;
      return {
        ...s,
        stepStartedAt: e.at,
        pausedMs: 0,
        timeline: log(s, e.at, `began: ${describeStep(step)}`),
        touchedAt: e.at,
      };
    case 'step-succeeded': {
      if (s.status !== 'running' || step === undefined || s.stepStartedAt === null) return s;
      const weight = step.kind === 'shift' || step.kind === 'scale' ? step.weight : s.weight;
      const done = s.step + 1 >= s.plan.length;
      const what = `done: ${describeStep(step)}${e.note ? ` (${e.note})` : ''}`;
      return {
        ...s,
        step: s.step + 1,
        stepStartedAt: null,
        pausedMs: 0,
        weight,
        weightChangedAt: weight !== s.weight ? e.at : s.weightChangedAt,
        status: done ? 'succeeded' : 'running',
        timeline: log(s, e.at, what),
        touchedAt: e.at,
      };
    }
    case 'step-failed':
    case 'unhealthy':
      if (s.status === 'rolling_back') return s;
      {
        // Before any traffic reached the new release, a failure leaves production untouched: the
        // deployment failed. Once it took traffic, the same failure is a rollback.
        const endAs = s.weight === 0 ? 'failed' : 'rolled_back';
        return startRollback(
          s,
          e.at,
          e.outcome,
          endAs,
          `${e.type === 'unhealthy' ? 'unhealthy' : 'step failed'}: ${e.outcome.reason}`,
        );
      }
    case 'pause':
      if (s.status !== 'running') return s;
      return {
        ...s,
        status: 'paused',
        pausedAt: e.at,
        timeline: log(s, e.at, `paused by ${e.by}`),
        touchedAt: e.at,
      };
    case 'resume': {
      if (s.status !== 'paused') return s;
      const paused = s.pausedAt === null ? 0 : e.at - s.pausedAt;
      // A pause-until-resumed step ends with the resume.
      const waiting = step?.kind === 'pause' && step.durationMs === null && s.stepStartedAt !== null;
      const resumed: EngineState = {
        ...s,
        status: 'running',
        pausedAt: null,
        pausedMs: s.pausedMs + paused,
        timeline: log(s, e.at, `resumed by ${e.by}`),
        touchedAt: e.at,
      };
      return waiting ? advance(resumed, { type: 'step-succeeded', at: e.at }) : resumed;
    }
    case 'abort':
      return startRollback(
        s,
        e.at,
        { reason: e.reason, by: e.by },
        'aborted',
        `aborted by ${e.by}: ${e.reason}`,
      );
    case 'rollback':
      return startRollback(
        s,
        e.at,
        { reason: e.reason, by: e.by },
        'rolled_back',
        `rollback by ${e.by}: ${e.reason}`,
      );
    case 'rollback-done':
      if (s.status !== 'rolling_back') return s;
      return {
        ...s,
        status: s.endAs ?? 'rolled_back',
        weight: 0,
        timeline: log(s, e.at, 'traffic back on the stable release; new instances stopped'),
        touchedAt: e.at,
      };
    case 'close':
      return {
        ...s,
        status: 'aborted',
        outcome: { reason: e.reason, by: e.by },
        endAs: 'aborted',
        timeline: log(s, e.at, `closed by ${e.by} without touching the data plane: ${e.reason}`),
        touchedAt: e.at,
      };
    case 'note':
      return { ...s, timeline: log(s, e.at, e.what), touchedAt: e.at };
  }
}

/** What the executor should do with this state now. */
export function next(s: EngineState, now: number): Action {
  if (isFinished(s.status)) return { kind: 'done', status: s.status };
  if (s.status === 'rolling_back') return { kind: 'rollback', endAs: s.endAs ?? 'rolled_back' };
  const step = s.plan[s.step];
  if (step === undefined) return { kind: 'done', status: s.status };
  if (s.status === 'paused') return { kind: 'idle' };
  if (s.stepStartedAt === null) return { kind: 'begin', step, index: s.step };
  return { kind: 'run', step, index: s.step, elapsedMs: Math.max(0, now - s.stepStartedAt - s.pausedMs) };
}

/** The weight the new release had before the current step; what a resumed step starts from. */
export function settledWeight(s: EngineState): number {
  return weightBefore(s.plan, s.step);
}
