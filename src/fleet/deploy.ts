/**
 * A rolling deployment across an environment's hosts: the release is shipped to every host first
 * (verified, kept for rollback), then `bootLimit` hosts at a time are drained at the load balancer,
 * given the new release through their agent (which starts it, waits for health, then stops the
 * old one), and made ready again; the next batch starts only once these hosts are UP at the load
 * balancer. A host that fails stops the deployment there, named; the hosts after it keep the old
 * release and its agent keeps serving its previous state.
 */
import type { SlipwayConfig } from '../config/schema.ts';
import type { EnvBodyInput } from '../domain/data-plane.ts';
import { AppError, isAppError } from '../domain/errors.ts';
import { hostBatches } from './batches.ts';
import { openFront } from './front.ts';
import { hostDir, openHostAgent } from './host-agent.ts';
import type { HostVars } from './host-vars.ts';
import { connectAll, type Fleet, type FleetHost } from './hosts.ts';
import { shipRelease } from './ship.ts';
import type { SshSession } from './ssh.ts';

export interface FleetRelease {
  /** The store's release id: the name the hosts' agents serve it under, as `slipway deploy` names it. */
  readonly id?: string;
  readonly version: string;
  readonly digest: string;
  /** The release's files on this machine. */
  readonly folder: string;
}

export interface FleetDeployInput {
  readonly config: SlipwayConfig;
  readonly fleet: Fleet;
  readonly release: FleetRelease;
  /** Progress lines for the user. */
  readonly log?: (line: string) => void;
  /** How long a drained host may keep connections before its instances change anyway; default 10 s. */
  readonly drainMs?: number;
  /** The app's environment variables, secrets included (`host-vars.ts`); default config.values only. */
  readonly vars?: HostVars;
}

export interface HostOutcome {
  readonly address: string;
  readonly status: 'updated' | 'failed' | 'not-executed';
  readonly note?: string;
}

/** The agent's release names allow letters, digits, dot, dash, underscore. */
export function releaseName(release: FleetRelease): string {
  if (release.id !== undefined) return release.id;
  return /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/.test(release.version)
    ? release.version
    : release.digest.replace(/^sha256:/, '').slice(0, 16);
}

function desiredBody(input: FleetDeployInput, host: FleetHost, cwd: string, port: number): EnvBodyInput {
  const { config, fleet } = input;
  const env = config.environments[fleet.env];
  const values = { ...config.config?.values, ...env?.config?.values };
  const run = config.run;
  return {
    driver: 'builtin',
    listen: { host: host.address, port },
    releases: [
      {
        release: releaseName(input.release),
        weight: 100,
        app: config.app,
        cwd: run.cwd === undefined ? cwd : `${cwd}/${run.cwd}`,
        command: run.command ?? '',
        vars: input.vars?.vars ?? Object.fromEntries(Object.entries(values).map(([k, v]) => [k, String(v)])),
        ...((input.vars?.secretKeys.length ?? 0) > 0 && { secretKeys: [...(input.vars?.secretKeys ?? [])] }),
        count: host.instances,
        health: {
          path: run.health.path,
          intervalMs: run.health.interval,
          timeoutMs: run.health.timeout,
          ...(run.health.expect !== undefined && { expect: run.health.expect }),
        },
        startTimeoutMs: run.health.startTimeout,
        stopTimeoutMs: run.stopTimeout,
      },
    ],
  };
}

