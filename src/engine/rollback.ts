/**
 * Rolling an environment back to its previous release (or a named one) when no deployment is in
 * flight: a traffic switch while the previous instances are still warm (measured, and recorded),
 * a quick blue-green redeploy of that release otherwise. The CLI and the API call this.
 */

import type { SlipwayConfig } from '../config/schema.ts';
import type { DataPlaneClient as AgentClient } from '../domain/data-plane.ts';
import { AppError } from '../domain/errors.ts';
import type { Deployment, Release } from '../domain/types.ts';
import type { SecretStore } from '../secrets/contract.ts';
import type { Store } from '../store/contract.ts';
import { startDeployment } from './deploy.ts';
import type { Executor } from './executor.ts';

export interface RollbackInput {
  readonly store: Store;
  readonly agent: AgentClient;
  readonly executor: Executor;
  readonly config: SlipwayConfig;
  readonly env: string;
  /** The release to go back to; default the environment's previous one. */
  readonly to?: Release;
  readonly reason: string;
  readonly user: string;
  readonly dataDir: string;
  /** The folder of slipway.yaml; default: the folder holding `dataDir`. */
  readonly projectDir?: string;
  /** Default: the store named in slipway.yaml `secrets:`. */
  readonly secrets?: SecretStore;
}

/** The audit action of a rollback by traffic switch; its data carries the measured `switchMs`. */
export const ROLLBACK_SWITCH_ACTION = 'environment.rollback';

export type RollbackResult =
  | { readonly kind: 'switch'; readonly release: Release; readonly switchMs: number }
  /** The previous release was no longer warm: a deployment of it started (drive it to finish). */
  | { readonly kind: 'redeploy'; readonly release: Release; readonly deployment: Deployment };

/** The release `rollbackEnvironment` would go back to. */
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

export async function rollbackEnvironment(input: RollbackInput): Promise<RollbackResult> {
  const { store, agent, config, env, user } = input;
  const app = config.app;
  const { target, currentId } = await rollbackTarget(store, app, env, input.to);
  const desired = await agent.desired(env);
  const warm = desired?.releases.find((r) => r.release === target.id);
  if (warm && currentId) {
    const t0 = performance.now();
    await agent.setWeights(env, { [target.id]: 100, [currentId]: 0 });
    const switchMs = performance.now() - t0;
    // The release rolled away from stops now; the next deploy starts clean.
    const { env: _env, ...rest } = desired as NonNullable<typeof desired>;
    await agent.putEnv(env, { ...rest, releases: [{ ...warm, weight: 100, retireAt: undefined }] });
    await store.setEnvironmentRelease(app, env, target.id, user);
    await store.appendAudit({
      actor: user,
      action: ROLLBACK_SWITCH_ACTION,
      target: `${app}/${env}`,
      data: { to: target.version, from: currentId, switchMs, reason: input.reason },
    });
    await store.appendEvent({
      deploymentId: null,
      app,
      env,
      type: 'rollback',
      at: new Date().toISOString(),
      data: { what: `rolled back to ${target.version} by a traffic switch`, switchMs },
    });
    return { kind: 'switch', release: target, switchMs };
  }
  const deployment = await startDeployment({
    store,
    agent,
    executor: input.executor,
    config,
    env,
    release: target,
    user,
    dataDir: input.dataDir,
    ...(input.projectDir && { projectDir: input.projectDir }),
    ...(input.secrets && { secrets: input.secrets }),
    // The secret versions the deployment that shipped it ran with, not the latest.
    rollback: true,
    now: Date.now(),
    strategy: { kind: 'blue-green', warmForMs: 0 },
    watchMs: 0,
  });
  return { kind: 'redeploy', release: target, deployment };
}
