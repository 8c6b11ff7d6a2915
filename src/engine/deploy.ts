/**
 * Starting a deployment: take the environment's lock, plan it, store it — in that order, so two
 * deployments to one environment can never both start. Used by the CLI and the API.
 */
import { randomBytes } from 'node:crypto';
import type { AgentClient } from '../agent/client.ts';
import type { SlipwayConfig } from '../config/schema.ts';
import type { Deployment, Release } from '../domain/types.ts';
import type { Store } from '../store/contract.ts';
import { deploymentContext } from './compose.ts';
import type { DeploymentContext } from './context.ts';
import type { Executor, StoredState } from './executor.ts';
import { initialState } from './machine.ts';
import { planDeployment } from './plan.ts';
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
  /** Adjust the context (tests: shorter windows). */
  readonly tune?: (ctx: DeploymentContext) => DeploymentContext;
  /** A redeploy for a rollback: this strategy, no watch window. */
  readonly strategy?: EngineStrategy;
  readonly watchMs?: number;
}

export async function startDeployment(input: StartInput): Promise<Deployment> {
  const { store, config, env } = input;
  const id = `dep-${randomBytes(6).toString('hex')}`;
  await input.executor.lock({ id, app: config.app, env });
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
  });
  const ctx = input.tune ? input.tune(base) : base;
  const envConfig = config.environments[env];
  const strategy = engineStrategy(envConfig ?? { strategy: 'rolling' }, ctx.run.instances);
  const plan = planDeployment({
    strategy,
    instances: ctx.run.instances,
    smoke: ctx.smoke.length > 0,
    watchMs: envConfig?.watch ?? 0,
    hasStable: ctx.stable !== null,
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
    data: { env, release: input.release.version, digest: input.release.digest, strategy: strategy.kind },
  });
  return deployment;
}
