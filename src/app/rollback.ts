/**
 * Rolling an environment back, the way out that never waits: the deployment in flight is rolled
 * back (traffic first); otherwise the previous (or named) release takes the traffic back by a
 * switch while it is still warm, else by a quick redeploy. Every rollback records its reason and
 * is a deployment marked as a rollback (history shows it); windows, freezes, checklists and
 * approvals are skipped and the skip audited. A switch takes the environment's lock and writes its
 * record before it changes traffic.
 */

import { randomBytes } from 'node:crypto';
import { AppError } from '../domain/errors.ts';
import { type Deployment, isTerminal, type Release } from '../domain/types.ts';
import { Executor, lockName, type StoredState } from '../engine/executor.ts';
import { initialState } from '../engine/machine.ts';
import type { PlanStep } from '../engine/plan.ts';
import { requireEnvPremise } from '../engine/premise.ts';
import { recordRevertTime } from '../engine/revert-times.ts';
import type { Store } from '../store/contract.ts';
import { act } from './actions.ts';
import type { App } from './compose.ts';
import { activeDeployment, create, requireRelease } from './deployments.ts';
import { deploymentContext, run, shippedContext } from './engine.ts';
import { auditSkipped, gatesOf } from './gates.ts';

/** The audit action of a rollback by traffic switch; its data carries the measured `switchMs`. */
export const ROLLBACK_SWITCH_ACTION = 'environment.rollback';

export interface RollbackOptions {
  /** The release to go back to; default the environment's previous one. */
  readonly to?: string;
  readonly reason?: string;
}

export type RollbackOutcome =
  | { readonly kind: 'in-flight'; readonly deployment: Deployment }
  | {
      readonly kind: 'switch';
      readonly release: Release;
      readonly switchMs: number;
      readonly deployment: Deployment;
    }
  /** The previous release was no longer warm: a deployment of it started (drive it to finish). */
  | { readonly kind: 'redeploy'; readonly release: Release; readonly deployment: Deployment };

/** The release a rollback of `env` goes back to. */
export async function rollbackTarget(
  store: Store,
  app: string,
  env: string,
  to?: Release,
): Promise<{ target: Release; currentId: string | null }> {
  const state = (await store.listEnvironments(app)).find((s) => s.name === env);
  const currentId = state?.releaseId ?? null;
  const ref = to?.id ?? state?.previousReleaseId;
  if (!ref)
    throw new AppError(
      'RELEASE_NOT_FOUND',
      `${env} has no previous release to roll back to; name one with --to`,
    );
  const target = to ?? (await store.findRelease(app, ref));
  if (!target)
    throw new AppError('RELEASE_NOT_FOUND', `the previous release ${ref} of ${app} is no longer registered`);
  if (target.id === currentId) throw new AppError('USAGE', `${env} already runs ${target.version}`);
  return { target, currentId };
}

export async function rollbackEnvironment(
  app: App,
  env: string,
  user: string,
  options: RollbackOptions = {},
): Promise<RollbackOutcome> {
  const config = app.requireEnv(env);
  const reason = options.reason?.trim() || `rolled back by ${user}`;
  const inFlight = await activeDeployment(app.store, config.app, env);
  if (inFlight && !isTerminal(inFlight.status)) {
    if (options.to !== undefined)
      throw new AppError(
        'LOCK_HELD',
        `${env} has deployment ${inFlight.id} in flight; roll it back first with \`slipway rollback ${env}\` (without --to)`,
      );
    const { deployment } = await act(app, inFlight.id, { action: 'rollback', reason }, user);
    return { kind: 'in-flight', deployment };
  }
  const to = options.to !== undefined ? await requireRelease(app.store, config.app, options.to) : undefined;
  const { target, currentId } = await rollbackTarget(app.store, config.app, env, to);
  // What the store names as running must be what the agent serves, or the switch acts on a wrong premise.
  if (app.deps.checkPremise !== false)
    await requireEnvPremise(app.store, app.agent(), config.app, env, 'roll back');
  const desired = await app.agent().desired(env);
  const warm = desired?.releases.some((r) => r.release === target.id);
  if (warm && currentId) return switchBack(app, env, target, currentId, user, reason);
  const deployment = await create(app, config, env, target, user, {
    // A rollback redeploys a release that already ran here; the lifecycle rule is about new ones.
    promotion: { rollback: true },
    rollback: { reason, by: user, kind: 'redeploy' },
    strategy: { kind: 'blue-green', warmForMs: 0 },
    watchMs: 0,
  });
  return { kind: 'redeploy', release: target, deployment };
}

