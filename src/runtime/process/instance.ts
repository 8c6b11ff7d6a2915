/**
 * One supervised instance of a release: spawns it detached (own process group, output appended
 * to its log file), gates it on its health endpoint, restarts it with exponential backoff when
 * it crashes, and reports `crashloop` after too many crashes in a window. Instances outlive the
 * runtime that started them; a later runtime adopts them from their records.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import type { Instance, InstanceSpec, InstanceState } from '../contract.ts';
import { probe } from './health.ts';
import { appendNote, rotateIfLarge, tailFile } from './log-file.ts';
import { secretValues, startLogWriter } from './log-redaction.ts';
import { isAlive, isSameProcess, startIdentity, stopGroup } from './proc.ts';

/** What is persisted per instance so that a restarted runtime can adopt it. */
export interface InstanceRecord {
  readonly id: string;
  readonly env: string;
  readonly release: string;
  readonly index: number;
  readonly port: number;
  readonly pid: number | null;
  /** Start time of the pid (see `startIdentity`), to tell it from a later process with the same pid. */
  readonly identity: string | null;
  readonly fingerprint: string;
  readonly startedAt: string;
}

export interface SupervisionPolicy {
  /** First restart delay; doubles per crash in the window, up to `maxMs`. */
  readonly backoff: { readonly baseMs: number; readonly maxMs: number };
  /** `crashes` crashes within `windowMs` make the instance `crashloop` (it keeps being retried at the capped delay). */
  readonly crashLoop: { readonly crashes: number; readonly windowMs: number };
  /** A log file bigger than this is rotated to `<file>.1` (checked at each health probe). */
  readonly maxLogBytes: number;
}

interface InstanceOptions {
  readonly spec: InstanceSpec;
  readonly index: number;
  readonly id: string;
  readonly host: string;
  readonly port: number;
  readonly fingerprint: string;
  readonly logFile: string;
  readonly policy: SupervisionPolicy;
  readonly now: () => number;
  /** Called whenever the pid changes, so the owner can persist the records. */
  readonly onChange: () => void;
}

type Phase = 'starting' | 'healthy' | 'unhealthy' | 'stopping' | 'stopped';

/**
 * A simple command (no lists, pipes, subshells or leading assignments) is run with `exec`, so the
 * shell becomes the app: its pid is the app's pid, which is what adoption and signals rely on.
 */
