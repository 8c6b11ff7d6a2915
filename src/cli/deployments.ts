/**
 * What the deployment commands share in local mode: the App built from this invocation's context
 * (the one composition root, src/app/compose.ts), and driving a deployment in this process with
 * the live progress view.
 */

import { type App, createApp, requireEnvIn } from '../app/compose.ts';
import { connectAgent } from '../app/engine.ts';
import type { SlipwayConfig } from '../config/schema.ts';
import { isAppError } from '../domain/errors.ts';
import type { Deployment } from '../domain/types.ts';
import type { Context } from './context.ts';
import { outcomeLine, watchProgress } from './progress.ts';

export { activeDeployment, requireRelease } from '../app/deployments.ts';

export async function appFor(c: Context): Promise<App> {
  const { config } = c.config();
  const interval = process.env.SLIPWAY_GUARD_INTERVAL_MS;
  // Tests of the "unwatched too long → roll back instead of resuming" path cannot wait 10 minutes.
  const resumeWithin = process.env.SLIPWAY_RESUME_WITHIN_MS;
  return createApp({
    config,
    projectDir: c.projectDir(),
    dataDir: c.dataDir(),
    store: await c.store(),
    secrets: c.secrets(),
    // Connected on first need, so an unknown environment or release is reported as such first.
    agent: () => connectAgent(c.dataDir()),
    ...(interval && { intervalMs: Number(interval) }),
    ...(resumeWithin && { resumeWithinMs: Number(resumeWithin) }),
  });
}

export function requireEnv(config: SlipwayConfig, env: string): void {
  requireEnvIn(config, env);
}

/**
 * Drive a deployment here until it ends, printing progress. Ctrl-C stops driving (the data plane
 * keeps the current traffic split); `slipway resume ENV` continues.
 */
export async function drive(c: Context, app: App, d: Deployment, version: string): Promise<number> {
  const stopWatch = new AbortController();
  const stopDrive = new AbortController();
  const onSignal = () => stopDrive.abort();
  process.once('SIGINT', onSignal);
  const watching = c.io.json ? Promise.resolve() : watchProgress(app.store, c.io, d.id, stopWatch.signal);
  try {
    const end = await app.executor().run(d.id, stopDrive.signal);
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

/** Drive it here unless another live process already does (or it already ended). */
export async function driveIfOrphaned(
  c: Context,
  app: App,
  d: Deployment,
  version: string,
): Promise<number | undefined> {
  if (d.status !== 'running' && d.status !== 'paused') return undefined;
  try {
    await app.executor().lock(d);
  } catch (error) {
    if (isAppError(error) && error.code === 'LOCK_HELD') return undefined;
    throw error;
  }
  return drive(c, app, d, version);
}
