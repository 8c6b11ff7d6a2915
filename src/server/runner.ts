/**
 * The engine inside the server: deployments started through the API, and every deployment that
 * was in flight when the server started, are driven by executors in this process. Actions (pause,
 * resume, abort, rollback, approve, reject) are engine events written through `Executor.transition`,
 * exactly as the CLI does, so an executor in another process sees them on its next turn.
 */
import type { AgentClient } from '../agent/client.ts';
import type { SlipwayConfig } from '../config/schema.ts';
import { AppError } from '../domain/errors.ts';
import { type Deployment, isTerminal, type Release } from '../domain/types.ts';
import { startDeployment } from '../engine/deploy.ts';
import { Executor } from '../engine/executor.ts';
import type { EngineEvent } from '../engine/machine.ts';
import { systemClock } from '../engine/ports.ts';
import { requirePremise } from '../engine/premise.ts';
import { rollbackEnvironment } from '../engine/rollback.ts';
import { decide } from '../gates/decisions.ts';
import type { Store } from '../store/contract.ts';
import { grantUsers } from './auth/grant-users.ts';

export type DeploymentAction = 'pause' | 'resume' | 'abort' | 'rollback' | 'approve' | 'reject';

export interface RunnerDeps {
  readonly store: Store;
  /** The project's config: deploys need it; without one the server is read-only for deploys. */
  readonly config: SlipwayConfig | null;
  readonly dataDir: string;
  /** Connects the data plane and builds the executor on first need (the agent may start later). */
  readonly engine: () => { agent: AgentClient; executor: Executor };
  readonly now?: () => number;
  /** Where executor failures are reported (the server log). */
  readonly log?: (line: string) => void;
  /**
   * After an action, drive the deployment here unless another process already does (as
   * `slipway resume` does); default true. Tests of actions alone turn it off.
   */
  readonly driveOnAction?: boolean;
}

/**
 * An executor for engine events alone: `transition` touches only the store, so pause, resume or
 * abort work while the data plane is unreachable; effects are the driving executor's.
 */
export function transitionsOnly(store: Store): Executor {
  const unavailable = () => {
    throw new AppError('AGENT_UNAVAILABLE', 'this executor only records engine events');
  };
  return new Executor({
    store,
    dataPlane: { putEnv: unavailable, setWeights: unavailable, desired: unavailable, deleteEnv: unavailable },
    guard: { intervalMs: () => 1000, check: unavailable },
    smoke: { run: unavailable },
    clock: systemClock,
  });
}

export class DeploymentRunner {
  readonly #deps: RunnerDeps;
  readonly #running = new Map<string, Promise<void>>();
  readonly #stop = new AbortController();
  #engine: { agent: AgentClient; executor: Executor } | undefined;
  readonly #transitions: Executor;

  constructor(deps: RunnerDeps) {
    this.#deps = deps;
    this.#transitions = transitionsOnly(deps.store);
  }

