/**
 * The one composition root of the control plane. The CLI's local mode and the server both build
 * an App here from `{config, projectDir, dataDir, store, secrets, agent}` and call its functions:
 * deploy, promote, act, rollbackEnvironment and the read views. The engine, the gates and the
 * secret store are wired here and nowhere else.
 */

import type { AgentClient } from '../agent/client.ts';
import type { SlipwayConfig } from '../config/schema.ts';
import { suggestion } from '../config/suggest.ts';
import type { IdentitySource } from '../domain/auth.ts';
import { AppError } from '../domain/errors.ts';
import { Executor } from '../engine/executor.ts';
import { type Clock, systemClock } from '../engine/ports.ts';
import type { Acceptance } from '../gates/acceptance.ts';
import type { GatesDeps } from '../gates/engine-gates.ts';
import type { SecretStore } from '../secrets/contract.ts';
import type { Store } from '../store/contract.ts';
import { acceptRelease } from './acceptance.ts';
import { type ActRequest, type ActResult, act } from './actions.ts';
import { type DeployOptions, deploy, promote, type Started } from './deployments.ts';
import { createExecutor } from './engine.ts';
import { type RollbackOptions, type RollbackOutcome, rollbackEnvironment } from './rollback.ts';
import { EnvValues } from './values.ts';
import { createViews, type Views } from './views.ts';

export interface AppDeps {
  /** The project's slipway.yaml; null for a server started without one (read-only for deploys). */
  readonly config: SlipwayConfig | null;
  /** The folder of slipway.yaml: `.env.<env>` files and relative paths resolve from here. */
  readonly projectDir: string;
  /** Its `.slipway/` folder: stored values, release artifacts, the agent's files. */
  readonly dataDir: string;
  readonly store: Store;
  readonly secrets: SecretStore;
  /** The data plane; a function connects on first need, after a command's own checks. */
  readonly agent: AgentClient | (() => AgentClient);
  readonly clock?: Clock;
  /** Where failures of deployments driven in the background are reported. */
  readonly log?: (line: string) => void;
  /** Who holds which roles on an environment, when not slipway.yaml `users:` (the server's grants). */
  readonly users?: GatesDeps['users'];
  /** Guard interval override (tests and demos use short ones). */
  readonly intervalMs?: number;
  /** How long a deployment may go unwatched and still be resumed (default 10 min). */
  readonly resumeWithinMs?: number;
  /** How long a deployment retries an agent it cannot reach (default 30 s). */
  readonly agentRetryMs?: number;
  /**
   * Ask the agent what it serves before resume, abort and rollback act (default true); tests of
   * the actions alone, with no data plane, turn it off.
   */
  readonly checkPremise?: boolean;
  readonly processEnv?: Readonly<Record<string, string | undefined>>;
}

export interface App {
  readonly deps: AppDeps;
  readonly store: Store;
  readonly config: SlipwayConfig | null;
  readonly clock: Clock;
  readonly values: EnvValues | undefined;
  /** slipway.yaml, or USAGE when the server runs without one. */
  requireConfig(): SlipwayConfig;
  /** The environment's config, or ENV_NOT_FOUND naming the ones there are. */
  requireEnv(env: string): SlipwayConfig;
  agent(): AgentClient;
  /** The executor that drives deployments (connects the agent on first use). */
  executor(): Executor;
  /** An executor for engine events alone: pause, resume, abort work while the agent is away. */
  readonly transitions: Executor;
  deploy(env: string, releaseRef: string, user: string, options?: DeployOptions): Promise<Started>;
  promote(from: string, to: string, user: string, options?: DeployOptions): Promise<Started>;
  /** `via`: how `user` was established (src/app/identity.ts); recorded with decisions. */
  act(id: string, request: ActRequest, user: string, via?: IdentitySource): Promise<ActResult>;
  rollbackEnvironment(env: string, user: string, options?: RollbackOptions): Promise<RollbackOutcome>;
  /** Accept or reject a release on an environment that asks for acceptance. */
  accept(
    env: string,
    releaseRef: string,
    user: string,
    decision: 'accept' | 'reject',
    reason?: string,
  ): Promise<Acceptance>;
  readonly views: Views;
}

export function createApp(deps: AppDeps): App {
  const clock = deps.clock ?? systemClock;
  let agent: AgentClient | undefined;
  let executor: Executor | undefined;
  const values = deps.config
    ? new EnvValues({
        config: deps.config,
        projectDir: deps.projectDir,
        dataDir: deps.dataDir,
        secrets: deps.secrets,
        ...(deps.processEnv && { processEnv: deps.processEnv }),
      })
    : undefined;
  const app: App = {
    deps,
    store: deps.store,
    config: deps.config,
    clock,
    values,
    requireConfig() {
      if (!deps.config)
        throw new AppError(
          'USAGE',
          'no slipway.yaml was given: deployments need the project config (start the server with -f path/to/slipway.yaml)',
        );
      return deps.config;
    },
    requireEnv(env) {
      const config = app.requireConfig();
      requireEnvIn(config, env);
      return config;
    },
    agent() {
      agent ??= typeof deps.agent === 'function' ? deps.agent() : deps.agent;
      return agent;
    },
    executor() {
      executor ??= createExecutor({
        store: deps.store,
        agent: app.agent(),
        config: app.requireConfig(),
        clock,
        projectDir: deps.projectDir,
        dataDir: deps.dataDir,
        secrets: deps.secrets,
        values: values as EnvValues,
        ...(deps.users && { users: deps.users }),
        ...(deps.intervalMs !== undefined && { intervalMs: deps.intervalMs }),
        ...(deps.resumeWithinMs !== undefined && { resumeWithinMs: deps.resumeWithinMs }),
        ...(deps.agentRetryMs !== undefined && { agentRetryMs: deps.agentRetryMs }),
        ...(deps.processEnv && { processEnv: deps.processEnv }),
      });
      return executor;
    },
    transitions: transitionsOnly(deps.store, clock),
    deploy: (env, ref, user, options) => deploy(app, env, ref, user, options),
    promote: (from, to, user, options) => promote(app, from, to, user, options),
    act: (id, request, user, via) => act(app, id, request, user, via),
    rollbackEnvironment: (env, user, options) => rollbackEnvironment(app, env, user, options),
    accept: (env, ref, user, decision, reason) => acceptRelease(app, env, ref, user, decision, reason),
    views: createViews(deps.store),
  };
  return app;
}

export function requireEnvIn(config: SlipwayConfig, env: string): void {
  const names = Object.keys(config.environments);
  if (!names.includes(env)) {
    throw new AppError(
      'ENV_NOT_FOUND',
      `no environment "${env}" in slipway.yaml${suggestion(env, names)} (environments: ${names.join(', ')})`,
    );
  }
}

/**
 * An executor for engine events alone: `transition` touches only the store, so pause, resume or
 * abort work while the data plane is unreachable; effects are the driving executor's.
 */
export function transitionsOnly(store: Store, clock: Clock = systemClock): Executor {
  const unavailable = () => {
    throw new AppError('AGENT_UNAVAILABLE', 'this executor only records engine events');
  };
  return new Executor({
    store,
    dataPlane: { putEnv: unavailable, setWeights: unavailable, desired: unavailable, deleteEnv: unavailable },
    guard: { intervalMs: () => 1000, check: unavailable },
    smoke: { run: unavailable },
    clock,
  });
}
