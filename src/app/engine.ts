/**
 * The engine as the app composes it: the Executor (guard, smoke, preflight, secrets, gates) and
 * the context of a new deployment. Only src/app/ calls this (compose.ts); nothing else wires the
 * engine.
 */

import { join } from 'node:path';
import { connectLocalAgent } from '../agent/client.ts';
import { createBuiltinProvider } from '../analysis/metrics/builtin/provider.ts';
import { createRuntimeProvider } from '../analysis/metrics/runtime/provider.ts';
import { rulesFromRollbackIf } from '../analysis/rollback-if.ts';
import type { EnvironmentConfig, SlipwayConfig } from '../config/schema.ts';
import type { DataPlaneClient as AgentClient } from '../domain/data-plane.ts';
import { AppError } from '../domain/errors.ts';
import type { Release } from '../domain/types.ts';
import { CHECK_DEFAULT_TIMEOUT_MS, createCheckRunner } from '../engine/checks.ts';
import { configPreflight } from '../engine/config-preflight.ts';
import { DEFAULT_PREVIEW_HEADER, type DeploymentContext, type ReleaseRun } from '../engine/context.ts';
import { Executor } from '../engine/executor.ts';
import { createGuard, type FlagVariants } from '../engine/guard.ts';
import { envMetricSources, rollbackIfOf } from '../engine/metric-sources.ts';
import { createPerformanceRunner, performanceOf } from '../engine/performance.ts';
import type { Clock, DeploymentReporter, Preflight } from '../engine/ports.ts';
import { systemClock } from '../engine/ports.ts';
import { StoreSecrets } from '../engine/secrets.ts';
import { createSmokeChecker } from '../engine/smoke.ts';
import { storedStateOrUndefined } from '../engine/stored-state.ts';
import { engineStrategy } from '../engine/strategy.ts';
import { offVariant, rolloutVariant } from '../flags/rollout.ts';
import { createGates, type GatesDeps } from '../gates/engine-gates.ts';
import { announced } from '../notify/migration-run.ts';
import { enqueueDeployment, enqueueWaitingApproval } from '../notify/outbox.ts';
import { artifactPath } from '../releases/artifacts.ts';
import { readImageRecord } from '../releases/image-release.ts';
import { freePort } from '../runtime/process/ports.ts';
import type { SecretStore } from '../secrets/contract.ts';
import type { Store } from '../store/contract.ts';
import { checkDriverInstalled } from '../traffic/installed.ts';
import { rollbackAwareGates } from './gates.ts';
import { githubReporterOf } from './github-reporter.ts';
import { createMigrator } from './migrations.ts';
import type { EnvValues } from './values.ts';

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
  /** The folder of slipway.yaml and its `.slipway/`. */
  readonly projectDir: string;
  readonly dataDir: string;
  readonly secrets: SecretStore;
  /** The environment's values, resolved once per deployment. */
  readonly values: EnvValues;
  /** How long a deployment retries an agent it cannot reach (default 30 s). */
  readonly agentRetryMs?: number;
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
    variantsFor: (ctx) => flagVariantsOf(deps.store, config, ctx.app, ctx.env),
    ...(deps.intervalMs !== undefined && { intervalMs: deps.intervalMs }),
  });
  const { projectDir, dataDir, secrets, values } = deps;
  const port = new StoreSecrets(secrets, async (env) => (await values.prepare(env)).vars);
  const preflight: Preflight = {
    check: (ctx) =>
      configPreflight(
        {
          config,
          projectDir,
          dataDir,
          secrets,
          port,
          prepare: (env, pins) => values.prepare(env, pins),
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
    checks: createCheckRunner({ cwd: projectDir }),
    performance: createPerformanceRunner({ records: deps.store.performance }),
    ...withReporter(githubReporterOf(config, deps.store, deps.processEnv ?? process.env)),
    preflight,
    ...(config.migrations && {
      migrations: announced(
        createMigrator({
          config,
          projectDir,
          store: deps.store,
          vars: async (env) => (await values.prepare(env)).vars,
        }),
        deps.store,
        config,
      ),
    }),
    secrets: port,
    gates: rollbackAwareGates(
      createGates({
        store: deps.store,
        config,
        clock: deps.clock ?? systemClock,
        ...(deps.users && { users: deps.users }),
      }),
      config,
    ),
    clock: deps.clock ?? systemClock,
    ...(deps.resumeWithinMs !== undefined && { resumeWithinMs: deps.resumeWithinMs }),
    ...(deps.agentRetryMs !== undefined && { agentRetryMs: deps.agentRetryMs }),
    ...(config.notifications?.length && {
      notify: async (id: string, event?: 'deployment.waiting_approval') => {
        const d = await deps.store.getDeployment(id);
        if (!d) return;
        if (event)
          await enqueueWaitingApproval(
            deps.store,
            config.notifications,
            d,
            config.environments[d.env]?.approval,
            config.dashboard,
          );
        else await enqueueDeployment(deps.store, config.notifications, d);
      },
    }),
  });
}