  #now(): number {
    return this.#deps.now?.() ?? Date.now();
  }

  #connect(): { agent: AgentClient; executor: Executor } {
    this.#engine ??= this.#deps.engine();
    return this.#engine;
  }

  /** The data plane's client, for reading what it serves. */
  agent(): AgentClient {
    return this.#connect().agent;
  }

  /** Ids of deployments this process drives right now. */
  get driving(): readonly string[] {
    return [...this.#running.keys()];
  }

  /** Start a deployment of `releaseRef` to `env` and drive it here. */
  async deploy(env: string, releaseRef: string, user: string): Promise<Deployment> {
    const { store } = this.#deps;
    const config = this.#requireEnv(env);
    const release = await store.findRelease(config.app, releaseRef);
    if (!release)
      throw new AppError(
        'RELEASE_NOT_FOUND',
        `no release "${releaseRef}" of ${config.app}; list them with \`slipway releases\``,
      );
    const { agent, executor } = this.#connect();
    const deployment = await startDeployment({
      store,
      agent,
      executor,
      config,
      env,
      release,
      user,
      dataDir: this.#deps.dataDir,
      now: this.#now(),
    });
    this.drive(deployment.id);
    return deployment;
  }

  /** Drive a deployment until it finishes or the server stops; a second call is a no-op. */
  drive(id: string): void {
    if (this.#running.has(id) || this.#stop.signal.aborted) return;
    const run = (async () => {
      try {
        await this.#connect().executor.run(id, this.#stop.signal);
      } catch (error) {
        this.#deps.log?.(`deployment ${id}: ${(error as Error).message}`);
      } finally {
        this.#running.delete(id);
      }
    })();
    this.#running.set(id, run);
  }

  /** Pick up every deployment that was running or paused when the last control plane stopped. */
  async resumeInFlight(): Promise<readonly string[]> {
    const ids: string[] = [];
    for (const status of ['running', 'paused'] as const) {
      for (const d of await this.#deps.store.listDeployments({ status, limit: 1000 })) ids.push(d.id);
    }
    for (const id of ids) this.drive(id);
    return ids;
  }

  /** Apply a person's action to a deployment; returns the deployment after it. */
  async act(id: string, action: DeploymentAction, user: string, reason?: string): Promise<Deployment> {
    const { store } = this.#deps;
    const d = await store.getDeployment(id);
    if (!d)
      throw new AppError('DEPLOYMENT_NOT_FOUND', `no deployment ${id}; list them with \`slipway history\``);
    if (isTerminal(d.status))
      throw new AppError(
        'DEPLOYMENT_FINISHED',
        `deployment ${id} already ended (${d.status}); ${action === 'rollback' ? 'deploy the previous release to go back' : 'start a new deployment'}`,
      );
    const at = this.#now();
    if (action === 'approve' || action === 'reject') {
      // Through the gates, so four-eyes and the approval role apply; the users are the store's
      // grants (see grant-users.ts), the same the engine's approval gate counts. decide() audits.
      const config = this.#requireEnv(d.env);
      await decide({
        store,
        config: {
          ...config,
          users: Object.fromEntries(
            Object.entries(await grantUsers(store, config)(d.env)).map(([u, r]) => [u, [...r]]),
          ),
        },
        user,
        id,
        decision: action,
        reason: reason ?? null,
      });
    }
    // Actions that move traffic first ask the agent what it serves (src/engine/premise.ts).
    if (
      (action === 'resume' || action === 'abort' || action === 'rollback') &&
      this.#deps.driveOnAction !== false
    )
      await requirePremise(store, this.#connect().agent, d, action === 'rollback' ? 'roll back' : action);
    const event = this.#eventFor(action, at, user, reason);
    if (event) await this.#transitions.transition(id, event);
    if (action !== 'approve' && action !== 'reject')
      await store.appendAudit({
        actor: user,
        action: `deployment.${action}`,
        target: id,
        data: { env: d.env, ...(reason !== undefined && { reason }) },
      });
    if (action !== 'pause' && this.#deps.driveOnAction !== false) this.drive(id);
    return (await store.getDeployment(id)) as Deployment;
  }

  #eventFor(action: DeploymentAction, at: number, by: string, reason?: string): EngineEvent | null {
    switch (action) {
      case 'pause':
        return { type: 'pause', at, by };
      case 'resume':
        return { type: 'resume', at, by };
      case 'abort':
        return { type: 'abort', at, by, reason: reason ?? `aborted by ${by}` };
      case 'rollback':
        return { type: 'rollback', at, by, reason: reason ?? `rolled back by ${by}` };
      case 'reject':
        return { type: 'abort', at, by, reason: `rejected by ${by}${reason ? `: ${reason}` : ''}` };
      case 'approve':
        // decide() put it on the time line; the approval step itself is the gates' to evaluate.
        return null;
    }
  }

  /**
   * Roll an environment back: the deployment in flight, if any; else a switch to the previous
   * (or named) release while it is warm, a redeploy of it (driven here) when not.
   */
  async rollbackEnvironment(
    env: string,
    user: string,
    options: { to?: string; reason?: string } = {},
  ): Promise<
    | { kind: 'in-flight'; deployment: Deployment }
    | { kind: 'switch'; release: string; switchMs: number }
    | { kind: 'redeploy'; release: string; deployment: Deployment }
  > {
    const { store } = this.#deps;
    const config = this.#requireEnv(env);
    const reason = options.reason ?? `rolled back by ${user}`;
    const recent = await store.listDeployments({ app: config.app, env, limit: 20 });
    const inFlight = recent.find((d) => !isTerminal(d.status));
    if (inFlight) {
      if (options.to !== undefined)
        throw new AppError(
          'LOCK_HELD',
          `${env} has deployment ${inFlight.id} in flight; roll it back first, without a release`,
        );
      return { kind: 'in-flight', deployment: await this.act(inFlight.id, 'rollback', user, reason) };
    }
    let to: Release | undefined;
    if (options.to !== undefined) {
      to = await store.findRelease(config.app, options.to);
      if (!to) throw new AppError('RELEASE_NOT_FOUND', `no release "${options.to}" of ${config.app}`);
    }
    const { agent, executor } = this.#connect();
    const result = await rollbackEnvironment({
      store,
      agent,
      executor,
      config,
      env,
      ...(to && { to }),
      reason,
      user,
      dataDir: this.#deps.dataDir,
    });
    if (result.kind === 'switch')
      return { kind: 'switch', release: result.release.version, switchMs: result.switchMs };
    this.drive(result.deployment.id);
    return { kind: 'redeploy', release: result.release.version, deployment: result.deployment };
  }

  #requireEnv(env: string): SlipwayConfig {
    const { config } = this.#deps;
    if (!config)
      throw new AppError(
        'USAGE',
        'this server was started without a slipway.yaml; start it in the project folder',
      );
    if (!config.environments[env])
      throw new AppError(
        'ENV_NOT_FOUND',
        `no environment "${env}" in slipway.yaml (environments: ${Object.keys(config.environments).join(', ')})`,
      );
    return config;
  }

  /** Stop driving (deployments stay in flight for the next server) and wait for the executors. */
  async close(): Promise<void> {
    this.#stop.abort();
    await Promise.allSettled(this.#running.values());
  }
}
