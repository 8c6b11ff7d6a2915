/**
 * The control plane's composition root for deployments: from a loaded config, a store and the
 * running agent, build the Executor and the context of a new deployment. Commands (CLI or API)
 * call this; nothing else wires the engine.
 */
import { join, resolve } from 'node:path';
import { type AgentClient, connectLocalAgent } from '../agent/client.ts';
import { createBuiltinProvider } from '../analysis/metrics/builtin/provider.ts';
import { createRuntimeProvider } from '../analysis/metrics/runtime/provider.ts';
import { rulesFromRollbackIf } from '../analysis/rollback-if.ts';
import type { EnvironmentConfig, SlipwayConfig } from '../config/schema.ts';
import { lazyProjectSecrets, prepareEnvironment } from '../config/values/project.ts';
import type { Release } from '../domain/types.ts';
import { createGates, type GatesDeps } from '../gates/engine-gates.ts';
import { artifactPath } from '../releases/artifacts.ts';
import { freePort } from '../runtime/process/ports.ts';
import type { SecretStore } from '../secrets/contract.ts';
import type { Store } from '../store/contract.ts';
import { configPreflight } from './config-preflight.ts';
import { DEFAULT_PREVIEW_HEADER, type DeploymentContext, type ReleaseRun } from './context.ts';
import { Executor, type StoredState } from './executor.ts';
import { createGuard } from './guard.ts';
import { envMetricSources, rollbackIfOf } from './metric-sources.ts';
import type { Clock, Preflight } from './ports.ts';
import { systemClock } from './ports.ts';
import { StoreSecrets } from './secrets.ts';
import { createSmokeChecker } from './smoke.ts';
import { engineStrategy } from './strategy.ts';

export const AGENT_DIR = 'agent';

/** The running agent of this project, from the file it writes when it starts. */
export function connectAgent(dataDir: string): AgentClient {
  const stateDir = join(dataDir, AGENT_DIR);
  // Its address is read again on every call: an agent that restarted (new port, new token) is
  // found again by a deployment that was waiting for it.
  const now = () => connectLocalAgent(stateDir);
  return {
    putEnv: (env, body) => now().putEnv(env, body),
    setWeights: (env, weights) => now().setWeights(env, weights),
    status: (env) => now().status(env),
    desired: (env) => now().desired(env),
    statusAll: () => now().statusAll(),
    deleteEnv: (env) => now().deleteEnv(env),
    logs: (env, release, lines) => now().logs(env, release, lines),
    metrics: (env, release, windowMs) => now().metrics(env, release, windowMs),
    followLogs: (env, release, options) => now().followLogs(env, release, options),
  };
}

