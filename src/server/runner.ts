/**
 * The server's side of the app layer: it calls the same App functions as the CLI's local mode
 * (src/app/) and drives the deployments they start, and every deployment that was in flight when
 * the server started, in this process.
 */

import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { App } from '../app/compose.ts';
import type { DeployOptions, Started } from '../app/deployments.ts';
import type { RollbackOptions, RollbackOutcome } from '../app/rollback.ts';
import type { IdentitySource } from '../domain/auth.ts';
import type { DataPlaneClient as AgentClient } from '../domain/data-plane.ts';
import { AppError } from '../domain/errors.ts';
import { type Deployment, isTerminal } from '../domain/types.ts';
import { Executor, LOCK_PROBE, lockName } from '../engine/executor.ts';
import type { LockOwner, Store } from '../store/contract.ts';

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
  /**
   * With several servers on one store (src/server/leadership.ts): this server's name, written to
   * a deployment's timeline when it starts driving it, and whether it leads now. Only the leader
   * drives; a follower's deploy or action is stored and the leader picks it up.
   */
  readonly server?: { readonly name: string; readonly leading: () => boolean };
}

/** After a drive fails (the agent gone for good…), the leader tries that deployment again after this. */
const RETRY_FAILED_MS = 30_000;

export { transitionsOnly } from '../app/compose.ts';

export class DeploymentRunner {
  readonly #deps: RunnerDeps;
  readonly #running = new Map<string, Promise<void>>();
  /** One per term of leadership: aborted when the server stops leading or closes. */
  #stop = new AbortController();
  #closed = false;
  readonly #failedAt = new Map<string, number>();
  /** Said in the timeline when this term began by replacing a dead leader. */
  #tookOverFrom: string | undefined;

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
    await this.#start(deployment);
    return deployment;
  }

  /** Promote what `from` runs to `to` (the app's `promote`, lifecycle rule and gates) and drive it here. */
  async promote(from: string, to: string, user: string, options: DeployOptions): Promise<Started> {
    const started = await this.#deps.app.promote(from, to, user, options);
    await this.#start(started.deployment);
    return started;
  }

  /**
   * Drive a deployment this server just started. A follower lets go of the environment's lock
   * its start took, so the leader can take the deployment from the store.
   */
  async #start(d: Deployment): Promise<void> {
    const server = this.#deps.server;
    if (server && !server.leading()) await this.#deps.app.executor().unlock(d);
    else this.drive(d.id);
  }

  /** Drive a deployment until it finishes or the server stops; a second call is a no-op. */
  drive(id: string): void {
    const server = this.#deps.server;
    if (this.#running.has(id) || this.#stop.signal.aborted || (server && !server.leading())) return;
    const signal = this.#stop.signal;
    const run = (async () => {
      try {
        if (server && !(await this.#claim(id, server.name))) return;
        await this.#deps.app.executor().run(id, signal);
      } catch (error) {
        this.#failedAt.set(id, Date.now());
        (this.#deps.log ?? this.#deps.app.deps.log)?.(`deployment ${id}: ${(error as Error).message}`);
      } finally {
        this.#running.delete(id);
      }
    })();
    this.#running.set(id, run);
  }

  /**
   * Whether this server should drive `id` now: it is in flight and no live process drives it (a
   * `slipway deploy` may). Then the timeline says who drives it from now on: the hand-over.
   */
  async #claim(id: string, name: string): Promise<boolean> {
    const { store, clock, transitions } = this.#deps.app;
    const d = await store.getDeployment(id);
    if (!d || isTerminal(d.status) || (await drivenElsewhere(store, d))) return false;
    const since = new Date(clock.now()).toISOString();
    const from = this.#tookOverFrom ? `, taking over from server ${this.#tookOverFrom}` : '';
    await transitions.transition(id, {
      type: 'note',
      at: clock.now(),
      what: `driven by server ${name} since ${since}${from}`,
    });
    return true;
  }

  /**
   * This server now leads. When it replaced a leader that died, the environment locks that
   * leader's executors held are let go first, so the deployments move now and not when those
   * leases run out (a leader on another host cannot be seen to be dead).
   */
  async lead(from: LockOwner | undefined, fromName?: string): Promise<readonly string[]> {
    if (this.#closed) return [];
    this.#stop = new AbortController();
    this.#tookOverFrom = from ? (fromName ?? from.id) : undefined;
    if (from) {
      for (const status of ['running', 'paused'] as const)
        for (const d of await this.#deps.app.store.listDeployments({ status, limit: 1000 })) {
          const owner = Executor.owner(d.id);
          await this.#deps.app.store.releaseLock(lockName(d.app, d.env), {
            id: owner.id.replace(/@\d+$/, `@${from.pid}`),
            pid: from.pid,
            host: from.host,
          });
        }
    }
    return this.resumeInFlight();
  }

  /** This server stopped leading: stop driving at once (deployments stay in flight for the leader). */
  async follow(): Promise<void> {
    this.#stop.abort();
    await Promise.allSettled(this.#running.values());
  }

  /** Pick up every deployment that was running or paused when the last control plane stopped. */
  async resumeInFlight(): Promise<readonly string[]> {
    const ids: string[] = [];
    for (const status of ['running', 'paused'] as const) {
      for (const d of await this.#deps.app.store.listDeployments({ status, limit: 1000 })) ids.push(d.id);
    }
    const now = Date.now();
    const fresh = ids.filter(
      (id) => !this.#running.has(id) && now - (this.#failedAt.get(id) ?? 0) >= RETRY_FAILED_MS,
    );
    for (const id of fresh) this.drive(id);
    return fresh;
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
    if (result.kind === 'redeploy') await this.#start(result.deployment);
    else if (result.kind === 'in-flight' && this.#deps.driveOnAction !== false)
      this.drive(result.deployment.id);
    return result;
  }

  /** Stop driving (deployments stay in flight for the next server) and wait for the executors. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#stop.abort();
    await Promise.allSettled(this.#running.values());
  }
}

/**
 * Whether another live process (a `slipway deploy`) drives `d`: it holds the environment's lock
 * with a fresh lease. As src/engine/reconcile.ts's `driven`, but a lock this process took (the
 * deploy just started here holds it until its executor runs) does not count.
 */
async function drivenElsewhere(store: Store, d: Pick<Deployment, 'id' | 'app' | 'env'>): Promise<boolean> {
  const name = lockName(d.app, d.env);
  const probe = {
    id: `${LOCK_PROBE}${randomBytes(4).toString('hex')}@${process.pid}`,
    pid: process.pid,
    host: hostname(),
  };
  const result = await store.acquireLock(name, probe, 1);
  if (!result.acquired)
    return !result.holder.id.startsWith(LOCK_PROBE) && result.holder.id !== Executor.owner(d.id).id;
  await store.releaseLock(name, probe);
  return false;
}
