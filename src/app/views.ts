/**
 * Read views of deployments, shared by the CLI and the API: one deployment with its steps (from
 * the engine's stored state: name, status, started, ended, weight), and history rows that say
 * which deployments are rollbacks and why.
 */
import type { Deployment } from '../domain/types.ts';
import { describeStep } from '../engine/machine.ts';
import { type StoredState, storedStateOrUndefined } from '../engine/stored-state.ts';
import type { Store } from '../store/contract.ts';

export type StepStatusView = 'pending' | 'running' | 'succeeded' | 'failed' | 'skipped';

export interface StepView {
  readonly index: number;
  readonly kind: string;
  readonly name: string;
  readonly status: StepStatusView;
  readonly startedAt: string | null;
  readonly endedAt: string | null;
  /** The new release's traffic weight once this step is done. */
  readonly weight: number;
}

const iso = (at: number | undefined) => (at === undefined ? null : new Date(at).toISOString());

/** The steps of a deployment as its engine state tells them; [] for a state this version cannot read. */
export function stepsOf(state: StoredState | undefined): StepView[] {
  if (!state) return [];
  const { engine } = state;
  // The time line says when each step began ("began: …") and ended ("done: …"), in plan order.
  const began: number[] = [];
  const done: number[] = [];
  for (const entry of engine.timeline) {
    if (entry.what.startsWith('began: ')) began.push(entry.at);
    else if (entry.what.startsWith('done: ')) done.push(entry.at);
  }
  const ended = engine.status !== 'running' && engine.status !== 'paused';
  let weight = 0;
  return engine.plan.map((step, index) => {
    if (step.kind === 'shift' || step.kind === 'scale') weight = step.weight;
    const status: StepStatusView =
      index < engine.step
        ? 'succeeded'
        : index === engine.step && engine.status === 'succeeded'
          ? 'succeeded'
          : index === engine.step && began[index] !== undefined
            ? ended
              ? 'failed'
              : 'running'
            : ended
              ? 'skipped'
              : 'pending';
    return {
      index,
      kind: step.kind,
      name: describeStep(step),
      status,
      startedAt: iso(began[index]),
      endedAt: iso(done[index]),
      weight,
    };
  });
}

export interface HistoryRow {
  readonly deployment: Deployment;
  /** Set when the deployment is a rollback: how and why. */
  readonly rollback: { readonly kind: string; readonly reason: string; readonly by: string } | null;
}

/** Whether a deployment is a rollback: started as one, or rolled back by a person while in flight. */
export function rollbackOf(d: Deployment): HistoryRow['rollback'] {
  const state = storedStateOrUndefined(d);
  if (state?.rollback) return state.rollback;
  const outcome = state?.engine.outcome;
  if (d.status === 'rolled_back' && outcome)
    return { kind: outcome.by ? 'manual' : 'automatic', reason: outcome.reason, by: outcome.by ?? 'slipway' };
  return null;
}

export interface Views {
  deployment(id: string): Promise<Deployment | undefined>;
  steps(d: Deployment): StepView[];
  history(filter: Parameters<Store['listDeployments']>[0]): Promise<HistoryRow[]>;
}

export function createViews(store: Store): Views {
  return {
    deployment: (id) => store.getDeployment(id),
    steps: (d) => stepsOf(storedStateOrUndefined(d)),
    async history(filter) {
      const list = await store.listDeployments(filter);
      return list.map((deployment) => ({ deployment, rollback: rollbackOf(deployment) }));
    },
  };
}