export function shellLine(command: string): string {
  const trimmed = command.trim();
  const firstWord = trimmed.split(/\s/)[0] ?? '';
  if (/[;&|<>()`\n]/.test(trimmed) || firstWord.includes('=') || /^(exec|cd|export)$/.test(firstWord))
    return trimmed;
  return `exec ${trimmed}`;
}

/** How long an exit report waits for the log writer to write the instance's last lines. */
const WRITER_DRAIN_MS = 2000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class ManagedInstance {
  readonly id: string;
  readonly index: number;
  readonly port: number;
  readonly logFile: string;
  pid: number | null = null;
  restarts = 0;
  private identity: string | null = null;
  private startedAt = '';
  private phase: Phase = 'starting';
  private crashes: number[] = [];
  private supervised = false;
  private detached = false;
  private timer: NodeJS.Timeout | undefined;
  private child: ChildProcess | undefined;
  private lastExit: { code: number | null; signal: string | null; error?: string } | null = null;
  private readonly o: InstanceOptions;

  constructor(options: InstanceOptions) {
    this.o = options;
    this.id = options.id;
    this.index = options.index;
    this.port = options.port;
    this.logFile = options.logFile;
  }

  state(): InstanceState {
    if (this.phase === 'stopping' || this.phase === 'stopped') return this.phase;
    if (this.recentCrashes() >= this.o.policy.crashLoop.crashes) return 'crashloop';
    return this.phase;
  }

  snapshot(): Instance {
    const { spec } = this.o;
    return {
      id: this.id,
      release: spec.release,
      env: spec.env,
      host: this.o.host,
      port: this.port,
      pid: this.pid,
      state: this.state(),
      restarts: this.restarts,
      startedAt: this.startedAt,
    };
  }

  record(): InstanceRecord {
    const { spec } = this.o;
    return {
      id: this.id,
      env: spec.env,
      release: spec.release,
      index: this.index,
      port: this.port,
      pid: this.pid,
      identity: this.identity,
      fingerprint: this.o.fingerprint,
      startedAt: this.startedAt,
    };
  }

  /** Spawns the command through a shell in the release folder, with exactly PATH, HOME, the spec's vars and PORT. */
  launch(): void {
    const { spec } = this.o;
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
      HOME: process.env.HOME ?? '/',
      ...spec.vars,
      PORT: String(this.port),
    };
    appendNote(this.logFile, `starting "${spec.command}" in ${spec.cwd} on port ${this.port}`);
    this.lastExit = null;
    const secrets = secretValues(spec);
    // With secrets, output goes through a redacting writer (log-writer.ts); without, straight to
    // the file. Either way it is not a pipe to this process, so the instance survives the agent.
    const writer = secrets.size > 0 ? startLogWriter(this.logFile, secrets) : undefined;
    const fd = writer ? undefined : openSync(this.logFile, 'a', 0o600);
    const out = writer?.stdin ?? (fd as number);
    let child: ChildProcess;
    try {
      child = spawn(shellLine(spec.command), {
        shell: '/bin/sh',
        cwd: spec.cwd,
        env,
        detached: true,
        stdio: ['ignore', out, out],
      });
    } finally {
      if (fd !== undefined) closeSync(fd);
      // The instance holds its own copy of the pipe; the writer sees the end when the instance ends.
      writer?.stdin?.destroy();
    }
    child.unref();
    this.child = child;
    child.once('error', (error) => {
      if (this.child === child && child.pid === undefined) this.exited(child, null, null, error.message);
    });
    child.once('exit', (code, signal) => {
      // The last lines are still in the writer's hands: let it finish (briefly) so the exit
      // report and its log lines agree.
      if (!writer || writer.exitCode !== null) return this.exited(child, code, signal);
      const done = () => {
        clearTimeout(timer);
        this.exited(child, code, signal);
      };
      const timer = setTimeout(done, WRITER_DRAIN_MS);
      writer.once('exit', done);
    });
    this.pid = child.pid ?? null;
    this.identity = this.pid === null ? null : startIdentity(this.pid);
    this.startedAt = new Date(this.o.now()).toISOString();
    this.o.onChange();
  }

  /** Takes over a running process recorded by an earlier runtime (the caller checked identity and health). */
  adopt(record: InstanceRecord): void {
    this.pid = record.pid;
    this.identity = record.identity;
    this.startedAt = record.startedAt;
    this.phase = 'healthy';
    appendNote(this.logFile, `adopted running pid ${record.pid} on port ${this.port}`);
  }

  /** Waits until the health endpoint answers as `health.expect` says (default 2xx/3xx); resolves null when healthy, else the reason it is not. */
  async waitHealthy(timeoutMs: number): Promise<string | null> {
    const { health } = this.o.spec;
    // Real time, not the injected clock: this bounds an actual wait.
    const deadline = Date.now() + timeoutMs;
    const step = Math.max(20, Math.min(health.intervalMs, 100));
    let last = 'no probe yet';
    for (;;) {
      if (this.phase === 'stopping' || this.phase === 'stopped') return 'stopped while starting';
      if (this.pid === null) return this.exitReason();
      const result = await probe(this.o.host, this.port, health.path, health.timeoutMs, health.expect);
      if (result.ok) {
        this.phase = 'healthy';
        return null;
      }
      last = result.reason;
      if (Date.now() >= deadline) {
        return `timeout: no healthy answer (${health.expect ?? '2xx/3xx'}) from GET ${health.path} within ${timeoutMs}ms (last probe: ${last})`;
      }
      await sleep(step);
    }
  }

  /** From now on: probe health every interval, restart on a crash. */
  supervise(): void {
    this.supervised = true;
    this.schedule(this.o.spec.health.intervalMs, () => this.tick());
  }

  /** Stops gracefully: SIGTERM to the process group, SIGKILL after `stopTimeoutMs`. */
  async stop(): Promise<void> {
    if (this.phase === 'stopped') return;
    this.phase = 'stopping';
    clearTimeout(this.timer);
    const pid = this.pid;
    if (pid !== null && isSameProcess(pid, this.identity)) {
      const timeout = this.o.spec.stopTimeoutMs;
      appendNote(this.logFile, `stopping pid ${pid} (SIGTERM, SIGKILL after ${timeout}ms)`);
      const how = await stopGroup(pid, timeout);
      if (how === 'killed')
        appendNote(this.logFile, `pid ${pid} ignored SIGTERM for ${timeout}ms; killed (SIGKILL)`);
    }
    this.phase = 'stopped';
    this.pid = null;
    this.child = undefined;
    this.o.onChange();
  }

  /** Stops supervising but leaves the process running, for a later runtime to adopt. */
  detach(): void {
    this.detached = true;
    clearTimeout(this.timer);
  }

  /** The instance's last log lines. */
  tail(lines: number): string[] {
    return tailFile(this.logFile, lines);
  }

  private exited(child: ChildProcess, code: number | null, signal: string | null, error?: string): void {
    if (this.child !== child || this.detached) return;
    this.child = undefined;
    this.pid = null;
    this.lastExit = error === undefined ? { code, signal } : { code, signal, error };
    if (this.phase === 'stopping' || this.phase === 'stopped') return;
    appendNote(this.logFile, `exited: ${this.exitReason()}`);
    this.o.onChange();
    // While (re)starting, waitHealthy notices the exit itself; only a running instance counts a crash here.
    if (this.supervised && (this.phase === 'healthy' || this.phase === 'unhealthy')) this.crashed();
  }

  private exitReason(): string {
    const exit = this.lastExit;
    if (exit === null) return 'exited';
    if (exit.error !== undefined) return `could not be started: ${exit.error}`;
    if (exit.code === 127) return `command not found (exit code 127): ${this.o.spec.command}`;
    if (exit.code === 126) return `command not executable (exit code 126): ${this.o.spec.command}`;
    if (this.tail(40).some((line) => /EADDRINUSE|address already in use/i.test(line))) {
      return `port ${this.port} in use (exited with code ${exit.code ?? exit.signal})`;
    }
    return exit.signal === null ? `exited with code ${exit.code}` : `killed by signal ${exit.signal}`;
  }

  private recentCrashes(): number {
    const since = this.o.now() - this.o.policy.crashLoop.windowMs;
    this.crashes = this.crashes.filter((at) => at > since);
    return this.crashes.length;
  }

  private crashed(): void {
    clearTimeout(this.timer);
    this.crashes.push(this.o.now());
    this.restarts++;
    this.phase = 'starting';
    const { baseMs, maxMs } = this.o.policy.backoff;
    const delay = Math.min(maxMs, baseMs * 2 ** (this.recentCrashes() - 1));
    const loop = this.state() === 'crashloop' ? ' (crash loop)' : '';
    appendNote(this.logFile, `restart #${this.restarts} in ${delay}ms${loop}`);
    this.schedule(delay, () => this.relaunch());
  }

  private async relaunch(): Promise<void> {
    if (this.phase !== 'starting' || this.detached) return;
    this.launch();
    await this.untilHealthy();
  }

  /**
   * Supervises a just-launched instance without failing anyone: healthy in time → watched as usual;
   * otherwise it counts as a crash and is restarted with backoff. Used by restarts and by `resume`.
   */
  async untilHealthy(): Promise<void> {
    this.supervised = true;
    const reason = await this.waitHealthy(this.o.spec.startTimeoutMs);
    if (this.phase !== 'starting' && this.phase !== 'healthy') return;
    if (reason === null) {
      appendNote(this.logFile, `healthy again on port ${this.port}`);
      this.schedule(this.o.spec.health.intervalMs, () => this.tick());
      return;
    }
    appendNote(this.logFile, `restart failed: ${reason}`);
    const pid = this.pid;
    if (pid !== null) {
      this.child = undefined; // its exit is expected now; do not count it twice
      this.pid = null;
      await stopGroup(pid, this.o.spec.stopTimeoutMs);
    }
    if (this.phase === 'starting') this.crashed();
  }

  private async tick(): Promise<void> {
    if (this.phase !== 'healthy' && this.phase !== 'unhealthy') return;
    const pid = this.pid;
    // An adopted process is not our child: no exit event, so look at the pid itself.
    if (this.child === undefined && (pid === null || !isSameProcess(pid, this.identity))) {
      this.pid = null;
      this.lastExit = { code: null, signal: null };
      appendNote(this.logFile, `pid ${pid} is gone`);
      this.crashed();
      return;
    }
    if (rotateIfLarge(this.logFile, this.o.policy.maxLogBytes)) appendNote(this.logFile, 'log rotated');
    const { path, timeoutMs, intervalMs, expect } = this.o.spec.health;
    const result = await probe(this.o.host, this.port, path, timeoutMs, expect);
    if (this.phase !== 'healthy' && this.phase !== 'unhealthy') return;
    if (this.pid !== null && !isAlive(this.pid) && this.child !== undefined) return; // the exit event restarts it
    this.phase = result.ok ? 'healthy' : 'unhealthy';
    this.schedule(intervalMs, () => this.tick());
  }

  private schedule(ms: number, run: () => Promise<void>): void {
    clearTimeout(this.timer);
    if (this.detached) return;
    this.timer = setTimeout(() => void run(), ms);
    this.timer.unref();
  }
}
