/**
 * One HAProxy child process in master-worker mode (`-W -db`): started from a config file,
 * reloaded gracefully with SIGUSR2 (a new worker takes the listeners, the old one finishes its
 * requests), stopped with SIGUSR1 (soft stop) and, if it lingers, SIGKILL.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { AppError } from '../../domain/errors.ts';
import { runtimeCommand } from './runtime-api.ts';

const STARTUP_MS = 10_000;

async function workerPid(socket: string): Promise<string | undefined> {
  try {
    return /^Pid: (\d+)$/m.exec(await runtimeCommand(socket, 'show info', 1_000))?.[1];
  } catch {
    return undefined;
  }
}

export class HaproxyProcess {
  private readonly child: ChildProcess;
  private readonly socket: string;
  private readonly logPath: string;
  private exited = false;

  /** True once the master process has exited (stopped, or died). */
  get gone(): boolean {
    return this.exited;
  }
  private spawnError: string | undefined;
  private readonly binary: string;

  constructor(binary: string, configPath: string, socketPath: string, logPath: string) {
    this.socket = socketPath;
    this.logPath = logPath;
    this.binary = binary;
    // Output goes to a file, not a pipe: workers inherit the descriptors, and a pipe held by a
    // lingering old worker would keep this process alive.
    const out = openSync(logPath, 'a');
    this.child = spawn(binary, ['-W', '-db', '-f', configPath], { stdio: ['ignore', out, out] });
    closeSync(out);
    this.child.on('exit', () => {
      this.exited = true;
    });
    this.child.on('error', (err) => {
      this.exited = true;
      this.spawnError = err.message;
    });
  }

  private get log(): string {
    try {
      return readFileSync(this.logPath, 'utf8').slice(-4_000);
    } catch {
      return '';
    }
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Waits until a worker answers on the admin socket (and is not `notPid`, after a reload). */
  async ready(notPid?: string): Promise<void> {
    const until = Date.now() + STARTUP_MS;
    while (Date.now() < until) {
      if (this.exited) break;
      const pid = await workerPid(this.socket);
      if (pid && pid !== notPid) return;
      await new Promise((r) => setTimeout(r, 20));
    }
    if (this.spawnError) {
      throw new AppError(
        'TRAFFIC_DRIVER_FAILED',
        `cannot run haproxy "${this.binary}" (${this.spawnError}); install it (apt-get install haproxy) or set the binary path`,
      );
    }
    const lines = this.log.trim().split('\n');
    const alerts = lines.filter((l) => /ALERT/.test(l));
    const tail = (alerts.length ? alerts : lines).slice(-3).join(' | ');
    throw new AppError('TRAFFIC_DRIVER_FAILED', `haproxy did not start: ${tail || 'no output'}`);
  }

  /**
   * Graceful reload after the config file was rewritten. The master can miss a SIGUSR2 that
   * arrives while it is still settling after start, so the signal is repeated until a new worker
   * answers.
   */
  async reload(): Promise<void> {
    const before = await workerPid(this.socket);
    const until = Date.now() + STARTUP_MS;
    while (Date.now() < until && !this.exited) {
      this.child.kill('SIGUSR2');
      const wait = Date.now() + 1_000;
      while (Date.now() < wait) {
        const pid = await workerPid(this.socket);
        if (pid && pid !== before) return;
        await new Promise((r) => setTimeout(r, 20));
      }
    }
    await this.ready(before);
  }

  /** Soft stop (requests in flight finish), then a hard stop after `graceMs`, then SIGKILL. */
  async stop(graceMs = 2_000): Promise<void> {
    if (this.exited) return;
    const gone = once(this.child, 'exit');
    // With requests in flight: a soft stop lets them finish. Without: a hard stop at once, since a
    // soft stop would also wait for idle keep-alive clients (option idle-close-on-response).
    const sessions = await runtimeCommand(this.socket, 'show sess', 1_000).catch(() => '');
    const busy = sessions.split('\n').some((line) => line.includes(' fe=fe '));
    this.child.kill(busy ? 'SIGUSR1' : 'SIGTERM');
    const hard = setTimeout(() => this.child.kill('SIGTERM'), graceMs);
    const kill = setTimeout(() => this.child.kill('SIGKILL'), graceMs + 2_000);
    await gone;
    clearTimeout(hard);
    clearTimeout(kill);
  }
}
