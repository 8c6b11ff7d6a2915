/**
 * Starting a deployment: take the environment's lock, plan it, store it — in that order, so two
 * deployments to one environment can never both start. Called by the app layer (src/app/), which
 * checks the lifecycle rule first and builds the deployment's context.
 */

import { randomBytes } from 'node:crypto';
import type { SlipwayConfig } from '../config/schema.ts';
import type { Deployment, Release } from '../domain/types.ts';
import { enqueueDeployment } from '../notify/outbox.ts';
import type { Store } from '../store/contract.ts';
import type { DeploymentContext } from './context.ts';
import { Executor, lockName, type StoredState } from './executor.ts';
import { initialState } from './machine.ts';
import { planDeployment } from './plan.ts';
import { refuseIfInFlight } from './reconcile.ts';
import type { RollbackMark } from './stored-state.ts';
import { type EngineStrategy, engineStrategy } from './strategy.ts';

export interface StartInput {
  readonly store: Store;
  readonly executor: Executor;
  readonly config: SlipwayConfig;
  readonly env: string;
  readonly release: Release;
  readonly user: string;
  readonly now: number;
  /** The fixed context of the deployment, given the release it replaces (built by the app). */
  readonly context: (stable: Release | null) => Promise<DeploymentContext>;
  /** The lifecycle rule's verdict, checked by the caller before the lock (kept in the audit entry). */
  readonly promotion: unknown;
  /** A rollback: why and by whom; it has no approval step (a rollback never waits). */
  readonly rollback?: RollbackMark;
  /** Adjust the context (tests: shorter windows). */
  readonly tune?: (ctx: DeploymentContext) => DeploymentContext;
  /** A redeploy for a rollback: this strategy, no watch window. */
  readonly strategy?: EngineStrategy;
  readonly watchMs?: number;
}

export async function startDeployment(input: StartInput): Promise<Deployment> {
  const id = `dep-${randomBytes(6).toString('hex')}`;
  await input.executor.lock({ id, app: input.config.app, env: input.env });
  try {
    // The lock belongs to the deployment in flight, not to its process: one whose process died
    // (the lock was free) still owns the environment until it is resumed, aborted or rolled back.
    await refuseIfInFlight(input.store, input.config.app, input.env);
    return await create(id, input, input.promotion);
  } catch (error) {
    // Nothing was started: free the environment at once instead of when the lock expires.
    await input.store.releaseLock(lockName(input.config.app, input.env), Executor.owner(id));
    throw error;
  }
}

async function create(id: string, input: StartInput, promotion: unknown): Promise<Deployment> {
  const { store, config, env } = input;
  const current = (await store.listEnvironments(config.app)).find((e) => e.name === env);
  const stable = current?.releaseId
    ? ((await store.findRelease(config.app, current.releaseId)) ?? null)
    : null;
  const base = await input.context(stable?.id === input.release.id ? null : stable);
  const ctx = input.tune ? input.tune(base) : base;
  const envConfig = config.environments[env];
  const strategy = input.strategy ?? engineStrategy(envConfig ?? { strategy: 'rolling' }, ctx.run.instances);
  const plan = planDeployment({
    strategy,
    instances: ctx.run.instances,
    smoke: ctx.smoke.length > 0,
    checks: (ctx.checks?.length ?? 0) > 0,
    // A rollback goes back to what ran before: its speed is no reason to stay on the new release.
    performance: ctx.performance !== undefined && !input.rollback,
    watchMs: input.watchMs ?? envConfig?.watch ?? 0,
    hasStable: ctx.stable !== null,
    // A rollback does not wait for a go/no-go: it is the way back.
    approval: envConfig?.approval !== undefined && !input.rollback,
    // A rollback goes back to code that ran on the schema as it is: nothing to migrate.
    migrate: config.migrations !== undefined && !input.rollback,
  });
  const state: StoredState = {
    engine: initialState(plan, input.now),
    ctx,
    ...(input.rollback && { rollback: input.rollback }),
  };
  const deployment = await store.createDeployment({
    id,
    app: config.app,
    env,
    releaseId: input.release.id,
    fromReleaseId: ctx.stable?.id ?? null,
    strategy: strategy.kind,
    createdBy: input.user,
    state,
    status: 'running',
  });
  await store.appendAudit({
    actor: input.user,
    action: 'deployment.start',
    target: id,
    data: {
      env,
      release: input.release.version,
      digest: input.release.digest,
      strategy: strategy.kind,
      // Versions only, never values: what a rollback to this release will restore.
      secretVersions: ctx.secretPins ?? {},
      ...(input.rollback && { rollback: true, reason: input.rollback.reason }),
      promotion,
    },
  });
  // Queued only; a queue that fails here is caught up by the dispatcher's sweep.
  await enqueueDeployment(store, config.notifications, deployment).catch(() => 0);
  return deployment;
}
