/**
 * Starting a deployment: take the environment's lock, plan it, store it — in that order, so two
 * deployments to one environment can never both start. Used by the CLI and the API.
 */
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import type { AgentClient } from '../agent/client.ts';
import type { SlipwayConfig } from '../config/schema.ts';
import { lazyProjectSecrets } from '../config/values/project.ts';
import type { Deployment, Release } from '../domain/types.ts';
import { enforcePromotion } from '../gates/decisions.ts';
import type { SecretStore } from '../secrets/contract.ts';
import type { Store } from '../store/contract.ts';
import { deploymentContext } from './compose.ts';
import type { DeploymentContext } from './context.ts';
import { Executor, lockName, type StoredState } from './executor.ts';
import { initialState } from './machine.ts';
import { planDeployment } from './plan.ts';
import { refuseIfInFlight } from './reconcile.ts';
import { type EngineStrategy, engineStrategy } from './strategy.ts';

export interface StartInput {
  readonly store: Store;
  readonly agent: AgentClient;
  readonly executor: Executor;
  readonly config: SlipwayConfig;
  readonly env: string;
  readonly release: Release;
  readonly user: string;
  readonly dataDir: string;
  readonly now: number;
  /** The folder of slipway.yaml; default: the folder holding `dataDir`. */
  readonly projectDir?: string;
  /** Default: the store named in slipway.yaml `secrets:`. */
  readonly secrets?: SecretStore;
  readonly processEnv?: Readonly<Record<string, string | undefined>>;
  /** Run the release with the secret versions of the deployment that shipped it (a rollback). */
  readonly rollback?: boolean;
  /** Adjust the context (tests: shorter windows). */
  readonly tune?: (ctx: DeploymentContext) => DeploymentContext;
  /** A redeploy for a rollback: this strategy, no watch window. */
  readonly strategy?: EngineStrategy;
  readonly watchMs?: number;
  /** Deploy although the lifecycle rule refuses: an admin, with a reason (audited). */
  readonly override?: { readonly reason: string };
}

export async function startDeployment(input: StartInput): Promise<Deployment> {
  const id = `dep-${randomBytes(6).toString('hex')}`;
  // The lifecycle rule is checked before the lock: a refused release never holds up the environment.
  // A rollback redeploys a release that already ran here; the rule is about new releases.
  const promotion = input.rollback
    ? { rollback: true }
    : await enforcePromotion({ ...input, ...(input.override && { override: input.override }) });
  await input.executor.lock({ id, app: input.config.app, env: input.env });
  try {
    // The lock belongs to the deployment in flight, not to its process: one whose process died
    // (the lock was free) still owns the environment until it is resumed, aborted or rolled back.
    await refuseIfInFlight(input.store, input.config.app, input.env);
    return await create(id, input, promotion);
  } catch (error) {
    // Nothing was started: free the environment at once instead of when the lock expires.
    await input.store.releaseLock(lockName(input.config.app, input.env), Executor.owner(id));
    throw error;
  }
}

async function create(id: string, input: StartInput, promotion: unknown): Promise<Deployment> {
  const { store, config, env } = input;
  const projectDir = input.projectDir ?? resolve(input.dataDir, '..');
  const current = (await store.listEnvironments(config.app)).find((e) => e.name === env);
  const stable = current?.releaseId
    ? ((await store.findRelease(config.app, current.releaseId)) ?? null)
    : null;
  const base = await deploymentContext({
    config,
    env,
    release: input.release,
    stable: stable?.id === input.release.id ? null : stable,
    dataDir: input.dataDir,
    agent: input.agent,
    store,
    secrets: input.secrets ?? lazyProjectSecrets(config, projectDir, input.processEnv),
    projectDir,
    ...(input.processEnv && { processEnv: input.processEnv }),
    ...(input.rollback && { rollback: true }),
  });
  const ctx = input.tune ? input.tune(base) : base;
  const envConfig = config.environments[env];
  const strategy = input.strategy ?? engineStrategy(envConfig ?? { strategy: 'rolling' }, ctx.run.instances);
  const plan = planDeployment({
    strategy,
    instances: ctx.run.instances,
    smoke: ctx.smoke.length > 0,
    watchMs: input.watchMs ?? envConfig?.watch ?? 0,
    hasStable: ctx.stable !== null,
    // A rollback does not wait for a go/no-go: it is the way back.
    approval: envConfig?.approval !== undefined && !input.rollback,
  });
  const state: StoredState = { engine: initialState(plan, input.now), ctx };
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
      ...(input.rollback && { rollback: true }),
      promotion,
    },
  });
  return deployment;
}
