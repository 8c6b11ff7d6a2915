/**
 * Starting deployments: `deploy` (a release to an environment) and `promote` (what succeeded in
 * one environment to the next). Unknown environments and releases are reported before anything
 * touches the agent; the lifecycle rule is checked before the environment's lock is taken.
 */
import { lifecycleOrder } from '../config/lifecycle.ts';
import type { SlipwayConfig } from '../config/schema.ts';
import { suggestion } from '../config/suggest.ts';
import type { IdentitySource } from '../domain/auth.ts';
import { AppError } from '../domain/errors.ts';
import type { Deployment, Release } from '../domain/types.ts';
import type { DeploymentContext } from '../engine/context.ts';
import { startDeployment } from '../engine/deploy.ts';
import { inFlight } from '../engine/reconcile.ts';
import type { RollbackMark } from '../engine/stored-state.ts';
import type { EngineStrategy } from '../engine/strategy.ts';
import { enforcePromotion } from '../gates/decisions.ts';
import type { Store } from '../store/contract.ts';
import { gateConfig } from './actions.ts';
import type { App } from './compose.ts';
import { deploymentContext } from './engine.ts';
import { auditSkipped, gatesOf } from './gates.ts';
import { requireTrustedActor } from './identity.ts';

export interface DeployOptions {
  /** Deploy although the lifecycle rule refuses: an admin, with a reason (audited). */
  readonly override?: { readonly reason: string };
  /** How the deploying user was established (identity.ts); recorded, and checked on a server's store. */
  readonly via?: IdentitySource;
  /** Adjust the context (tests: shorter windows). */
  readonly tune?: (ctx: DeploymentContext) => DeploymentContext;
}

export interface Started {
  readonly deployment: Deployment;
  readonly release: Release;
}

export async function requireRelease(store: Store, app: string, ref: string): Promise<Release> {
  const release = await store.findRelease(app, ref);
  if (release) return release;
  const known = (await store.listReleases(app, 20)).map((r) => r.version);
  throw new AppError(
    'RELEASE_NOT_FOUND',
    `no release "${ref}" of ${app}${suggestion(ref, known)}; registered: ${known.join(', ') || 'none'} (register one with \`slipway release create --version V PATH\`)`,
  );
}

/** A local identity may not override on a server's store, nor deploy there as SLIPWAY_USER. */
function trustedDeployer(app: App, env: string, user: string, options: DeployOptions): Promise<void> {
  return requireTrustedActor(app.store, options.via, {
    decision: options.override !== undefined,
    text: `${options.override ? 'a promotion override' : 'a deployment'} to ${env} by ${user} (${options.via})`,
  });
}

/** The deployment of `env` still in flight (running, paused, waiting or interrupted), if any. */
export const activeDeployment = inFlight;

export async function deploy(
  app: App,
  env: string,
  releaseRef: string,
  user: string,
  options: DeployOptions = {},
): Promise<Started> {
  const config = app.requireEnv(env);
  await trustedDeployer(app, env, user, options);
  const release = await requireRelease(app.store, config.app, releaseRef);
  return start(app, config, env, release, user, options);
}

export async function promote(
  app: App,
  from: string,
  to: string,
  user: string,
  options: DeployOptions = {},
): Promise<Started> {
  const config = app.requireEnv(from);
  app.requireEnv(to);
  await trustedDeployer(app, to, user, options);
  const after = config.environments[to]?.after;
  if (after !== from && !options.override) {
    throw new AppError(
      'PROMOTION_REFUSED',
      `${to} comes after ${after ?? 'nothing (it starts the lifecycle)'}, not ${from} (lifecycle: ${lifecycleOrder(config).join(' → ')}); ${after ? `promote from ${after}` : `deploy to ${to} with \`slipway deploy RELEASE --env ${to}\``}`,
    );
  }
  const state = (await app.store.listEnvironments(config.app)).find((s) => s.name === from);
  const release = state?.releaseId ? await app.store.findRelease(config.app, state.releaseId) : undefined;
  if (!release)
    throw new AppError(
      'PROMOTION_REFUSED',
      `${from} runs no release yet; deploy one there first (\`slipway deploy RELEASE --env ${from}\`)`,
    );
  return start(app, config, to, release, user, options);
}

async function start(
  app: App,
  config: SlipwayConfig,
  env: string,
  release: Release,
  user: string,
  options: DeployOptions,
): Promise<Started> {
  // The lifecycle rule before the lock: a refused release never holds up the environment.
  const promotion = await enforcePromotion({
    store: app.store,
    // Who may override: the server's grants where it has users, as for the other gate decisions.
    config: options.override ? await gateConfig(app, env) : config,
    env,
    release,
    user,
    ...(options.override && { override: options.override }),
    ...(options.via && { via: options.via }),
  });
  const deployment = await create(app, config, env, release, user, { promotion, ...options });
  return { deployment, release };
}

/** A deployment through the engine: lock, context (values resolved afresh), plan, record. */
export async function create(
  app: App,
  config: SlipwayConfig,
  env: string,
  release: Release,
  user: string,
  options: DeployOptions & {
    promotion: unknown;
    rollback?: RollbackMark;
    strategy?: EngineStrategy;
    watchMs?: number;
  },
): Promise<Deployment> {
  const agent = app.agent();
  const executor = app.executor();
  app.values?.fresh(env);
  const deployment = await startDeployment({
    store: app.store,
    executor,
    config,
    env,
    release,
    user,
    now: app.clock.now(),
    promotion: options.promotion,
    context: (stable) =>
      deploymentContext({
        config,
        env,
        release,
        stable,
        dataDir: app.deps.dataDir,
        agent,
        store: app.store,
        values: app.values as NonNullable<App['values']>,
        ...(options.rollback && { rollback: true }),
      }),
    ...(options.tune && { tune: options.tune }),
    ...(options.rollback && { rollback: options.rollback }),
    ...(options.strategy && { strategy: options.strategy }),
    ...(options.watchMs !== undefined && { watchMs: options.watchMs }),
  });
  if (options.rollback)
    await auditSkipped(app.store, deployment, gatesOf(config, env), options.rollback.reason);
  return deployment;
}