export const run = (release: Release, dataDir: string): ReleaseRun => {
  const cwd = artifactPath(dataDir, release.digest);
  const image = readImageRecord(cwd)?.image;
  return { id: release.id, version: release.version, digest: release.digest, cwd, ...(image && { image }) };
};

/** An image release runs only where slipway.yaml says run.image, and a release of files only where it does not. */
function checkRuntimeFits(config: SlipwayConfig, env: string, release: ReleaseRun): void {
  if (config.run.image !== undefined && release.image === undefined)
    throw new AppError(
      'USAGE',
      `release ${release.version} is a release of files, but slipway.yaml's run.image says ${config.app} runs as containers of ${config.run.image}; register an image with \`slipway release create --image ${config.run.image}:TAG\``,
    );
  if (config.run.image === undefined && release.image !== undefined)
    throw new AppError(
      'USAGE',
      `release ${release.version} is the image ${release.image}, but slipway.yaml has no run.image; set run.image: ${release.image.split('@')[0]} to run ${config.app} as containers in ${env}`,
    );
}

export interface NewDeploymentInput {
  readonly config: SlipwayConfig;
  readonly env: string;
  readonly release: Release;
  readonly stable: Release | null;
  readonly dataDir: string;
  readonly agent: AgentClient;
  readonly store: Store;
  readonly values: EnvValues;
  /**
   * A rollback to an earlier release: run it with the secret versions pinned by the deployment
   * that shipped it, not the latest ones.
   */
  readonly rollback?: boolean;
}

/** The context of the last succeeded deployment of `releaseId` to `env`: what it shipped with. */
export async function shippedContext(
  store: Store,
  app: string,
  env: string,
  releaseId: string,
): Promise<DeploymentContext | undefined> {
  const shipped = (await store.listDeployments({ app, env, status: 'succeeded', limit: 200 })).find(
    (d) => d.releaseId === releaseId,
  );
  return shipped && storedStateOrUndefined(shipped)?.ctx;
}

/** What the last succeeded deployment of `releaseId` to `env` ran with: plain vars and secret pins. */
async function shippedWith(store: Store, app: string, env: string, releaseId: string) {
  const ctx = await shippedContext(store, app, env, releaseId);
  return ctx
    ? { vars: ctx.vars, secretPins: ctx.secretPins ?? {}, sensitiveKeys: ctx.sensitiveKeys ?? [] }
    : undefined;
}

