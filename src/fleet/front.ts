/**
 * The load balancer in front of an environment's hosts: one HAProxy process per environment on the
 * control-plane machine, started detached (it keeps serving after the command that started it
 * ends) with its files in `.slipway/fleet/<env>/`. Each host is one server: the host's own agent
 * routes between its instances and releases. A host is drained here before its instances change
 * and made ready again after; HAProxy's active checks and retries cover a host that disappears.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppError } from '../domain/errors.ts';
import { statusRegex } from '../domain/health-status.ts';
import { runtimeBatch, runtimeCommand } from '../traffic/haproxy/runtime-api.ts';

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
}

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
    '  timeout server 60s',
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

/** Stops the environment's front (SIGTERM to HAProxy); false when none ran. */
export function stopFront(dataDir: string, env: string): boolean {
  const pid = pidOf(frontFiles(dataDir, env).pid);
  if (pid === undefined) return false;
  process.kill(pid, 'SIGTERM');
  return true;
}
