/**
 * A measured revert drill ("rehearse switching back"): on an environment before the last of the
 * lifecycle (staging, say), traffic really goes to the previous release, still warm, and then back
 * to the release it runs; both switches are timed and audited as a drill. Nothing else changes:
 * the environment keeps its release, its previous one stays warm until it was due to stop, and no
 * deployment is recorded, so history and acceptance stay as they were. The environment's lock is
 * held meanwhile, so no deployment starts halfway through.
 */
import { randomBytes } from 'node:crypto';
import { lifecycleOrder } from '../config/lifecycle.ts';
import { AppError } from '../domain/errors.ts';
import { isTerminal } from '../domain/types.ts';
import { requireEnvPremise } from '../engine/premise.ts';
import { REVERT_DRILL_ACTION, type RevertDrill } from '../engine/revert-times.ts';
import type { App } from './compose.ts';
import { activeDeployment } from './deployments.ts';

/** The environments a drill may run on: all but the last of the lifecycle (where visitors are). */
export function drillable(order: readonly string[], env: string): boolean {
  return order.length > 1 && order.at(-1) !== env && order.includes(env);
}

export async function rehearseRevert(app: App, env: string, user: string): Promise<RevertDrill> {
  const config = app.requireEnv(env);
  const order = lifecycleOrder(config);
  if (!drillable(order, env))
    throw new AppError(
      'USAGE',
      `a rehearsal of switching back runs on an environment before ${order.at(-1)} (${order.slice(0, -1).join(', ') || 'none'}), never on ${env}, where it would send real visitors back`,
    );
  const active = await activeDeployment(app.store, config.app, env);
  if (active && !isTerminal(active.status))
    throw new AppError(
      'LOCK_HELD',
      `${env} is being updated right now (deployment ${active.id}); rehearse switching back once it is done`,
    );
  const state = (await app.store.listEnvironments(config.app)).find((s) => s.name === env);
  const [current, previous] = await Promise.all([
    state?.releaseId ? app.store.findRelease(config.app, state.releaseId) : undefined,
    state?.previousReleaseId ? app.store.findRelease(config.app, state.previousReleaseId) : undefined,
  ]);
  if (!current || !previous)
    throw new AppError(
      'RELEASE_NOT_FOUND',
      `${env} has no earlier version to switch back to yet; a rehearsal needs two versions deployed there`,
    );
  const agent = app.agent();
  await requireEnvPremise(app.store, agent, config.app, env, 'rehearse switching back on');
  const before = await agent.desired(env);
  if (!before?.releases.some((r) => r.release === previous.id))
    throw new AppError(
      'ROLLBACK_NOT_WARM',
      `the previous version (${previous.version}) no longer runs on ${env}, so there is nothing to switch back to; it is kept ready for a while after each deployment (the blue-green strategy's warmFor) — deploy to ${env} again, then rehearse`,
    );
  const executor = app.executor();
  const id = `drill-${randomBytes(6).toString('hex')}`;
  await executor.lock({ id, app: config.app, env });
  let ms: number;
  let backMs: number;
  try {
    const weights = Object.fromEntries(before.releases.map((r) => [r.release, r.weight]));
    let t0 = performance.now();
    await agent.setWeights(env, { [previous.id]: 100, [current.id]: 0 });
    ms = performance.now() - t0;
    t0 = performance.now();
    try {
      await agent.setWeights(env, weights);
    } finally {
      backMs = performance.now() - t0;
      // The desired state as it was, so the previous release still stops when it was due to.
      const { env: _env, ...rest } = before;
      await agent.putEnv(env, rest);
    }
  } finally {
    await executor.unlock({ id, app: config.app, env });
  }
  const entry = await app.store.appendAudit({
    actor: user,
    action: REVERT_DRILL_ACTION,
    target: `${config.app}/${env}`,
    data: {
      kind: 'switch',
      ms,
      backMs,
      version: current.version,
      previousVersion: previous.version,
      drill: id,
    },
  });
  return {
    env,
    ms,
    backMs,
    at: entry.at,
    by: user,
    version: current.version,
    previousVersion: previous.version,
  };
}
