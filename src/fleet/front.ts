/**
 * The load balancer in front of an environment's hosts: one HAProxy process per environment on the
 * control-plane machine, started detached (it keeps serving after the command that started it
 * ends) with its files in `.slipway/fleet/<env>/`, or nginx (`front-nginx.ts`) behind the same
 * `Front` handle. Each host is one server: the host's own agent routes between its instances and
 * releases. A host is drained here before its instances change and made ready again after; active
 * checks, retries on another host and an answer timeout cover a host that disappears.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppError } from '../domain/errors.ts';
import { statusRegex } from '../domain/health-status.ts';
import { runtimeBatch, runtimeCommand } from '../traffic/haproxy/runtime-api.ts';
import {
  applyNginxFront,
  nginxFrontStatus,
  nginxRunnerPid,
  setNginxHost,
  stopNginxFront,
} from './front-nginx.ts';

export interface FrontHost {
  readonly address: string;
  readonly port: number;
}

export interface FrontOptions {
  readonly dataDir: string;
  readonly env: string;
  readonly listen: { readonly host: string; readonly port: number };
  readonly hosts: readonly FrontHost[];
  readonly health: {
    readonly path: string;
    readonly timeoutMs: number;
    readonly expect?: number | string | undefined;
  };
  readonly binary?: string;
  /** haproxy (default) or nginx. */
  readonly driver?: 'haproxy' | 'nginx';
  /**
   * How long a host may take to answer before an idempotent request is tried on another host
   * (a host that vanished mid-request never answers); default 30 s.
   */
  readonly answerTimeoutMs?: number;
}

export const DEFAULT_ANSWER_TIMEOUT_MS = 30_000;

export interface FrontServer {
  readonly name: string;
  /** UP, DOWN, DRAIN, MAINT, or "no check" as `show stat` says. */
  readonly status: string;
  /** Connections open to the host now. */
  readonly current: number;
  readonly lastChange: number;
}

export const serverName = (address: string) => `host_${address.replace(/[^A-Za-z0-9]/g, '_')}`;

export function frontFiles(dataDir: string, env: string) {
  const dir = join(dataDir, 'fleet', env);
  const id = createHash('sha256').update(dir).digest('hex').slice(0, 12);
  // Unix socket paths must stay under 108 bytes: the system temp folder, not the project's.
  return {
    dir,
    config: join(dir, 'haproxy.cfg'),
    pid: join(dir, 'haproxy.pid'),
    socket: join(tmpdir(), `slipway-front-${id}.sock`),
  };
}

export function renderFront(options: FrontOptions, socket: string, pidFile: string): string {
  const { health } = options;
  return [
    'global',
    `  stats socket ${socket} mode 600 level admin`,
    `  pidfile ${pidFile}`,
    'defaults',
    '  mode http',
    '  timeout connect 1s',
    '  timeout client 60s',
    `  timeout server ${options.answerTimeoutMs ?? DEFAULT_ANSWER_TIMEOUT_MS}ms`,
    '  timeout http-keep-alive 60s',
    // A host that vanishes mid-request: the request goes to another host, not back as an error.
    '  retries 3',
    // No idle connection to a host is kept for reuse: a request never goes out on a connection to a
    // host that vanished meanwhile (it would hang until the server timeout); a new connection that
    // gets no answer is retried on another host after timeout connect.
    '  option http-server-close',
    '  option redispatch 1',
    '  retry-on conn-failure empty-response response-timeout',
    'frontend fleet',
    `  bind ${options.listen.host}:${options.listen.port}`,
    // A request that reached a host may have changed something there: only idempotent methods
    // are sent again after an empty answer or none (a refused connection is retried for all).
    '  http-request disable-l7-retry if !METH_GET !METH_HEAD !METH_OPTIONS',
    '  default_backend hosts',
    'backend hosts',
    '  balance roundrobin',
    `  option httpchk GET ${health.path}`,
    `  http-check expect rstatus ${statusRegex(health.expect)}`,
    `  timeout check ${health.timeoutMs}ms`,
    '  default-server check inter 500ms fall 2 rise 1',
    ...options.hosts.map((h) => `  server ${serverName(h.address)} ${h.address}:${h.port}`),
    '',
  ].join('\n');
}

function pidOf(file: string): number | undefined {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim().split('\n')[0]);
    if (!Number.isInteger(pid) || pid <= 0) return undefined;
    process.kill(pid, 0);
    return pid;
  } catch {
    return undefined;
  }
}

function runHaproxy(binary: string, args: readonly string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, args, { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
    let err = '';
    child.stderr.on('data', (b: Buffer) => {
      err += b.toString();
    });
    child.on('error', (e) =>
      reject(new AppError('TRAFFIC_DRIVER_FAILED', `cannot run ${binary} (${e.message}); install haproxy`)),
    );
    child.on('close', (code) =>
      code === 0
        ? resolve()
        : reject(
            new AppError(
              'TRAFFIC_DRIVER_FAILED',
              `the load balancer (haproxy) did not start: ${err.trim().slice(-600)}`,
            ),
          ),
    );
  });
}

