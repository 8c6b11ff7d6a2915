/**
 * What the deployment commands share in local mode: the App built from this invocation's context
 * (the one composition root, src/app/compose.ts), and driving a deployment in this process with
 * the live progress view.
 */

import { type App, createApp, requireEnvIn } from '../app/compose.ts';
import { connectAgent } from '../app/engine.ts';
import type { SlipwayConfig } from '../config/schema.ts';
import { isAppError } from '../domain/errors.ts';
import { type Deployment, isTerminal } from '../domain/types.ts';
import { describeStep } from '../engine/machine.ts';
import { parseStoredState } from '../engine/stored-state.ts';
import { withFleets } from '../fleet/routing.ts';
import { grantUsers } from '../server/auth/grant-users.ts';
import type { Context } from './context.ts';
import { outcomeLine, watchProgress } from './progress.ts';

export { activeDeployment, requireRelease } from '../app/deployments.ts';

export async function appFor(c: Context): Promise<App> {
  const { config } = c.config();
  const interval = process.env.SLIPWAY_GUARD_INTERVAL_MS;
  // Tests of the "unwatched too long → roll back instead of resuming" path cannot wait 10 minutes.
  const resumeWithin = process.env.SLIPWAY_RESUME_WITHIN_MS;
  // How long a deploy keeps retrying an agent it lost (default 30 s; tests use less).
  const agentRetry = process.env.SLIPWAY_AGENT_RETRY_MS;
  const store = await c.store();
  return createApp({
    config,
    projectDir: c.projectDir(),
    dataDir: c.dataDir(),
    store,
    // The gates judge people the way the server does: its grants for its users, slipway.yaml for
    // the rest (a store without server users has only those).
    users: grantUsers(store, config),
    secrets: c.secrets(),
    // Connected on first need, so an unknown environment or release is reported as such first.
    // An environment with hosts is driven through its hosts' agents (src/fleet/routing.ts).
    agent: () =>
      withFleets(connectAgent(c.dataDir()), config, c.projectDir(), c.dataDir(), () => c.secrets()),
    ...(interval && { intervalMs: Number(interval) }),
    ...(resumeWithin && { resumeWithinMs: Number(resumeWithin) }),
    ...(agentRetry && { agentRetryMs: Number(agentRetry) }),
  });
}

export function requireEnv(config: SlipwayConfig, env: string): void {
  requireEnvIn(config, env);
}

/** Exit codes of a deploy stopped by a signal: the shell's 128 + signal number. */
const SIGNAL_EXIT = { SIGINT: 130, SIGTERM: 143 } as const;

/**
 * Drive a deployment here until it ends, printing progress. Ctrl-C (or SIGTERM) stops driving:
 * the deployment stays in flight where it is (the data plane keeps its traffic split, approvals
 * given meanwhile still count), and the message says how to follow and continue it.
 */
export async function drive(c: Context, app: App, d: Deployment, version: string): Promise<number> {
  const stopWatch = new AbortController();
  const stopDrive = new AbortController();
  let stoppedBy: keyof typeof SIGNAL_EXIT | undefined;
  const onInt = () => {
    stoppedBy ??= 'SIGINT';
    stopDrive.abort();
  };
  const onTerm = () => {
    stoppedBy ??= 'SIGTERM';
    stopDrive.abort();
  };
  process.once('SIGINT', onInt);
  process.once('SIGTERM', onTerm);
  const watching = c.io.json ? Promise.resolve() : watchProgress(app.store, c.io, d.id, stopWatch.signal);
  try {
    const end = await app.executor().run(d.id, stopDrive.signal);
    stopWatch.abort();
    await watching;
    if (stoppedBy && !isTerminal(end.status)) {
      c.io.err(stoppedLine(end));
      if (c.io.json) c.io.data(end);
      return SIGNAL_EXIT[stoppedBy];
    }
    if (c.io.json) c.io.data(end);
    else c.io.out(outcomeLine(end, version, c.io));
    return end.status === 'succeeded' ? 0 : end.status === 'running' || end.status === 'paused' ? 0 : 1;
  } finally {
    stopWatch.abort();
    process.off('SIGINT', onInt);
    process.off('SIGTERM', onTerm);
  }
}

/** What a person who stopped `deploy` needs to know: it is not over, and how to go on. */
function stoppedLine(d: Deployment): string {
  const { engine } = parseStoredState(d);
  const step = engine.plan[engine.step];
  const where =
    step?.kind === 'approval'
      ? 'waiting for approval'
      : engine.status === 'paused'
        ? `paused at ${engine.weight}% of traffic`
        : `at step ${engine.step + 1}/${engine.plan.length} (${step ? describeStep(step) : 'finishing'}), traffic at ${engine.weight}%`;
  return [
    `stopped following deployment ${d.id}; it stays in flight on ${d.env}, ${where}, and owns ${d.env} until it ends`,
    `  \`slipway status ${d.env}\` shows where it stands; \`slipway resume ${d.env}\` drives it on (approvals given meanwhile count);`,
    `  \`slipway abort ${d.env}\` or \`slipway rollback ${d.env}\` ends it with traffic on the previous release`,
  ].join('\n');
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
