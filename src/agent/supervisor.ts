/**
 * `slipway agent --supervise`: a tiny parent that (re)starts the agent when it dies and owns the
 * listening sockets of the agent's routers and admin API. The agent asks for a listener per
 * (host, port) over Node's IPC channel (see src/traffic/builtin/held-listeners.ts); the parent binds
 * it once and passes the handle. It never listens on it itself (so it never accepts a connection),
 * but its copy of the socket keeps it open: while no agent runs, the kernel queues connections
 * in the socket's backlog and the next agent accepts them. Node built-ins only, so this process
 * never needs the restarts it performs.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { lookup } from 'node:dns/promises';
import { rmSync } from 'node:fs';
import * as net from 'node:net';
import { join } from 'node:path';
import { getSystemErrorName } from 'node:util';
import { readPointerJson, writeJsonAtomic } from '../runtime/process/atomic-json.ts';
import { isSameProcess, startIdentity } from '../runtime/process/proc.ts';
import { STANDBY_ENV, SUPERVISED_ENV } from '../traffic/builtin/held-listeners.ts';

export interface SupervisorOptions {
  readonly stateDir: string;
  /** Arguments of `slipway agent` for the child (without `--supervise`). */
  readonly agentArgs: readonly string[];
  readonly log: (level: 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>) => void;
  /** A child that dies within this long of its start counts as a fast crash; default 10 s. */
  readonly fastCrashMs?: number;
  /** Give up after this many fast crashes in a row; default 5. */
  readonly maxFastCrashes?: number;
  /** Stops the supervisor (and its agent) when aborted; default: SIGTERM or SIGINT. */
  readonly stop?: AbortSignal;
  /** The command that runs the agent; default: this Node with bin/slipway.js. */
  readonly command?: readonly string[];
  /**
   * Keep a spare agent process with its modules loaded, so a restart skips Node's start and the
   * module loading (most of the time to full service); default false.
   */
  readonly standby?: boolean;
  /** How long after an agent starts the spare is started; default 1 s. */
  readonly standbyDelayMs?: number;
}

/** What `slipway agent stop` reads to find the supervisor (`<stateDir>/supervisor.json`). */
export function supervisorInfoPath(stateDir: string): string {
  return join(stateDir, 'supervisor.json');
}

export interface SupervisorInfo {
  readonly pid: number;
  readonly identity: string | null;
  readonly agentPid: number | null;
  /** The spare agent, once it waits with its modules loaded. */
  readonly standbyPid?: number | null;
}

/** The running supervisor of a state folder, or undefined. */
export function runningSupervisor(stateDir: string): SupervisorInfo | undefined {
  const info = readPointerJson<SupervisorInfo | null>(supervisorInfoPath(stateDir), null);
  return info && isSameProcess(info.pid, info.identity) ? info : undefined;
}

interface ListenRequest {
  readonly slipway: 'listen';
  readonly id: number;
  readonly key: string;
  readonly host: string;
  readonly port: number;
}

type Handle = { close(): void };

const bin = new URL('../../bin/slipway.js', import.meta.url).pathname;

/** Binds (never listens) a TCP handle the way Node's cluster primary does for its workers. */
async function bindHandle(host: string, port: number): Promise<Handle> {
  const address = net.isIP(host) ? host : (await lookup(host)).address;
  const create = (net as unknown as { _createServerHandle(a: string, p: number, t: number): Handle | number })
    ._createServerHandle;
  const handle = create(address, port, net.isIPv6(address) ? 6 : 4);
  if (typeof handle === 'number') throw new Error(`${getSystemErrorName(handle)} on ${host}:${port}`);
  return handle;
}

