/**
 * Reconciliation: what became of a deployment whose driving process died, and whether an action on
 * an environment still rests on what is true. The environment's lock belongs to the deployment in
 * flight, not to a process: while one is running, paused, waiting or interrupted, no other starts.
 * "Interrupted" is derived, never stored: a deployment in flight whose lock has no live holder.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { DataPlaneClient as AgentClient } from '../domain/data-plane.ts';
import { AppError, isAppError } from '../domain/errors.ts';
import { type Deployment, isTerminal } from '../domain/types.ts';
import type { Store } from '../store/contract.ts';
import { type Executor, LOCK_PROBE, lockName } from './executor.ts';
import { describeStep } from './machine.ts';
import { requirePremise } from './premise.ts';
import { parseStoredState } from './stored-state.ts';

/** The newest deployment of `env` still in flight (not finished), if any. */
export async function inFlight(store: Store, app: string, env: string): Promise<Deployment | undefined> {
  const recent = await store.listDeployments({ app, env, limit: 20 });
  return recent.find((d) => !isTerminal(d.status));
}

/**
 * Whether a live process drives `d`: it holds the environment's lock with a fresh lease. Learned
 * by taking the lock for a moment (a 1 ms lease, released at once): the store's lock is the one
 * place that knows both the lease and whether the holder's process still exists.
 */
export async function driven(store: Store, d: Pick<Deployment, 'id' | 'app' | 'env'>): Promise<boolean> {
  const name = lockName(d.app, d.env);
  const probe = {
    id: `${LOCK_PROBE}${randomBytes(4).toString('hex')}@${process.pid}`,
    pid: process.pid,
    host: hostname(),
  };
  const result = await store.acquireLock(name, probe, 1);
  if (!result.acquired) return !result.holder.id.startsWith(LOCK_PROBE);
  await store.releaseLock(name, probe);
  return false;
}

export interface Standing {
  readonly id: string;
  readonly env: string;
  /** `interrupted` when no live process drives it. */
  readonly state: 'running' | 'paused' | 'waiting' | 'interrupted';
  /** 1-based step number and its plan length, and what the step does. */
  readonly step: number;
  readonly steps: number;
  readonly stepText: string;
  /** The new release's share of traffic as last recorded. */
  readonly weight: number;
  /** What it was doing: "waiting for approval", "paused", "pause 30s"… */
  readonly doing: string;
}

/** Where a deployment in flight stands, from its stored state and its lock. */
export async function standing(store: Store, d: Deployment, driver?: boolean): Promise<Standing> {
  const { engine } = parseStoredState(d);
  const step = engine.plan[engine.step];
  const stepText = step ? describeStep(step) : 'finishing';
  const last = engine.timeline.at(-1)?.what ?? '';
  const waiting = step?.kind === 'approval' || last.startsWith('waiting: ');
  const doing =
    engine.status === 'paused'
      ? `${stepText}, paused`
      : step?.kind === 'approval'
        ? 'waiting for approval'
        : waiting
          ? last
          : stepText;
  const live = driver ?? (await driven(store, d));
  return {
    id: d.id,
    env: d.env,
    state: !live ? 'interrupted' : engine.status === 'paused' ? 'paused' : waiting ? 'waiting' : 'running',
    step: Math.min(engine.step + 1, engine.plan.length),
    steps: engine.plan.length,
    stepText,
    weight: engine.weight,
    doing,
  };
}

/** "interrupted at step 6/13 (pause 30s), traffic at 25%". */
export function standingLine(s: Standing): string {
  const where = `step ${s.step}/${s.steps} (${s.doing}), traffic at ${s.weight}%`;
  return s.state === 'interrupted' ? `interrupted at ${where}` : `${s.state} at ${where}`;
}

/** The ways out of a deployment nobody drives (or that a person wants to stop). */
export function waysOut(env: string): string {
  return `continue it with \`slipway resume ${env}\`, or stop it with \`slipway abort ${env}\` / \`slipway rollback ${env}\` (traffic back to the previous release)`;
}

/**
 * Refuse a new deployment of `env` while one is in flight: it would run beside it. Called with
 * the environment's lock held, so what it finds cannot change underneath.
 */
export async function refuseIfInFlight(store: Store, app: string, env: string): Promise<void> {
  const d = await inFlight(store, app, env);
  if (!d) return;
  // The caller holds the lock, so nobody drives `d`: it is interrupted.
  const s = await standing(store, d, false);
  throw new AppError(
    'DEPLOYMENT_IN_FLIGHT',
    `${env} has deployment ${d.id} in flight (${standingLine(s)}); ${waysOut(env)}; then deploy again (\`slipway deploy RELEASE --env ${env} --after-interrupted resume|rollback\` does both)`,
  );
}

/** What the data plane serves for one environment, from the agent itself. */
export interface Served {
  readonly reachable: boolean;
  /** Why not, when the agent could not be asked. */
  readonly error?: string;
  /** Release id → weight and healthy/total instances; empty when the agent runs no such env. */
  readonly releases: readonly {
    readonly release: string;
    readonly weight: number;
    readonly healthy: number;
    readonly instances: number;
  }[];
}

export async function served(agent: AgentClient, env: string): Promise<Served> {
  try {
    const status = await agent.status(env).catch((error: unknown) => {
      if (isAppError(error) && error.code === 'ENV_NOT_FOUND') return undefined;
      throw error;
    });
    return {
      reachable: true,
      releases: (status?.releases ?? []).map((r) => ({
        release: r.release,
        weight: r.weight,
        healthy: r.instances.filter((i) => i.state === 'healthy').length,
        instances: r.instances.length,
      })),
    };
  } catch (error) {
    if (isAppError(error) && error.code === 'AGENT_UNAVAILABLE')
      return { reachable: false, error: error.message, releases: [] };
    throw error;
  }
}

/** The releases that take traffic (weight > 0), heaviest first. */
export function live(s: Served): Served['releases'] {
  return s.releases.filter((r) => r.weight > 0).sort((a, b) => b.weight - a.weight);
}

/**
 * `deploy --after-interrupted resume|rollback`: make an interrupted deployment of `env` ready to be
 * driven to its end (resumed as it was, or rolled back), after checking the agent still serves what
 * it describes. Returns it for the caller to drive, or undefined when nothing is in flight. A
 * deployment a live process still drives is not interrupted: refused with LOCK_HELD.
 */
export async function settleInterrupted(input: {
  readonly store: Store;
  readonly agent: AgentClient;
  readonly executor: Executor;
  readonly app: string;
  readonly env: string;
  readonly how: 'resume' | 'rollback';
  readonly user: string;
}): Promise<Deployment | undefined> {
  const { store, executor, env, user } = input;
  const d = await inFlight(store, input.app, env);
  if (!d) return undefined;
  await executor.lock(d);
  try {
    await requirePremise(store, input.agent, d, input.how === 'rollback' ? 'roll back' : 'resume');
    const at = Date.now();
    const reason = `rolled back before a new deploy (--after-interrupted rollback by ${user})`;
    await executor.transition(
      d.id,
      input.how === 'rollback'
        ? { type: 'rollback', at, by: user, reason }
        : { type: 'resume', at, by: user },
    );
    await store.appendAudit({
      actor: user,
      action: `deployment.${input.how}`,
      target: d.id,
      data: { env, afterInterrupted: true, ...(input.how === 'rollback' && { reason }) },
    });
    return d;
  } catch (error) {
    await executor.unlock(d);
    throw error;
  }
}