/** Starts the front, or reloads it when its hosts changed; a running one with the same config is left alone. */
export async function ensureFront(options: FrontOptions): Promise<{ socket: string; started: boolean }> {
  const files = frontFiles(options.dataDir, options.env);
  mkdirSync(files.dir, { recursive: true });
  const config = renderFront(options, files.socket, files.pid);
  const running = pidOf(files.pid);
  const same = existsSync(files.config) && readFileSync(files.config, 'utf8') === config;
  if (running !== undefined && same) return { socket: files.socket, started: false };
  writeFileSync(files.config, config);
  const binary = options.binary ?? 'haproxy';
  const reload = running === undefined ? [] : ['-sf', String(running)];
  // -D: HAProxy daemonizes, so the load balancer outlives this command.
  await runHaproxy(binary, ['-D', '-f', files.config, '-p', files.pid, ...reload]);
  return { socket: files.socket, started: true };
}

/** Every host's server as HAProxy sees it now. */
export async function frontServers(socket: string): Promise<FrontServer[]> {
  const out = await runtimeCommand(socket, 'show stat');
  const [header, ...rows] = out.split('\n').filter((l) => l.length > 0);
  const cols = (header ?? '').replace(/^# /, '').split(',');
  const at = (name: string) => cols.indexOf(name);
  return rows
    .map((row) => row.split(','))
    .filter((f) => f[at('pxname')] === 'hosts' && f[at('svname')] !== 'BACKEND')
    .map((f) => ({
      name: f[at('svname')] ?? '',
      status: f[at('status')] ?? '',
      current: Number(f[at('scur')] ?? 0),
      lastChange: Number(f[at('lastchg')] ?? 0),
    }));
}

export function setServerState(socket: string, address: string, state: 'drain' | 'ready'): Promise<void> {
  return runtimeBatch(socket, [`set server hosts/${serverName(address)} state ${state}`]);
}

/** Waits until the host's server satisfies `done`; false when `timeoutMs` passed first. */
export async function waitServer(
  socket: string,
  address: string,
  done: (s: FrontServer) => boolean,
  timeoutMs: number,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const server = (await frontServers(socket)).find((s) => s.name === serverName(address));
    if (server && done(server)) return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Stops the environment's front (SIGTERM to HAProxy or the nginx runner) and waits for it; false when none ran. */
export async function stopFront(dataDir: string, env: string): Promise<boolean> {
  const files = frontFiles(dataDir, env);
  const haproxy = pidOf(files.pid);
  if (haproxy !== undefined) process.kill(haproxy, 'SIGTERM');
  const nginx = stopNginxFront(files.dir) ? nginxRunnerPid(files.dir) : undefined;
  const deadline = Date.now() + 10_000;
  for (const pid of [haproxy, nginx])
    while (pid !== undefined && Date.now() < deadline && alive(pid)) await sleep(50);
  return haproxy !== undefined || nginx !== undefined;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The running front of an environment, whichever driver: drain, ready, and wait on one host. */
export interface Front {
  readonly driver: 'haproxy' | 'nginx';
  /** True when this call started it or changed its host list. */
  readonly started: boolean;
  setState(address: string, state: 'drain' | 'ready'): Promise<void>;
  /** Waits until the host's server satisfies `done`; false when `timeoutMs` passed first. */
  wait(address: string, done: (s: FrontServer) => boolean, timeoutMs: number): Promise<boolean>;
}

/** Starts the environment's front or brings it to `options.hosts`. */
export async function openFront(options: FrontOptions): Promise<Front> {
  const files = frontFiles(options.dataDir, options.env);
  if (options.driver === 'nginx') {
    // One driver at a time: a HAProxy left from before would hold the port.
    const haproxy = pidOf(files.pid);
    if (haproxy !== undefined) await stopFront(options.dataDir, options.env);
    const { started } = await applyNginxFront(files.dir, options.env, {
      listen: options.listen,
      hosts: options.hosts,
      drained: [],
      // The checks run in a node process, not in nginx: on a busy machine its probe answers come
      // late, and one failed probe takes a host out, so they get at least 2 s (a refused or unanswered
      // request is retried on another host by nginx meanwhile).
      health: { ...options.health, timeoutMs: Math.max(options.health.timeoutMs, 2_000), intervalMs: 1_000 },
      answerTimeoutMs: options.answerTimeoutMs ?? DEFAULT_ANSWER_TIMEOUT_MS,
    });
    return {
      driver: 'nginx',
      started,
      setState: (address, state) => setNginxHost(files.dir, address, state),
      wait: (address, done, timeoutMs) =>
        waitFor(() => frontServersOf(options.dataDir, options.env), address, done, timeoutMs),
    };
  }
  if (nginxRunnerPid(files.dir) !== undefined) await stopFront(options.dataDir, options.env);
  const { socket, started } = await ensureFront(options);
  return {
    driver: 'haproxy',
    started,
    setState: (address, state) => setServerState(socket, address, state),
    wait: (address, done, timeoutMs) => waitServer(socket, address, done, timeoutMs),
  };
}

async function waitFor(
  servers: () => Promise<FrontServer[]>,
  address: string,
  done: (s: FrontServer) => boolean,
  timeoutMs: number,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const server = (await servers()).find((s) => s.name === serverName(address));
    if (server && done(server)) return true;
    if (Date.now() > deadline) return false;
    await sleep(100);
  }
}

/** Every host's server as the environment's front sees it now (HAProxy or nginx); empty when none runs. */
export async function frontServersOf(dataDir: string, env: string): Promise<FrontServer[]> {
  const files = frontFiles(dataDir, env);
  if (pidOf(files.pid) !== undefined) return frontServers(files.socket).catch(() => []);
  if (nginxRunnerPid(files.dir) === undefined) return [];
  return (nginxFrontStatus(files.dir)?.hosts ?? []).map((h) => ({
    name: serverName(h.address),
    status: h.status,
    current: h.current,
    lastChange: h.lastChange,
  }));
}
