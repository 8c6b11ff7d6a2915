/**
 * What the deployment commands share: finding releases and the active deployment of an
 * environment, and driving a deployment in this process with the live progress view.
 */
import type { AgentClient } from '../agent/client.ts';
import type { SlipwayConfig } from '../config/schema.ts';
import { suggestion } from '../config/suggest.ts';
import { AppError, isAppError } from '../domain/errors.ts';
import type { Deployment, Release } from '../domain/types.ts';
import { connectAgent, createExecutor } from '../engine/compose.ts';
import type { Executor } from '../engine/executor.ts';
import type { Store } from '../store/contract.ts';
import type { Context } from './context.ts';
import { outcomeLine, watchProgress } from './progress.ts';

export interface Engine {
  readonly config: SlipwayConfig;
  readonly store: Store;
  readonly agent: AgentClient;
  readonly executor: Executor;
}

export async function engineFor(c: Context): Promise<Engine> {
  const { config } = c.config();
  const store = await c.store();
  const agent = connectAgent(c.dataDir());
  const interval = process.env.SLIPWAY_GUARD_INTERVAL_MS;
  // Tests of the "unwatched too long → roll back instead of resuming" path cannot wait 10 minutes.
  const resumeWithin = process.env.SLIPWAY_RESUME_WITHIN_MS;
  return {
    config,
    store,
    agent,
    executor: createExecutor({
      store,
      agent,
      config,
      projectDir: c.projectDir(),
      dataDir: c.dataDir(),
      secrets: c.secrets(),
      ...(interval && { intervalMs: Number(interval) }),
      ...(resumeWithin && { resumeWithinMs: Number(resumeWithin) }),
    }),
  };
}

export function requireEnv(config: SlipwayConfig, env: string): void {
  const names = Object.keys(config.environments);
  if (!names.includes(env)) {
    throw new AppError(
      'ENV_NOT_FOUND',
      `no environment "${env}" in slipway.yaml${suggestion(env, names)} (environments: ${names.join(', ')})`,
    );
  }
}

export async function requireRelease(store: Store, app: string, ref: string): Promise<Release> {
  const release = await store.findRelease(app, ref);
  if (release) return release;
  const known = (await store.listReleases(app, 20)).map((r) => r.version);
  throw new AppError(
    'RELEASE_NOT_FOUND',
    `no release "${ref}" of ${app}${suggestion(ref, known)}; registered: ${known.join(', ') || 'none'} (register one with \`slipway release create --version V PATH\`)`,
  );
}

/** The deployment of `env` still in flight, if any. */
export async function activeDeployment(
  store: Store,
  app: string,
  env: string,
): Promise<Deployment | undefined> {
  const recent = await store.listDeployments({ app, env, limit: 20 });
  return recent.find(
    (d) =>
      d.status === 'running' || d.status === 'paused' || d.status === 'pending' || d.status === 'waiting',
  );
}

/**
 * Drive a deployment here until it ends, printing progress. Ctrl-C stops driving (the data plane
 * keeps the current traffic split); `slipway resume ENV` continues.
 */
export async function drive(c: Context, e: Engine, d: Deployment, version: string): Promise<number> {
  const stopWatch = new AbortController();
  const stopDrive = new AbortController();
  const onSignal = () => stopDrive.abort();
  process.once('SIGINT', onSignal);
  const watching = c.io.json ? Promise.resolve() : watchProgress(e.store, c.io, d.id, stopWatch.signal);
  try {
    const end = await e.executor.run(d.id, stopDrive.signal);
    stopWatch.abort();
    await watching;
    if (c.io.json) c.io.data(end);
    else c.io.out(outcomeLine(end, version, c.io));
    return end.status === 'succeeded' ? 0 : end.status === 'running' || end.status === 'paused' ? 0 : 1;
  } finally {
    stopWatch.abort();
    process.off('SIGINT', onSignal);
  }
}

/** Drive it here unless another live process already does; true when we drove it. */
export async function driveIfOrphaned(
  c: Context,
  e: Engine,
  d: Deployment,
  version: string,
): Promise<number | undefined> {
  try {
    await e.executor.lock(d);
  } catch (error) {
    if (isAppError(error) && error.code === 'LOCK_HELD') return undefined;
    throw error;
  }
  return drive(c, e, d, version);
}
