/**
 * The server's side of the app layer: it calls the same App functions as the CLI's local mode
 * (src/app/) and drives the deployments they start, and every deployment that was in flight when
 * the server started, in this process.
 */
import type { App } from '../app/compose.ts';
import type { DeployOptions, Started } from '../app/deployments.ts';
import type { RollbackOptions, RollbackOutcome } from '../app/rollback.ts';
import type { IdentitySource } from '../domain/auth.ts';
import type { DataPlaneClient as AgentClient } from '../domain/data-plane.ts';
import { AppError } from '../domain/errors.ts';
import { type Deployment, isTerminal } from '../domain/types.ts';

export type DeploymentAction = 'pause' | 'resume' | 'abort' | 'rollback' | 'approve' | 'reject';

export interface RunnerDeps {
  readonly app: App;
  /** Where executor failures are reported (the server log). */
  readonly log?: (line: string) => void;
  /**
   * After an action, drive the deployment here unless another process already does (as
   * `slipway resume` does); default true. Tests of actions alone turn it off.
   */
  readonly driveOnAction?: boolean;
}

export { transitionsOnly } from '../app/compose.ts';

export class DeploymentRunner {
  readonly #deps: RunnerDeps;
  readonly #running = new Map<string, Promise<void>>();
  readonly #stop = new AbortController();

  constructor(deps: RunnerDeps) {
    this.#deps = deps;
  }

  get app(): App {
    return this.#deps.app;
  }

  /** The data plane's client, for reading what it serves. */
  agent(): AgentClient {
    return this.#deps.app.agent();
  }

  /** Ids of deployments this process drives right now. */
  get driving(): readonly string[] {
    return [...this.#running.keys()];
  }

  /** Start a deployment of `releaseRef` to `env` and drive it here. */
  async deploy(env: string, releaseRef: string, user: string, via?: IdentitySource): Promise<Deployment> {
    const { deployment } = await this.#deps.app.deploy(env, releaseRef, user, { ...(via && { via }) });
    this.drive(deployment.id);
    return deployment;
  }

  /** Promote what `from` runs to `to` (the app's `promote`, lifecycle rule and gates) and drive it here. */
  async promote(from: string, to: string, user: string, options: DeployOptions): Promise<Started> {
    const started = await this.#deps.app.promote(from, to, user, options);
    this.drive(started.deployment.id);
    return started;
  }

  /** Drive a deployment until it finishes or the server stops; a second call is a no-op. */
  drive(id: string): void {
    if (this.#running.has(id) || this.#stop.signal.aborted) return;
    const run = (async () => {
      try {
        await this.#deps.app.executor().run(id, this.#stop.signal);
      } catch (error) {
        (this.#deps.log ?? this.#deps.app.deps.log)?.(`deployment ${id}: ${(error as Error).message}`);
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
      for (const d of await this.#deps.app.store.listDeployments({ status, limit: 1000 })) ids.push(d.id);
    }
    for (const id of ids) this.drive(id);
    return ids;
  }

  /** Apply a person's action to a deployment (the app's `act`); returns the deployment after it. */
  async act(
    id: string,
    action: DeploymentAction,
    user: string,
    reason?: string,
    via?: IdentitySource,
  ): Promise<Deployment> {
    if (action === 'reject' && !reason?.trim())
      throw new AppError('USAGE', `a rejection needs a reason: {"reason": "what is wrong"}`);
    const request =
      action === 'reject'
        ? { action, reason: reason as string }
        : action === 'pause' || action === 'resume'
          ? { action }
          : { action, ...(reason !== undefined && { reason }) };
    const { deployment } = await this.#deps.app.act(id, request, user, via);
    if (action !== 'pause' && !isTerminal(deployment.status) && this.#deps.driveOnAction !== false)
      this.drive(id);
    return deployment;
  }

  /** Roll an environment back (the app's `rollbackEnvironment`), driving what it starts. */
  async rollbackEnvironment(
    env: string,
    user: string,
    options: RollbackOptions = {},
  ): Promise<RollbackOutcome> {
    const result = await this.#deps.app.rollbackEnvironment(env, user, options);
    if (result.kind === 'redeploy' || (result.kind === 'in-flight' && this.#deps.driveOnAction !== false))
      this.drive(result.deployment.id);
    return result;
  }

  /** Stop driving (deployments stay in flight for the next server) and wait for the executors. */
  async close(): Promise<void> {
    this.#stop.abort();
    await Promise.allSettled(this.#running.values());
  }
}
