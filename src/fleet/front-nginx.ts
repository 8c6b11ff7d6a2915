/**
 * nginx in front of an environment's hosts (`router.driver: nginx`): the control side of the runner
 * process in `front-nginx-entry.ts` (one per environment, detached, files in
 * `.slipway/fleet/<env>/`). What the hosts are and which of them are drained is written to
 * `nginx-front.json` and the runner told with SIGHUP; it echoes the generation it applied in
 * `nginx-front-status.json`, with each host's health and open connections.
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AppError } from '../domain/errors.ts';
import { readJson, writeJsonAtomic } from '../runtime/process/atomic-json.ts';

export interface NginxFrontDesired {
  readonly generation: number;
  readonly listen: { readonly host: string; readonly port: number };
  readonly hosts: readonly { readonly address: string; readonly port: number }[];
  readonly drained: readonly string[];
  readonly health: {
    readonly path: string;
    readonly intervalMs: number;
    readonly timeoutMs: number;
    readonly expect?: number | string | undefined;
  };
  readonly answerTimeoutMs: number;
}

export interface NginxFrontStatus {
  readonly pid: number;
  readonly generation: number;
  readonly error?: string;
  readonly hosts: readonly { address: string; status: string; current: number; lastChange: number }[];
}

export function nginxFrontFiles(dir: string) {
  return {
    desired: join(dir, 'nginx-front.json'),
    status: join(dir, 'nginx-front-status.json'),
    pid: join(dir, 'nginx-front.pid'),
    log: join(dir, 'nginx-front.log'),
  };
}

const ENTRY = fileURLToPath(
  new URL(`./front-nginx-entry${extname(fileURLToPath(import.meta.url))}`, import.meta.url),
);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function nginxRunnerPid(dir: string): number | undefined {
  try {
    const pid = Number(readFileSync(nginxFrontFiles(dir).pid, 'utf8').trim());
    if (!Number.isInteger(pid) || pid <= 0) return undefined;
    process.kill(pid, 0);
    return pid;
  } catch {
    return undefined;
  }
}

export function nginxFrontStatus(dir: string): NginxFrontStatus | undefined {
  return readJson<NginxFrontStatus | undefined>(nginxFrontFiles(dir).status, undefined);
}

/** Waits until the runner applied `generation`; its apply error is thrown. */
async function applied(dir: string, generation: number, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const status = nginxFrontStatus(dir);
    if (status !== undefined && status.generation >= generation) {
      if (status.error !== undefined)
        throw new AppError('TRAFFIC_DRIVER_FAILED', `the load balancer (nginx): ${status.error}`);
      return;
    }
    if (nginxRunnerPid(dir) === undefined) break;
    await sleep(50);
  }
  const log = existsSync(nginxFrontFiles(dir).log)
    ? readFileSync(nginxFrontFiles(dir).log, 'utf8').trim().slice(-600)
    : '';
  throw new AppError(
    'TRAFFIC_DRIVER_FAILED',
    `the load balancer (nginx) did not take the new host list${log ? `: ${log}` : ''}; install nginx and libnginx-mod-http-js`,
  );
}

/** Writes what the runner must serve and makes it apply it (starting it when none runs). */
export async function applyNginxFront(
  dir: string,
  env: string,
  desired: Omit<NginxFrontDesired, 'generation'>,
): Promise<{ started: boolean }> {
  mkdirSync(dir, { recursive: true });
  const files = nginxFrontFiles(dir);
  const previous = readJson<NginxFrontDesired | undefined>(files.desired, undefined);
  const running = nginxRunnerPid(dir);
  const { generation: _, ...before } = previous ?? { generation: 0 };
  if (running !== undefined && JSON.stringify(before) === JSON.stringify(desired)) return { started: false };
  const generation = (previous?.generation ?? 0) + 1;
  writeJsonAtomic(files.desired, { ...desired, generation } satisfies NginxFrontDesired, 0o644);
  if (running !== undefined) {
    process.kill(running, 'SIGHUP');
    await applied(dir, generation);
    return { started: false };
  }
  const log = openSync(files.log, 'a');
  const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', ENTRY, dir, env], {
    detached: true,
    stdio: ['ignore', log, log],
  });
  closeSync(log);
  if (child.pid === undefined) throw new AppError('TRAFFIC_DRIVER_FAILED', 'cannot start the nginx front');
  writeJsonAtomic(files.pid, child.pid, 0o644);
  child.unref();
  await applied(dir, generation);
  return { started: true };
}

/** Drains or readies one host: rewrites the drained list and waits until the runner applied it. */
export async function setNginxHost(dir: string, address: string, state: 'drain' | 'ready'): Promise<void> {
  const files = nginxFrontFiles(dir);
  const desired = readJson<NginxFrontDesired | undefined>(files.desired, undefined);
  const pid = nginxRunnerPid(dir);
  if (desired === undefined || pid === undefined)
    throw new AppError('TRAFFIC_DRIVER_FAILED', 'the load balancer (nginx) does not run');
  const drained = new Set(desired.drained);
  if (state === 'drain') drained.add(address);
  else drained.delete(address);
  const generation = desired.generation + 1;
  writeJsonAtomic(files.desired, { ...desired, drained: [...drained], generation }, 0o644);
  process.kill(pid, 'SIGHUP');
  await applied(dir, generation);
}

/** Stops the runner (and so its nginx); false when none ran. */
export function stopNginxFront(dir: string): boolean {
  const pid = nginxRunnerPid(dir);
  if (pid === undefined) return false;
  process.kill(pid, 'SIGTERM');
  return true;
}