export interface EngineDeps {
  readonly store: Store;
  readonly agent: AgentClient;
  readonly config: SlipwayConfig;
  readonly clock?: Clock;
  /** Guard interval override (tests and demos use short ones). */
  readonly intervalMs?: number;
  /** How long a deployment may go unwatched and still be resumed (default 10 min; tests use seconds). */
  readonly resumeWithinMs?: number;
  /** How long a deployment retries an agent it cannot reach (default 30 s). */
  readonly agentRetryMs?: number;
  /** The folder of slipway.yaml (default: the working folder) and its `.slipway/`. */
  readonly projectDir?: string;
  readonly dataDir?: string;
  /** Default: the store named in slipway.yaml `secrets:`, opened on first use. */
  readonly secrets?: SecretStore;
  readonly processEnv?: Readonly<Record<string, string | undefined>>;
  /** Who holds which roles on an environment, when not slipway.yaml `users:` (the server's grants). */
  readonly users?: GatesDeps['users'];
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
  // Per environment: its metrics source (slipway.yaml `metrics:`) and business-metric endpoint.
  const sources = new Map(
    Object.entries(config.environments).map(([name, env]) => [name, envMetricSources(env)]),
  );
  const guard = createGuard({
    providers,
    providersFor: (ctx) => ({ ...providers, ...sources.get(ctx.env)?.providers }),
    defaultProviderFor: (ctx) => sources.get(ctx.env)?.defaultProvider ?? 'builtin',
    rulesFor: (ctx, profile) => rulesFromRollbackIf(rollbackIfOf(config.environments[ctx.env]), profile),
    ...(deps.intervalMs !== undefined && { intervalMs: deps.intervalMs }),
  });
  const projectDir = resolve(deps.projectDir ?? process.cwd());
  const dataDir = deps.dataDir ?? join(projectDir, '.slipway');
  const secrets = deps.secrets ?? lazyProjectSecrets(config, projectDir, deps.processEnv);
  const port = new StoreSecrets(secrets, async (env) => {
    const prepared = await prepareEnvironment({
      config,
      env,
      projectDir,
      dataDir,
      store: secrets,
      ...(deps.processEnv && { processEnv: deps.processEnv }),
    });
    return prepared.vars;
  });
  const preflight: Preflight = {
    check: (ctx) =>
      configPreflight(
        {
          config,
          projectDir,
          dataDir,
          secrets,
          port,
          ...(deps.processEnv && { processEnv: deps.processEnv }),
        },
        ctx,
      ),
  };
  return new Executor({
    store: deps.store,
    dataPlane: agent,
    guard,
    smoke: createSmokeChecker(),
    preflight,
    secrets: port,
    gates: createGates({
      store: deps.store,
      config,
      clock: deps.clock ?? systemClock,
      ...(deps.users && { users: deps.users }),
    }),
    clock: deps.clock ?? systemClock,
    ...(deps.resumeWithinMs !== undefined && { resumeWithinMs: deps.resumeWithinMs }),
    ...(deps.agentRetryMs !== undefined && { agentRetryMs: deps.agentRetryMs }),
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
  readonly store: Store;
  readonly secrets: SecretStore;
  /** Default: the folder holding `dataDir`. */
  readonly projectDir?: string;
  readonly processEnv?: Readonly<Record<string, string | undefined>>;
  /**
   * A rollback to an earlier release: run it with the secret versions pinned by the deployment
   * that shipped it, not the latest ones.
   */
  readonly rollback?: boolean;
}

/** What the last succeeded deployment of `releaseId` to `env` ran with: plain vars and secret pins. */
async function shippedWith(store: Store, app: string, env: string, releaseId: string) {
  const shipped = (await store.listDeployments({ app, env, status: 'succeeded', limit: 200 })).find(
    (d) => d.releaseId === releaseId,
  );
  const ctx = (shipped?.state as { ctx?: DeploymentContext } | undefined)?.ctx;
  return ctx
    ? { vars: ctx.vars, secretPins: ctx.secretPins ?? {}, sensitiveKeys: ctx.sensitiveKeys ?? [] }
    : undefined;
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
  const shipped = input.rollback
    ? await shippedWith(input.store, config.app, envName, input.release.id)
    : undefined;
  // The latest values, or for a rollback the versions the release shipped with; only the pins are
  // kept, the values are read again right before each apply.
  const prepared = await prepareEnvironment({
    config,
    env: envName,
    projectDir: input.projectDir ?? resolve(input.dataDir, '..'),
    dataDir: input.dataDir,
    store: input.secrets,
    ...(input.processEnv && { processEnv: input.processEnv }),
    ...(shipped && { pins: shipped.secretPins }),
  });
  const plain = prepared.resolution.keys.filter((k) => !k.secret && k.value !== undefined);
  const vars = Object.fromEntries(plain.filter((k) => !k.sensitive).map((k) => [k.key, k.value as string]));
  const sensitiveKeys = plain.filter((k) => k.sensitive).map((k) => k.key);
  const stableShipped = input.stable
    ? await shippedWith(input.store, config.app, envName, input.stable.id)
    : undefined;
  return {
    app: config.app,
    env: envName,
    release: run(input.release, input.dataDir),
    stable: input.stable ? { ...run(input.stable, input.dataDir), ...(stableShipped ?? {}) } : null,
    secretPins: prepared.secretPins,
    sensitiveKeys,
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
    inconclusive: env.inconclusive ?? 'wait',
  };
}

export type { StoredState };
