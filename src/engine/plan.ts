/**
 * A deployment's plan: the ordered steps a strategy expands to. Pure, so every strategy is
 * tested on its exact output. The approval gate and the migrate step slot in after preflight.
 */
import type { EngineStrategy } from './strategy.ts';

export type PlanStep =
  | { readonly kind: 'preflight' }
  | { readonly kind: 'approval' }
  /** Apply the release's pending database migrations (expand), before any traffic moves. */
  | { readonly kind: 'migrate' }
  | { readonly kind: 'start'; readonly count: number }
  | { readonly kind: 'shift'; readonly weight: number }
  /** Canary: `percent`% of users get the feature flag `key` (its rolled-out variant). */
  | { readonly kind: 'flag'; readonly key: string; readonly percent: number }
  /** Rolling: run `newCount` new and `oldCount` old instances, traffic split by count. */
  | { readonly kind: 'scale'; readonly newCount: number; readonly oldCount: number; readonly weight: number }
  | { readonly kind: 'smoke' }
  /** The environment's check commands (e2e tests), once the release serves it. */
  | { readonly kind: 'checks' }
  /** The performance step: load on the environment, compared with the previous release. */
  | { readonly kind: 'performance' }
  /** null: until someone resumes. */
  | { readonly kind: 'pause'; readonly durationMs: number | null }
  | { readonly kind: 'analysis'; readonly durationMs: number }
  | { readonly kind: 'watch'; readonly durationMs: number }
  | { readonly kind: 'finalize' };

export interface PlanInput {
  readonly strategy: EngineStrategy;
  readonly instances: number;
  /** Smoke checks are configured: run them after every traffic step. */
  readonly smoke: boolean;
  readonly watchMs: number;
  /** The environment already serves a release; without one there is nothing to compare or shift from. */
  readonly hasStable: boolean;
  readonly approval?: boolean;
  /** The app declares migrations: run them after the gates, before the first instance starts. */
  readonly migrate?: boolean;
  /** The environment declares check commands: run them after the traffic steps, before the watch. */
  readonly checks?: boolean;
  /** The environment declares a performance step: run it after the checks. */
  readonly performance?: boolean;
}

export function planDeployment(input: PlanInput): PlanStep[] {
  const steps: PlanStep[] = [{ kind: 'preflight' }];
  if (input.approval) steps.push({ kind: 'approval' });
  if (input.migrate) steps.push({ kind: 'migrate' });
  const smoke = (): PlanStep[] => (input.smoke ? [{ kind: 'smoke' }] : []);
  const tail: PlanStep[] = [
    ...(input.checks ? [{ kind: 'checks' as const }] : []),
    ...(input.performance ? [{ kind: 'performance' as const }] : []),
    ...(input.watchMs > 0 ? [{ kind: 'watch' as const, durationMs: input.watchMs }] : []),
    { kind: 'finalize' },
  ];

  if (!input.hasStable) {
    // A first deployment has no traffic to move: start, check, serve, watch.
    steps.push(
      { kind: 'start', count: input.instances },
      ...smoke(),
      { kind: 'shift', weight: 100 },
      ...smoke(),
      ...tail,
    );
    return steps;
  }
  const s = input.strategy;
  if (s.kind === 'blue-green') {
    steps.push(
      { kind: 'start', count: input.instances },
      ...smoke(),
      { kind: 'shift', weight: 100 },
      ...smoke(),
      ...tail,
    );
  } else if (s.kind === 'canary') {
    steps.push({ kind: 'start', count: input.instances }, ...smoke());
    for (const step of s.steps) {
      if (step.weight !== undefined) steps.push({ kind: 'shift', weight: step.weight }, ...smoke());
      if (step.flagPercent !== undefined && s.flag !== undefined)
        steps.push({ kind: 'flag', key: s.flag, percent: step.flagPercent });
      if (step.analysisMs !== undefined) steps.push({ kind: 'analysis', durationMs: step.analysisMs });
      if (step.pause !== undefined) steps.push({ kind: 'pause', durationMs: step.pause });
    }
    steps.push(...tail);
  } else {
    steps.push(
      ...rollingBatches(input.instances, s.maxSurge, s.maxUnavailable).flatMap((b) => [b, ...smoke()]),
      ...tail,
    );
  }
  return steps;
}

/**
 * Rolling batches: each replaces `maxSurge + maxUnavailable` instances, so the total never
 * exceeds instances + maxSurge and never falls below instances − maxUnavailable.
 */
export function rollingBatches(instances: number, maxSurge: number, maxUnavailable: number): PlanStep[] {
  const batch = Math.max(1, maxSurge + maxUnavailable);
  const out: PlanStep[] = [];
  for (let replaced = 0; replaced < instances; ) {
    replaced = Math.min(instances, replaced + batch);
    const oldCount = instances - replaced;
    out.push({
      kind: 'scale',
      newCount: replaced,
      oldCount,
      weight: Math.round((100 * replaced) / (replaced + oldCount)),
    });
  }
  return out;
}

/** The new release's weight once `upTo` (exclusive) steps have run. */
export function weightBefore(plan: readonly PlanStep[], upTo: number): number {
  let weight = 0;
  for (const step of plan.slice(0, upTo)) {
    if (step.kind === 'shift' || step.kind === 'scale') weight = step.weight;
  }
  return weight;
}