/** The fixed context of a new deployment: what runs, where it listens, how it is checked. */
export async function deploymentContext(input: NewDeploymentInput): Promise<DeploymentContext> {
  const { config, env: envName } = input;
  const env = config.environments[envName] as EnvironmentConfig;
  const onHosts = env.hosts !== undefined;
  if (onHosts && config.run.image !== undefined)
    throw new AppError(
      'USAGE',
      `environment ${envName} runs on hosts, and run.image with hosts is not built yet: hosts run releases of files (remove run.image, or run ${envName} on this machine)`,
    );
  // With hosts, router.driver is the load balancer in front (on this machine); the hosts' own
  // agents route with builtin, whose per-release metrics the analysis reads.
  const driver = onHosts ? 'builtin' : (env.router?.driver ?? 'builtin');
  // The agent (or the hosts' load balancer) runs on this machine: a driver whose proxy is not installed is refused before anything starts.
  checkDriverInstalled(envName, env.router?.driver ?? 'builtin');
  const instances = env.instances ?? config.run.instances;
  const desired = await input.agent.desired(envName);
  const port = onHosts
    ? (env.router?.port as number)
    : (desired?.listen.port ?? env.router?.port ?? (await freePort()));
  const strategy = engineStrategy(env, instances);
  const sticky = typeof env.strategy === 'object' && env.strategy.canary?.stickiness;
  const shipped = input.rollback
    ? await shippedWith(input.store, config.app, envName, input.release.id)
    : undefined;
  // The latest values, or for a rollback the versions the release shipped with; only the pins are
  // kept, the values are read again right before each apply.
  const prepared = await input.values.prepare(envName, shipped?.secretPins);
  const plain = prepared.resolution.keys.filter((k) => !k.secret && k.value !== undefined);
  const vars = Object.fromEntries(plain.filter((k) => !k.sensitive).map((k) => [k.key, k.value as string]));
  const sensitiveKeys = plain.filter((k) => k.sensitive).map((k) => k.key);
  const stableShipped = input.stable
    ? await shippedWith(input.store, config.app, envName, input.stable.id)
    : undefined;
  const newRun = run(input.release, input.dataDir);
  checkRuntimeFits(config, envName, newRun);
  return {
    app: config.app,
    env: envName,
    release: newRun,
    stable: input.stable ? { ...run(input.stable, input.dataDir), ...(stableShipped ?? {}) } : null,
    secretPins: prepared.secretPins,
    sensitiveKeys,
    run: {
      command: config.run.command ?? '',
      instances,
      ...(config.run.limits && {
        limits: {
          ...(config.run.limits.memory !== undefined && { memoryBytes: config.run.limits.memory }),
          ...(config.run.limits.cpus !== undefined && { cpus: config.run.limits.cpus }),
        },
      }),
      health: {
        path: config.run.health.path,
        intervalMs: config.run.health.interval,
        timeoutMs: config.run.health.timeout,
        ...(config.run.health.expect !== undefined && { expect: config.run.health.expect }),
      },
      ...(config.run.cwd !== undefined && { cwd: config.run.cwd }),
      startTimeoutMs: config.run.health.startTimeout,
      stopTimeoutMs: config.run.stopTimeout,
    },
    vars,
    listen: { host: '127.0.0.1', port },
    driver,
    ...(sticky && {
      stickiness: { kind: sticky.split(':')[0] as 'header' | 'cookie', name: sticky.split(':')[1] as string },
    }),
    previewHeader:
      (typeof env.strategy === 'object' && env.strategy['blue-green']?.previewHeader) ||
      DEFAULT_PREVIEW_HEADER,
    warmForMs: strategy.kind === 'blue-green' ? strategy.warmForMs : 0,
    smoke: (env.smoke ?? []).map(({ delay, ...check }) => ({
      ...check,
      ...(delay !== undefined && { delayMs: delay }),
    })),
    ...(env.checks?.length && {
      checks: env.checks.map((check) => ({
        name: check.name,
        run: check.run,
        timeoutMs: check.timeout ?? CHECK_DEFAULT_TIMEOUT_MS,
      })),
    }),
    ...(env.performance && { performance: performanceOf(env.performance, env.url) }),
    profile: env.profile ?? 'default',
    inconclusive: env.inconclusive ?? 'wait',
    ...(env.rollbackIf?.action === 'flag-off' &&
      env.rollbackIf.flag !== undefined && { flagOff: { flag: env.rollbackIf.flag } }),
    // Variants judged apart: a worse variant's rollback turns the flag off first.
    ...(env.rollbackIf?.action !== 'flag-off' &&
      variantAnalysis(env) !== undefined && { flagOff: { flag: variantAnalysis(env) as string } }),
  };
}

/** The canary's flag when slipway.yaml asks for its variants to be judged apart (`flagAnalysis: variants`). */
function variantAnalysis(env: EnvironmentConfig): string | undefined {
  const canary = typeof env.strategy === 'object' ? env.strategy.canary : undefined;
  return canary?.flagAnalysis === 'variants' ? canary.flag : undefined;
}

/**
 * The variants the guard judges apart for a deployment: the stored flag's rolled-out variant and the
 * one the others get. Undefined when not asked for, or the flag is gone or has a single variant.
 */
async function flagVariantsOf(
  store: Store,
  config: SlipwayConfig,
  app: string,
  env: string,
): Promise<FlagVariants | undefined> {
  const envConfig = config.environments[env];
  const flag = envConfig && variantAnalysis(envConfig);
  if (!flag) return undefined;
  const stored = await store.flags.getFlag(app, env, flag);
  if (!stored?.definition) return undefined;
  try {
    const on = rolloutVariant(stored.definition);
    return { flag, on, off: offVariant(stored.definition, on) };
  } catch {
    return undefined; // one variant: nothing to compare
  }
}

const withReporter = (reporter: DeploymentReporter | undefined) => (reporter ? { reporter } : {});
