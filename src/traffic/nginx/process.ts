/**
 * One nginx master as a child process with its own prefix folder (not the system service).
 * Start, graceful reload (SIGHUP: the master starts new workers with the new config and asks the
 * old ones to finish their requests and exit) and stop (SIGQUIT, then SIGKILL if it lingers).
 * Readiness is read from the error log at `notice` level: "start worker process" lines, or an
 * [emerg]/[alert] line that says why not.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { AppError } from '../../domain/errors.ts';

const STARTUP_MS = 10_000;

export class NginxProcess {
  private readonly binary: string;
  private readonly dir: string;
  private child: ChildProcess | undefined;
  private exited = false;

  /** True once the master process has exited (stopped, or died). */
  get gone(): boolean {
    return this.exited;
  }

  constructor(binary: string, dir: string) {
    this.binary = binary;
    this.dir = dir;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  private get log(): string {
    return join(this.dir, 'error.log');
  }

  private logSize(): number {
    try {
      return statSync(this.log).size;
    } catch {
      return 0;
    }
  }

  private args(): string[] {
    return ['-p', `${this.dir}/`, '-c', join(this.dir, 'nginx.conf'), '-e', this.log];
  }

  /** `nginx -t`: refuse a config nginx would not load, with nginx's own message. */
  test(): void {
    const r = spawnSync(this.binary, [...this.args(), '-t', '-q'], { encoding: 'utf8' });
    if (r.error) {
      throw new AppError(
        'TRAFFIC_DRIVER_FAILED',
        `cannot run nginx "${this.binary}" (${r.error.message}); install it (apt-get install nginx) or set the binary path`,
      );
    }
    if (r.status !== 0) {
      const why = (r.stderr || '').trim().split('\n').slice(-2).join(' | ');
      throw new AppError('TRAFFIC_DRIVER_FAILED', `nginx refused the rendered config: ${why}`);
    }
  }

  /** `spawned`: told the master's pid at once, before nginx is ready. */
  async start(spawned?: (pid: number) => void): Promise<void> {
    const from = this.logSize();
    // Its own process group: if the master dies (killed), its orphaned workers still hold the
    // listener, and stop() ends them through the group so a new master can take the port.
    this.child = spawn(this.binary, this.args(), { stdio: 'ignore', detached: true });
    this.child.on('exit', () => {
      this.exited = true;
    });
    this.child.on('error', () => {
      this.exited = true;
    });
    if (this.child.pid !== undefined) spawned?.(this.child.pid);
    await this.awaitWorkers(from, 'start');
  }

  /**
   * Graceful reload. Resolves once the new workers run and the old ones were told to stop
   * (their idle keep-alive connections are closed then; busy ones close after their response),
   * plus until the old workers exit, at most `settleMs`: a client that sends on a connection
   * at the instant nginx closes it sees a reset, and the settle time lets clients see the close
   * first. Returns the reload time: SIGHUP until the new workers run (ms).
   */
  async reload(settleMs = 250): Promise<number> {
    const started = performance.now();
    const from = this.logSize();
    this.child?.kill('SIGHUP');
    await this.awaitWorkers(from, 'reload', /start worker process/);
    const took = performance.now() - started;
    await this.awaitWorkers(from, 'reload', /gracefully shutting down/);
    try {
      await this.awaitWorkers(from, 'reload', /exited with code/, settleMs);
    } catch {
      // An old worker still serving a long request (a slow response, a WebSocket) is normal.
    }
    return took;
  }

  private async awaitWorkers(
    from: number,
    what: string,
    done = /start worker process/,
    withinMs = STARTUP_MS,
  ) {
    const until = Date.now() + withinMs;
    while (Date.now() < until) {
      const text = this.logSize() > from ? readFileSync(this.log, 'utf8').slice(from) : '';
      const bad = /\[(emerg|alert)\].*/.exec(text);
      if (bad) throw new AppError('TRAFFIC_DRIVER_FAILED', `nginx ${what} failed: ${bad[0]}`);
      if (done.test(text)) return;
      if (this.exited) break;
      await new Promise((r) => setTimeout(r, 5));
    }
    throw new AppError(
      'TRAFFIC_DRIVER_FAILED',
      `nginx ${what} did not complete within ${withinMs} ms; see ${this.log}`,
    );
  }

  async stop(graceMs = 5_000): Promise<void> {
    const child = this.child;
    if (child?.pid !== undefined && this.exited) return this.endOrphans(child.pid);
    if (!child || this.exited) return;
    const gone = once(child, 'exit');
    child.kill('SIGQUIT');
    // SIGTERM (fast shutdown) rather than SIGKILL first: a killed master would orphan its workers.
    const fast = setTimeout(() => child.kill('SIGTERM'), graceMs);
    const kill = setTimeout(() => child.kill('SIGKILL'), graceMs + 2_000);
    await gone;
    clearTimeout(fast);
    clearTimeout(kill);
  }

  /** The workers of a master that died: SIGTERM to its group, SIGKILL if they linger past 2 s. */
  private async endOrphans(group: number): Promise<void> {
    const signal = (sig: NodeJS.Signals | 0): boolean => {
      try {
        process.kill(-group, sig);
        return true;
      } catch {
        return false; // ESRCH: the group is gone
      }
    };
    if (!signal('SIGTERM')) return;
    const until = Date.now() + 2_000;
    while (Date.now() < until) {
      if (!signal(0)) return;
      await new Promise((r) => setTimeout(r, 20));
    }
    signal('SIGKILL');
  }
}
