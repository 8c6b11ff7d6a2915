/**
 * Blue-green on top of the agent: the new release starts beside the current one, takes 100% of
 * the traffic at once when healthy, and the previous release stays warm (running, weight 0) for
 * `warmMs`, so that a rollback is a weight switch instead of a restart. The warm period lives in
 * the agent's desired state (`retireAt`), so it survives an agent restart.
 *
 * The target is the Agent itself or the control plane's AgentClient: both have these methods.
 */
import { performance } from 'node:perf_hooks';
import { AppError } from '../domain/errors.ts';
import type { EnvStatus } from './agent.ts';
import type { DesiredEnv, EnvBodyInput } from './state.ts';

export type ReleaseInput = EnvBodyInput['releases'][number];

export interface BlueGreenTarget {
  desired(env: string): Promise<DesiredEnv | undefined>;
  putEnv(env: string, body: EnvBodyInput): Promise<EnvStatus>;
  setWeights(env: string, weights: Readonly<Record<string, number>>): Promise<EnvStatus>;
  status(env: string): Promise<EnvStatus | EnvStatus[]>;
}

export interface BlueGreenOptions {
  /** How long the previous release stays warm after the switch; 0 stops it at once. */
  readonly warmMs: number;
  /** Listener of the environment, used when it is deployed for the first time. */
  readonly listen?: { readonly host?: string; readonly port: number };
  readonly now?: () => number;
}

export interface BlueGreenResult {
  readonly release: string;
  /** The release that served before; null on a first deployment. */
  readonly previous: string | null;
  /** Time the router took to switch all traffic, in ms (0 on a first deployment). */
  readonly switchMs: number;
  /** Until when the previous release is kept warm for an instant rollback. */
  readonly warmUntil: string | null;
}

export type RollbackResult =
  | {
      readonly outcome: 'switched';
      readonly release: string;
      readonly from: string;
      readonly switchMs: number;
    }
  | { readonly outcome: 'redeploy_needed'; readonly reason: string };

const bodyOf = (desired: DesiredEnv, releases: ReleaseInput[]): EnvBodyInput => {
  const { env: _env, releases: _old, ...rest } = desired;
  return { ...rest, releases };
};

const withoutRetire = ({ retireAt: _r, ...release }: ReleaseInput): ReleaseInput => release;

/** The release serving the traffic: the one with the greatest weight. */
function active(desired: DesiredEnv): ReleaseInput | undefined {
  return [...desired.releases].sort((a, b) => b.weight - a.weight)[0];
}

async function envStatus(target: BlueGreenTarget, env: string): Promise<EnvStatus | undefined> {
  const status = await target.status(env);
  return Array.isArray(status) ? status[0] : status;
}

/**
 * Deploys `next` blue-green. Rejects (and the current release keeps serving) when `next` does not
 * become healthy.
 */
export async function deployBlueGreen(
  target: BlueGreenTarget,
  env: string,
  next: ReleaseInput,
  options: BlueGreenOptions,
): Promise<BlueGreenResult> {
  const now = options.now ?? Date.now;
  const desired = await target.desired(env);
  const current = desired === undefined ? undefined : active(desired);
  if (desired === undefined || current === undefined || current.release === next.release) {
    const listen = desired?.listen ?? options.listen;
    if (listen === undefined) {
      throw new AppError(
        'USAGE',
        `blue-green: environment ${env} is deployed for the first time; give its listener`,
      );
    }
    const base = desired ?? ({ env, listen: { host: '127.0.0.1', ...listen }, releases: [] } as DesiredEnv);
    await target.putEnv(env, bodyOf(base, [{ ...withoutRetire(next), weight: 100 }]));
    return { release: next.release, previous: null, switchMs: 0, warmUntil: null };
  }
  // 1. Beside the current release, at weight 0; resolves once the new instances are healthy.
  const currentRelease = { ...withoutRetire(current), weight: 100 };
  await target.putEnv(env, bodyOf(desired, [currentRelease, { ...withoutRetire(next), weight: 0 }]));
  // 2. All traffic at once.
  const started = performance.now();
  await target.setWeights(env, { [next.release]: 100, [current.release]: 0 });
  const switchMs = performance.now() - started;
  // 3. Keep the previous release warm (older warm releases are dropped now).
  const warmUntil = options.warmMs > 0 ? new Date(now() + options.warmMs).toISOString() : null;
  const releases: ReleaseInput[] = [{ ...withoutRetire(next), weight: 100 }];
  if (warmUntil !== null) releases.push({ ...currentRelease, weight: 0, retireAt: warmUntil });
  await target.putEnv(env, bodyOf(desired, releases));
  return { release: next.release, previous: current.release, switchMs, warmUntil };
}

/**
 * Switches back to the warm previous release and stops the current one. When no previous release
 * is warm (or it is not healthy) nothing changes and the result says that a redeploy is needed.
 */
export async function rollbackBlueGreen(
  target: BlueGreenTarget,
  env: string,
  options: { now?: () => number } = {},
): Promise<RollbackResult> {
  const now = (options.now ?? Date.now)();
  const desired = await target.desired(env);
  const current = desired === undefined ? undefined : active(desired);
  if (desired === undefined || current === undefined) {
    return { outcome: 'redeploy_needed', reason: `the agent runs no environment ${env}` };
  }
  const warm = desired.releases
    .filter((r) => r.release !== current.release && r.weight === 0 && r.retireAt !== undefined)
    .filter((r) => Date.parse(r.retireAt!) > now)
    .sort((a, b) => Date.parse(b.retireAt!) - Date.parse(a.retireAt!))[0];
  if (warm === undefined) {
    return {
      outcome: 'redeploy_needed',
      reason: `no previous release of ${env} is warm any more; redeploy the previous release`,
    };
  }
  const health = (await envStatus(target, env))?.releases.find((r) => r.release === warm.release);
  if (health === undefined || !health.healthy) {
    return {
      outcome: 'redeploy_needed',
      reason: `the warm release ${warm.release} of ${env} is not healthy; redeploy it`,
    };
  }
  const started = performance.now();
  await target.setWeights(env, { [warm.release]: 100, [current.release]: 0 });
  const switchMs = performance.now() - started;
  await target.putEnv(env, bodyOf(desired, [{ ...withoutRetire(warm), weight: 100 }]));
  return { outcome: 'switched', release: warm.release, from: current.release, switchMs };
}
