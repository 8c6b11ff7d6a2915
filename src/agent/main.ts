/**
 * Composition root of the data-plane agent (`slipway agent`): token, runtime, router, state,
 * admin API. The routers come from the traffic factory, one per driver the environments ask for
 * (`routersFor`); tests pass one fixed router (a fake) instead.
 */
import type { Server } from 'node:http';
import { join, resolve } from 'node:path';
import { AppError } from '../domain/errors.ts';
import { RuntimeByImage, scopeOf } from '../runtime/by-image.ts';
import { ContainerRuntime } from '../runtime/container/container-runtime.ts';
import type { Runtime } from '../runtime/contract.ts';
import { readPointerJson, writeJsonAtomic } from '../runtime/process/atomic-json.ts';
import { isSameProcess, startIdentity } from '../runtime/process/proc.ts';
import { ProcessRuntime } from '../runtime/process/process-runtime.ts';
import type { TrafficRouter } from '../traffic/contract.ts';
import { type Agent, type Clock, createAgent, type LogLevel } from './agent.ts';
import { createAdminServer, listen } from './api.ts';
import { agentInfoPath } from './info-path.ts';
import { endRecordedProxies, recordProxy } from './proxy-ledger.ts';
import { RouterPool } from './routers.ts';
import { loadOrCreateToken, tokenPath } from './token.ts';

/**
 * The agent's routers: created by the traffic factory per driver. HAProxy and nginx keep their
 * files in the system temp folder, not the state folder: their admin sockets need a path shorter
 * than a Unix socket's 108 bytes, which a deep project folder would exceed.
 */
export function routersFor(stateDir: string): RouterPool {
  return new RouterPool({ options: { onProxyStart: (proxy) => recordProxy(stateDir, proxy) } });
}

export interface RunAgentOptions {
  /** Folder of the agent's state: agent-state.json, agent.token, agent.json, runtime/ (instances and logs). */
  readonly stateDir: string;
  /** One router for every environment whatever its driver (tests); default: `routersFor(stateDir)`. */
  readonly router?: TrafficRouter;
  /** Default: the process runtime (records and logs in `<stateDir>/runtime`) and, for image releases, the container runtime. */
  readonly runtime?: Runtime;
  /** Admin API port on 127.0.0.1; 0 (default) picks a free one, written to `<stateDir>/agent.json`. */
  readonly port?: number;
  readonly clock?: Clock;
  readonly log?: (line: string, level?: LogLevel) => void;
  /** How often an environment that could not be restored is tried again; default 10s. */
  readonly retryMs?: number;
}

export interface RunningAgent {
  readonly agent: Agent;
  readonly url: string;
  readonly port: number;
  readonly tokenFile: string;
  /** Closes the API and the router; instances keep running for the next agent to adopt. */
  close(): Promise<void>;
}

export { agentInfoPath };

/** Refuses to run beside another live agent on the same state folder (both would supervise the same instances). */
function claimStateDir(stateDir: string): void {
  const info = readPointerJson<{ pid?: number | null; identity?: string | null } | null>(
    agentInfoPath(stateDir),
    null,
  );
  const pid = info?.pid;
  if (pid === undefined || pid === null || pid === process.pid) return;
  if (isSameProcess(pid, info?.identity ?? null)) {
    throw new AppError(
      'STATE_DIR_IN_USE',
      `an agent (pid ${pid}) already runs on ${stateDir}; stop it (\`slipway agent stop\`, or kill ${pid}) or give another --state-dir`,
    );
  }
}

export async function runAgent(options: RunAgentOptions): Promise<RunningAgent> {
  const { stateDir } = options;
  claimStateDir(stateDir);
  const token = loadOrCreateToken(stateDir);
  const runtime =
    options.runtime ??
    new RuntimeByImage({
      process: new ProcessRuntime({ stateDir: join(stateDir, 'runtime') }),
      // Image releases (slipway.yaml run.image) run on the engine DOCKER_HOST names. The scope is of
      // the absolute folder: `slipway agent` is given a relative one, the same in every project.
      container: new ContainerRuntime({
        stateDir: join(stateDir, 'containers'),
        scope: scopeOf(resolve(stateDir)),
      }),
    });
  await (runtime as { ready?: () => Promise<void> }).ready?.();
  const agent = createAgent({
    runtime,
    routers: options.router ? new RouterPool({ fixed: options.router }) : routersFor(stateDir),
    stateDir,
    token,
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.log ? { log: options.log } : {}),
    ...(options.retryMs ? { retryMs: options.retryMs } : {}),
  });
  const server: Server = createAdminServer(agent);
  const port = await listen(server, options.port ?? 0);
  const url = `http://127.0.0.1:${port}`;
  writeJsonAtomic(agentInfoPath(stateDir), {
    url,
    port,
    pid: process.pid,
    identity: startIdentity(process.pid),
  });
  // Proxies a killed agent left behind still serve its last routing: end them before routing again.
  const stale = await endRecordedProxies(stateDir);
  for (const p of stale)
    options.log?.(
      `stopped the ${p.driver} proxy of ${p.env} (pid ${p.pid}) left by an agent that did not exit cleanly`,
      'warn',
    );
  // Orders that arrive meanwhile queue behind the restore.
  await agent.restore();
  return {
    agent,
    url,
    port,
    tokenFile: tokenPath(stateDir),
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await agent.close();
      writeJsonAtomic(agentInfoPath(stateDir), { url, port, pid: null });
    },
  };
}