export async function deployToHosts(input: FleetDeployInput): Promise<HostOutcome[]> {
  const { config, fleet } = input;
  const log = input.log ?? (() => {});
  const env = config.environments[fleet.env];
  const port = env?.router?.port;
  if (env === undefined || port === undefined)
    throw new AppError('USAGE', `environments.${fleet.env}.router.port is required with hosts`);
  if (config.run.image !== undefined)
    throw new AppError('USAGE', 'run.image with hosts is not built yet: hosts run releases of files');
  // Every host must be reachable and trusted before anything changes anywhere.
  const sessions = await connectAll(fleet);
  const closers: (() => Promise<void> | void)[] = sessions.map((s) => () => s.close());
  try {
    const prepared = await Promise.all(
      fleet.hosts.map(async (host, i) => {
        const ssh = sessions[i] as SshSession;
        const dir = await hostDir(ssh, host.dir);
        const shipped = await shipRelease(ssh, dir, input.release.digest, input.release.folder);
        log(
          `${host.address}: release ${input.release.version} ${shipped.copied ? 'shipped and verified' : 'already there'}`,
        );
        const agent = await openHostAgent(ssh, { dir, agentCommand: host.agent });
        closers.unshift(agent.close);
        if (agent.started) log(`${host.address}: agent started`);
        return { host, agent, cwd: shipped.path };
      }),
    );
    const driver = env.router?.driver === 'nginx' ? 'nginx' : 'haproxy';
    const front = await openFront({
      driver,
      ...(env.router?.answerTimeout !== undefined && { answerTimeoutMs: env.router.answerTimeout }),
      dataDir: fleet.dataDir,
      env: fleet.env,
      listen: { host: '127.0.0.1', port },
      hosts: fleet.hosts.map((h) => ({ address: h.address, port })),
      health: {
        path: config.run.health.path,
        timeoutMs: config.run.health.timeout,
        ...(config.run.health.expect !== undefined && { expect: config.run.health.expect }),
      },
    });
    if (front.started)
      log(`load balancer (${driver}) on 127.0.0.1:${port} in front of ${fleet.hosts.length} hosts`);
    const bootLimit = typeof env.strategy === 'object' ? env.strategy.rolling?.bootLimit : undefined;
    const outcomes = new Map<string, HostOutcome>();
    for (const batch of hostBatches(prepared, bootLimit)) {
      const results = await Promise.allSettled(
        batch.map(async ({ host, agent, cwd }) => {
          await front.setState(host.address, 'drain');
          await front.wait(host.address, (s) => s.current === 0, input.drainMs ?? 10_000);
          try {
            const status = await agent.client.putEnv(fleet.env, desiredBody(input, host, cwd, port));
            if (!status.healthy) throw new AppError('HOST_DEPLOY_FAILED', 'its instances are not healthy');
          } finally {
            // The agent serves the new release, or kept its previous one: either way it takes traffic again.
            await front.setState(host.address, 'ready');
          }
          const up = await front.wait(
            host.address,
            (s) => s.status.startsWith('UP'),
            config.run.health.startTimeout,
          );
          if (!up) throw new AppError('HOST_DEPLOY_FAILED', 'the load balancer does not see it healthy');
          log(
            `${host.address}: serving ${input.release.version} (${host.instances} instances), healthy at the load balancer`,
          );
        }),
      );
      results.forEach((r, i) => {
        const address = (batch[i] as { host: FleetHost }).host.address;
        outcomes.set(
          address,
          r.status === 'fulfilled'
            ? { address, status: 'updated' }
            : { address, status: 'failed', note: (r.reason as Error).message },
        );
      });
      const failed = results.find((r) => r.status === 'rejected');
      if (failed) {
        const address = batch[results.indexOf(failed)]?.host.address;
        const reason = failed.reason as Error;
        const all = fleet.hosts.map(
          (h) => outcomes.get(h.address) ?? { address: h.address, status: 'not-executed' as const },
        );
        throw new AppError(
          'HOST_DEPLOY_FAILED',
          `host ${address}: ${isAppError(reason) ? reason.message.replace(new RegExp(`^host ${address}: `), '') : reason.message}; the deployment stopped there — hosts not reached keep their release (${
            all
              .filter((o) => o.status === 'not-executed')
              .map((o) => o.address)
              .join(', ') || 'none'
          })`,
          { details: all.map((o) => `${o.address}: ${o.status}${o.note ? ` (${o.note})` : ''}`) },
        );
      }
    }
    return fleet.hosts.map((h) => outcomes.get(h.address) as HostOutcome);
  } finally {
    for (const close of closers) await close();
  }
}