const SWITCH_PLAN: readonly PlanStep[] = [{ kind: 'shift', weight: 100 }, { kind: 'finalize' }];

/** The warm previous release takes all traffic: lock, record, switch (measured), retire, finish. */
async function switchBack(
  app: App,
  env: string,
  target: Release,
  currentId: string,
  user: string,
  reason: string,
): Promise<RollbackOutcome> {
  const config = app.requireConfig();
  const { store } = app;
  const agent = app.agent();
  const executor = app.executor();
  const id = `dep-${randomBytes(6).toString('hex')}`;
  await executor.lock({ id, app: config.app, env });
  let record: Deployment;
  try {
    const current = await store.findRelease(config.app, currentId);
    // What the release shipped with (its config and secret versions) is what it runs again.
    const base =
      (await shippedContext(store, config.app, env, target.id)) ??
      (await deploymentContext({
        config,
        env,
        release: target,
        stable: current ?? null,
        dataDir: app.deps.dataDir,
        agent,
        store,
        values: app.values as NonNullable<App['values']>,
        rollback: true,
      }));
    const state: StoredState = {
      engine: initialState(SWITCH_PLAN, app.clock.now()),
      ctx: {
        ...base,
        release: { ...run(target, app.deps.dataDir), ...pick(base.release) },
        stable: current ? run(current, app.deps.dataDir) : null,
        warmForMs: 0,
      },
      rollback: { reason, by: user, kind: 'switch' },
    };
    record = await store.createDeployment({
      id,
      app: config.app,
      env,
      releaseId: target.id,
      fromReleaseId: currentId,
      strategy: 'switch',
      createdBy: user,
      state,
      status: 'running',
    });
  } catch (error) {
    await store.releaseLock(lockName(config.app, env), Executor.owner(id));
    throw error;
  }
  await store.appendAudit({
    actor: user,
    action: 'deployment.start',
    target: id,
    data: { env, release: target.version, digest: target.digest, strategy: 'switch', rollback: true, reason },
  });
  await auditSkipped(store, record, gatesOf(config, env), reason);
  await executor.transition(id, { type: 'step-began', at: app.clock.now() });
  let switchMs: number;
  try {
    const t0 = performance.now();
    await agent.setWeights(env, { [target.id]: 100, [currentId]: 0 });
    switchMs = performance.now() - t0;
  } catch (error) {
    // The switch did not happen: the record says so and the environment is free again.
    const at = app.clock.now();
    await executor.transition(id, {
      type: 'step-failed',
      at,
      outcome: { reason: `rollback switch failed: ${(error as Error).message}` },
    });
    await executor.transition(id, { type: 'rollback-done', at });
    throw error;
  }
  await executor.transition(id, {
    type: 'step-succeeded',
    at: app.clock.now(),
    note: `switched in ${switchMs.toFixed(1)} ms`,
  });
  await store.appendAudit({
    actor: user,
    action: ROLLBACK_SWITCH_ACTION,
    target: `${config.app}/${env}`,
    data: { to: target.version, from: currentId, switchMs, reason, deployment: id },
  });
  await recordRevertTime(store, {
    app: config.app,
    env,
    kind: 'switch',
    ms: switchMs,
    deployment: id,
    by: user,
  });
  await store.appendEvent({
    deploymentId: id,
    app: config.app,
    env,
    type: 'rollback',
    at: new Date(app.clock.now()).toISOString(),
    data: { what: `rolled back to ${target.version} by a traffic switch`, switchMs },
  });
  // The release rolled away from stops now; the next deploy starts clean.
  const now = await agent.desired(env);
  if (now) {
    const { env: _env, ...rest } = now;
    const keep = now.releases.filter((r) => r.release === target.id);
    await agent.putEnv(env, {
      ...rest,
      releases: keep.map((r) => ({ ...r, weight: 100, retireAt: undefined })),
    });
  }
  await executor.transition(id, { type: 'step-began', at: app.clock.now() });
  // The last step's success ends the deployment: the environment's release, the audit, the lock.
  await executor.transition(id, { type: 'step-succeeded', at: app.clock.now() });
  const deployment = (await store.getDeployment(id)) as Deployment;
  return { kind: 'switch', release: target, switchMs, deployment };
}

/** The shipped config of a release run (not its folder, which follows the data dir). */
function pick(r: StoredState['ctx']['release']) {
  return {
    ...(r.vars && { vars: r.vars }),
    ...(r.secretPins && { secretPins: r.secretPins }),
    ...(r.sensitiveKeys && { sensitiveKeys: r.sensitiveKeys }),
  };
}
