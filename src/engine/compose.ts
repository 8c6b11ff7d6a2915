/**
 * The control plane's composition root for deployments: from a loaded config, a store and the
 * running agent, build the Executor and the context of a new deployment. Commands (CLI or API)
 * call this; nothing else wires the engine.
 */
import { join } from 'node:path';
import { type AgentClient, connectLocalAgent } from '../agent/client.ts';
import { createBuiltinProvider } from '../analysis/metrics/builtin/provider.ts';
import { createRuntimeProvider } from '../analysis/metrics/runtime/provider.ts';
import { rulesFromRollbackIf } from '../analysis/rollback-if.ts';
import type { EnvironmentConfig, SlipwayConfig } from '../config/schema.ts';
import { checkResolved } from '../config/values/check.ts';
import { resolveConfig } from '../config/values/resolve.ts';
import type { Release } from '../domain/types.ts';
import { artifactPath } from '../releases/artifacts.ts';
import { freePort } from '../runtime/process/ports.ts';
import type { Store } from '../store/contract.ts';
import { DEFAULT_PREVIEW_HEADER, type DeploymentContext, type ReleaseRun } from './context.ts';
import { Executor, type StoredState } from './executor.ts';
import { createGuard } from './guard.ts';
import type { Clock, Preflight } from './ports.ts';
import { systemClock } from './ports.ts';
import { createSmokeChecker } from './smoke.ts';
import { engineStrategy } from './strategy.ts';

export const AGENT_DIR = 'agent';

/** The running agent of this project, from the file it writes when it starts. */
export function connectAgent(dataDir: string): AgentClient {
  return connectLocalAgent(join(dataDir, AGENT_DIR));
}

function rollbackIfOf(env: EnvironmentConfig | undefined) {
  const r = env?.rollbackIf;
  if (!r) return {};
  return {
    ...(r.errorRate && { errorRate: { above: r.errorRate.above, withinMs: r.errorRate.within } }),
    ...(r.latency && { latency: { p95AboveBaseline: r.latency.p95AboveBaseline, forMs: r.latency.for } }),
    ...(r.unhealthyInstances && { unhealthyInstances: { above: r.unhealthyInstances.above } }),
  };
}

export interface EngineDeps {
  readonly store: Store;
  readonly agent: AgentClient;
  readonly config: SlipwayConfig;
  readonly clock?: Clock;
  /** Guard interval override (tests and demos use short ones). */
  readonly intervalMs?: number;
}

export function createExecutor(deps: EngineDeps): Executor {
  const { agent, config } = deps;
  const providers = {
    builtin: createBuiltinProvider({
      router: { name: 'builtin', metrics: (env, release, windowMs) => agent.metrics(env, release, windowMs) },
    }),
    runtime: createRuntimeProvider({
      runtime: {
        name: 'process',
        list: async (env) => (env ? (await agent.status(env)).releases.flatMap((r) => r.instances) : []),
      },
    }),
  };
  const guard = createGuard({
    providers,
    rulesFor: (ctx, profile) => rulesFromRollbackIf(rollbackIfOf(config.environments[ctx.env]), profile),
    ...(deps.intervalMs !== undefined && { intervalMs: deps.intervalMs }),
  });
  const preflight: Preflight = {
    async check(ctx) {
      const env = config.environments[ctx.env];
      if (!env) return [`environment ${ctx.env} is no longer in slipway.yaml`];
      return checkResolved(resolution(config, ctx.env)).map((i) => i.message);
    },
  };
  return new Executor({
    store: deps.store,
    dataPlane: agent,
    guard,
    smoke: createSmokeChecker(),
    preflight,
    clock: deps.clock ?? systemClock,
  });
}

function resolution(config: SlipwayConfig, envName: string) {
  const env = config.environments[envName];
  return resolveConfig({
    env: envName,
    ...(config.config && { shared: config.config }),
    ...(env && { environment: { ...(env.config ?? {}), ...(env.secrets && { secrets: env.secrets }) } }),
    processEnv: process.env,
  });
}

const run = (release: Release, dataDir: string): ReleaseRun => ({
  id: release.id,
  version: release.version,
  digest: release.digest,
  cwd: artifactPath(dataDir, release.digest),
});

export interface NewDeploymentInput {
  readonly config: SlipwayConfig;
  readonly env: string;
  readonly release: Release;
  readonly stable: Release | null;
  readonly dataDir: string;
  readonly agent: AgentClient;
}

/** The fixed context of a new deployment: what runs, where it listens, how it is checked. */
export async function deploymentContext(input: NewDeploymentInput): Promise<DeploymentContext> {
  const { config, env: envName } = input;
  const env = config.environments[envName] as EnvironmentConfig;
  const instances = env.instances ?? config.run.instances;
  const desired = await input.agent.desired(envName);
  const port = desired?.listen.port ?? env.router?.port ?? (await freePort());
  const strategy = engineStrategy(env, instances);
  const sticky = typeof env.strategy === 'object' && env.strategy.canary?.stickiness;
  const vars = Object.fromEntries(
    resolution(config, envName)
      .keys.filter((k) => !k.secret && k.value !== undefined)
      .map((k) => [k.key, k.value as string]),
  );
  return {
    app: config.app,
    env: envName,
    release: run(input.release, input.dataDir),
    stable: input.stable ? run(input.stable, input.dataDir) : null,
    run: {
      command: config.run.command,
      instances,
      health: {
        path: config.run.health.path,
        intervalMs: config.run.health.interval,
        timeoutMs: config.run.health.timeout,
      },
      startTimeoutMs: config.run.health.startTimeout,
      stopTimeoutMs: config.run.stopTimeout,
    },
    vars,
    listen: { host: '127.0.0.1', port },
    ...(sticky && {
      stickiness: { kind: sticky.split(':')[0] as 'header' | 'cookie', name: sticky.split(':')[1] as string },
    }),
    previewHeader: DEFAULT_PREVIEW_HEADER,
    warmForMs: strategy.kind === 'blue-green' ? strategy.warmForMs : 0,
    smoke: env.smoke ?? [],
    profile: env.profile ?? 'default',
    inconclusive: 'wait',
  };
}

export type { StoredState };
