/**
 * One HAProxy child process in master-worker mode (`-W -db`): started from a config file,
 * reloaded gracefully with SIGUSR2 (a new worker takes the listeners, the old one finishes its
 * requests), stopped with SIGUSR1 (soft stop) and, if it lingers, SIGKILL.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
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
  private log = '';
  private exited = false;

  constructor(binary: string, configPath: string, socketPath: string) {
    this.socket = socketPath;
    this.child = spawn(binary, ['-W', '-db', '-f', configPath], { stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (chunk: Buffer) => {
      this.log = (this.log + chunk.toString()).slice(-4_000);
    };
    this.child.stdout!.on('data', keep);
    this.child.stderr!.on('data', keep);
    this.child.on('exit', () => {
      this.exited = true;
    });
    this.child.on('error', (err) => {
      this.exited = true;
      this.log += `\n${err.message}`;
    });
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
    const lines = this.log.trim().split('\n');
    const tail = (lines.some((l) => /ALERT/.test(l)) ? lines.filter((l) => /ALERT/.test(l)) : lines)
      .slice(-3)
      .join(' | ');
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

  async stop(graceMs = 5_000): Promise<void> {
    if (this.exited) return;
    const gone = once(this.child, 'exit');
    this.child.kill('SIGUSR1');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await gone;
    clearTimeout(timer);
  }
}