export async function runSupervisor(options: SupervisorOptions): Promise<number> {
  const { stateDir, log } = options;
  const fastCrashMs = options.fastCrashMs ?? 10_000;
  const maxFastCrashes = options.maxFastCrashes ?? 5;
  const held = new Map<string, Promise<Handle>>();
  /** The bound handles by key, to close one at once when it is released (its port may be wanted again). */
  const bound = new Map<string, Handle>();
  const running = runningSupervisor(stateDir);
  if (running && running.pid !== process.pid) {
    log(
      'error',
      `a supervisor (pid ${running.pid}) already runs on ${stateDir}; stop it first (\`slipway agent stop\`)`,
    );
    return 3;
  }
  let child: ChildProcess | undefined;
  /** A spare agent with its modules loaded, waiting to be told to start (see awaitTurn). */
  let standby: { agent: ChildProcess; ready: boolean } | undefined;
  let standbyTimer: NodeJS.Timeout | undefined;
  let stopping = false;
  let fastCrashes = 0;
  let restartTimer: NodeJS.Timeout | undefined;
  let finish!: (code: number) => void;
  const finished = new Promise<number>((resolve) => {
    finish = resolve;
  });
  let ended = false;
  const record = () =>
    // A spare that exits after the supervisor ended must not write the file again.
    !ended &&
    writeJsonAtomic(supervisorInfoPath(stateDir), {
      pid: process.pid,
      identity: startIdentity(process.pid),
      agentPid: child?.pid ?? null,
      standbyPid: standby?.ready ? (standby.agent.pid ?? null) : null,
    } satisfies SupervisorInfo);

  const answer = async (agent: ChildProcess, request: ListenRequest) => {
    let entry = held.get(request.key);
    if (!entry) {
      entry = bindHandle(request.host, request.port);
      held.set(request.key, entry);
      entry.then(
        (h) => bound.set(request.key, h),
        () => held.delete(request.key),
      );
    }
    try {
      const handle = await entry;
      agent.send({ slipway: 'listener', id: request.id }, handle as net.Server);
    } catch (error) {
      agent.send({ slipway: 'listener', id: request.id, error: (error as Error).message });
    }
  };

  const spawnAgent = (asStandby: boolean): ChildProcess => {
    const [command, ...prefix] = options.command ?? [
      process.execPath,
      '--disable-warning=ExperimentalWarning',
      bin,
    ];
    const agent = spawn(command!, [...prefix, 'agent', ...options.agentArgs], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      env: { ...process.env, [SUPERVISED_ENV]: '1', ...(asStandby ? { [STANDBY_ENV]: '1' } : {}) },
    });
    agent.on('message', (message: unknown) => {
      const m = message as Partial<ListenRequest & { slipway: string }> | null;
      if (m?.slipway === 'listen') void answer(agent, m as ListenRequest);
      else if (m?.slipway === 'standby' && standby?.agent === agent) {
        standby.ready = true;
        record();
      } else if (m?.slipway === 'release' && typeof m.key === 'string') {
        const entry = held.get(m.key);
        held.delete(m.key);
        const handle = bound.get(m.key);
        bound.delete(m.key);
        if (handle) handle.close();
        else void entry?.then((h) => h.close()).catch(() => undefined);
      }
    });
    agent.on('error', (error) => log('error', `agent process: ${error.message}`));
    return agent;
  };

  const planStandby = () => {
    clearTimeout(standbyTimer);
    if (!options.standby || stopping || standby) return;
    // Later than the agent's own start, so loading the spare does not slow down a restore.
    standbyTimer = setTimeout(() => {
      if (stopping || standby) return;
      const agent = spawnAgent(true);
      standby = { agent, ready: false };
      agent.on('exit', () => {
        if (standby?.agent !== agent) return;
        standby = undefined;
        record();
        planStandby();
      });
    }, options.standbyDelayMs ?? 1_000);
  };

  const start = () => {
    if (stopping) return;
    const spare = standby?.ready && standby.agent.connected ? standby.agent : undefined;
    if (standby && !spare) standby.agent.kill('SIGKILL');
    standby = undefined;
    const agent = spare ?? spawnAgent(false);
    if (spare) spare.send({ slipway: 'go' }, () => {});
    const startedAt = Date.now();
    child = agent;
    record();
    log('info', spare ? 'agent started (the standby)' : 'agent started', { agentPid: agent.pid });
    planStandby();
    agent.on('exit', (code, signal) => {
      child = undefined;
      record();
      if (stopping) return finish(0);
      if (code === 0) {
        log('info', 'the agent stopped by itself (exit 0); the supervisor stops too');
        stopping = true;
        clearTimeout(standbyTimer);
        standby?.agent.kill('SIGTERM');
        return finish(0);
      }
      const lived = Date.now() - startedAt;
      fastCrashes = lived < fastCrashMs ? fastCrashes + 1 : 1;
      const how = signal ? `signal ${signal}` : `exit ${code}`;
      if (fastCrashes > maxFastCrashes) {
        log(
          'error',
          `giving up: the agent died ${fastCrashes} times in a row within ${fastCrashMs / 1000} s of starting (last: ${how}); see its log lines above, fix the cause and start it again`,
        );
        stopping = true;
        clearTimeout(standbyTimer);
        standby?.agent.kill('SIGTERM');
        return finish(1);
      }
      // The first restart is immediate (a kill -9 should cost as little as possible); a crash loop backs off.
      const delay = fastCrashes <= 1 ? 0 : Math.min(250 * 2 ** (fastCrashes - 2), 5_000);
      log('warn', `the agent died (${how}) after ${lived} ms; restarting it in ${delay} ms`, {
        restart: fastCrashes,
      });
      restartTimer = setTimeout(start, delay);
    });
  };

  const stop = () => {
    if (stopping) return;
    stopping = true;
    clearTimeout(restartTimer);
    clearTimeout(standbyTimer);
    standby?.agent.kill('SIGTERM');
    log('info', 'stopping the agent');
    if (child) child.kill('SIGTERM');
    else finish(0);
  };
  if (options.stop) {
    if (options.stop.aborted) stop();
    options.stop.addEventListener('abort', stop, { once: true });
  } else {
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  }
  start();
  const code = await finished;
  process.off('SIGTERM', stop);
  process.off('SIGINT', stop);
  for (const entry of held.values()) await entry.then((h) => h.close()).catch(() => undefined);
  ended = true;
  rmSync(supervisorInfoPath(stateDir), { force: true });
  return code;
}
