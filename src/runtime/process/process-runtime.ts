/**
 * The `process` runtime: a release's instances are child processes on this machine, each on a
 * free port of 127.0.0.1, started detached in their own process group so that a restart of the
 * agent does not kill them. Instance records (pid, start identity, port) are kept in
 * `<stateDir>/instances.json`; `start()` of the same spec adopts the recorded instances that still
 * run and pass their health check instead of starting new ones.
 */
import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { AppError } from '../../domain/errors.ts';
import type { Instance, InstanceSpec, Runtime } from '../contract.ts';
import { readJson, writeJsonAtomic } from './atomic-json.ts';
import { probe } from './health.ts';
import { type InstanceRecord, ManagedInstance, type SupervisionPolicy } from './instance.ts';
import { tailFile } from './log-file.ts';
import { freePort } from './ports.ts';
import { isSameProcess, stopGroup } from './proc.ts';
import { checkSpec, specFingerprint } from './spec.ts';

export interface ProcessRuntimeOptions {
  /** Folder for instance records and per-instance log files. */
  readonly stateDir: string;
  /** Interface the instances are reached on; default 127.0.0.1. */
  readonly host?: string;
  /** Restart backoff, crash-loop limit, log size; default 500ms doubling to 30s, 5 crashes in 60s, 10 MiB. */
  readonly policy?: Partial<SupervisionPolicy>;
  /** Picks the port of a new instance; default: a free port chosen by the kernel. */
  readonly pickPort?: (host: string) => Promise<number>;
  readonly now?: () => number;
}

interface ReleaseEntry {
  readonly spec: InstanceSpec;
  readonly fingerprint: string;
  readonly instances: ManagedInstance[];
}

export const DEFAULT_POLICY: SupervisionPolicy = {
  backoff: { baseMs: 500, maxMs: 30_000 },
  crashLoop: { crashes: 5, windowMs: 60_000 },
  maxLogBytes: 10 * 1024 * 1024,
};

export { specFingerprint } from './spec.ts';

const keyOf = (env: string, release: string) => `${env}\u0000${release}`;
const safe = (part: string) => part.replace(/[^A-Za-z0-9._-]/g, '_');

export class ProcessRuntime implements Runtime {
  readonly name = 'process';
  private readonly stateDir: string;
  private readonly host: string;
  private readonly policy: SupervisionPolicy;
  private readonly pickPort: (host: string) => Promise<number>;
  private readonly now: () => number;
  private readonly releases = new Map<string, ReleaseEntry>();
  /** Records left by an earlier runtime whose release nobody has started (adopted) yet. */
  private readonly unclaimed = new Map<string, InstanceRecord[]>();
  private readonly locks = new Map<string, Promise<unknown>>();
  private closed = false;

  constructor(options: ProcessRuntimeOptions) {
    this.stateDir = options.stateDir;
    this.host = options.host ?? '127.0.0.1';
    this.policy = { ...DEFAULT_POLICY, ...options.policy };
    this.pickPort = options.pickPort ?? freePort;
    this.now = options.now ?? Date.now;
    mkdirSync(this.stateDir, { recursive: true, mode: 0o700 });
    for (const record of readJson<InstanceRecord[]>(this.recordsFile(), [])) {
      const key = keyOf(record.env, record.release);
      this.unclaimed.set(key, [...(this.unclaimed.get(key) ?? []), record]);
    }
  }

  start(spec: InstanceSpec): Promise<readonly Instance[]> {
    return this.serial(keyOf(spec.env, spec.release), () => this.startNow(spec, 'start'));
  }

  /**
   * Like `start`, for restoring a desired state after a restart: adopts what still runs, launches
   * what is missing, and never fails or stops anything because an instance is not healthy yet;
   * such instances are supervised (restarted with backoff) and reported in `list()`. Resolves
   * without waiting for health.
   */
  resume(spec: InstanceSpec): Promise<readonly Instance[]> {
    return this.serial(keyOf(spec.env, spec.release), () => this.startNow(spec, 'resume'));
  }

  stop(env: string, release: string): Promise<void> {
    return this.serial(keyOf(env, release), () => this.stopNow(env, release));
  }

  async list(env?: string): Promise<readonly Instance[]> {
    const all = [...this.releases.values()].flatMap((entry) => entry.instances.map((i) => i.snapshot()));
    return env === undefined ? all : all.filter((instance) => instance.env === env);
  }

  /** The last `lines` lines of each instance of the release (instance by instance, each line prefixed with its id). */
  async logs(env: string, release: string, lines: number): Promise<readonly string[]> {
    return this.logFiles(env, release).flatMap(({ id, file }) =>
      tailFile(file, lines).map((l) => `${id} | ${l}`),
    );
  }

  /** The log file of each instance of a release, also after it stopped. */
  logFiles(env: string, release: string): { id: string; file: string }[] {
    const dir = this.logDir(env, release);
    let names: string[];
    try {
      names = readdirSync(dir).filter((name) => name.endsWith('.log'));
    } catch {
      return [];
    }
    return names.sort().map((name) => ({ id: name.slice(0, -4), file: join(dir, name) }));
  }

  /** Stops the instances recorded by an earlier runtime whose release was not started again. */
  async stopUnclaimed(stopTimeoutMs = 10_000): Promise<void> {
    const keys = [...this.unclaimed.keys()];
    await Promise.all(keys.map((key) => this.serial(key, () => this.killRecords(key, stopTimeoutMs))));
  }

  /** Releases recorded by an earlier runtime and not (yet) started again. */
  unclaimedReleases(): { env: string; release: string }[] {
    return [...this.unclaimed.values()].flatMap((records) =>
      records[0] ? [{ env: records[0].env, release: records[0].release }] : [],
    );
  }

  /** Stops supervising; the instances keep running and a new runtime on the same stateDir adopts them. */
  async close(): Promise<void> {
    this.closed = true;
    for (const entry of this.releases.values()) for (const instance of entry.instances) instance.detach();
  }

  private async startNow(spec: InstanceSpec, mode: 'start' | 'resume'): Promise<readonly Instance[]> {
    this.assertOpen();
    checkSpec(spec);
    const key = keyOf(spec.env, spec.release);
    const fingerprint = specFingerprint(spec);
    const existing = this.releases.get(key);
    // Same spec: keep what runs and only scale; a changed spec replaces every instance.
    let kept: ManagedInstance[] = [];
    if (existing?.fingerprint === fingerprint) {
      kept = existing.instances.filter((i) => i.index < spec.count);
      await Promise.all(existing.instances.filter((i) => i.index >= spec.count).map((i) => i.stop()));
    } else if (existing !== undefined) {
      await this.stopNow(spec.env, spec.release);
    }

    const records = this.unclaimed.get(key) ?? [];
    this.unclaimed.delete(key);
    const instances: ManagedInstance[] = [];
    const fresh: ManagedInstance[] = [];
    for (let index = 0; index < spec.count; index++) {
      const running = kept.find((i) => i.index === index);
      if (running !== undefined) {
        instances.push(running);
        continue;
      }
      const record = records.find((r) => r.index === index && r.fingerprint === fingerprint);
      const adoptable = record !== undefined && (await this.canAdopt(record, spec));
      const port = adoptable ? record.port : await this.newPort(instances.map((i) => i.port));
      const instance = this.instance(spec, index, port, fingerprint);
      if (adoptable) instance.adopt(record);
      else fresh.push(instance);
      instances.push(instance);
    }
    const stale = records.filter((r) => r.pid !== null && !instances.some((i) => i.pid === r.pid));
    await Promise.all(stale.map((r) => stopStale(r, spec.stopTimeoutMs)));
    const added = instances.filter((i) => !kept.includes(i));

    this.releases.set(key, { spec, fingerprint, instances });
    for (const instance of fresh) instance.launch();
    if (mode === 'resume') {
      for (const instance of added) {
        if (fresh.includes(instance)) void instance.untilHealthy();
        else instance.supervise();
      }
      this.persist();
      return instances.map((i) => i.snapshot());
    }
    const reasons = await Promise.all(fresh.map((i) => i.waitHealthy(spec.startTimeoutMs)));
    const failed = fresh.flatMap((instance, n) => (reasons[n] ? [{ instance, reason: reasons[n] }] : []));
    if (failed.length > 0) {
      // Stop what this call started or adopted; instances that were already serving go on.
      await Promise.all(added.map((i) => i.stop()));
      if (kept.length > 0) this.releases.set(key, { spec: existing!.spec, fingerprint, instances: kept });
      else this.releases.delete(key);
      this.persist();
      const first = failed[0]!;
      throw new AppError(
        'INSTANCE_START_FAILED',
        `release ${spec.release} of ${spec.app} in ${spec.env}: instance ${first.instance.id} did not become healthy: ` +
          `${first.reason}${failed.length > 1 ? ` (and ${failed.length - 1} more)` : ''}; its last log lines follow`,
        { details: first.instance.tail(20) },
      );
    }
    for (const instance of added) instance.supervise();
    this.persist();
    return instances.map((i) => i.snapshot());
  }

  private async stopNow(env: string, release: string): Promise<void> {
    const key = keyOf(env, release);
    const entry = this.releases.get(key);
    if (entry !== undefined) {
      await Promise.all(entry.instances.map((i) => i.stop()));
      this.releases.delete(key);
    }
    await this.killRecords(key, entry?.spec.stopTimeoutMs ?? 10_000);
    this.persist();
  }

  private async killRecords(key: string, stopTimeoutMs: number): Promise<void> {
    const records = this.unclaimed.get(key) ?? [];
    this.unclaimed.delete(key);
    await Promise.all(records.map((r) => stopStale(r, stopTimeoutMs)));
    this.persist();
  }

  /** A free port that no instance of this runtime holds (the kernel may hand out a just-released port again). */
  private async newPort(alsoTaken: readonly number[]): Promise<number> {
    const taken = new Set([...this.releases.values()].flatMap((entry) => entry.instances.map((i) => i.port)));
    for (const port of alsoTaken) taken.add(port);
    for (const records of this.unclaimed.values()) for (const r of records) taken.add(r.port);
    let port = await this.pickPort(this.host);
    for (let tries = 0; taken.has(port) && tries < 20; tries++) port = await this.pickPort(this.host);
    return port;
  }

  private async canAdopt(record: InstanceRecord, spec: InstanceSpec): Promise<boolean> {
    if (record.pid === null || !isSameProcess(record.pid, record.identity)) return false;
    return (await probe(this.host, record.port, spec.health.path, spec.health.timeoutMs, spec.health.expect))
      .ok;
  }

  private instance(spec: InstanceSpec, index: number, port: number, fingerprint: string): ManagedInstance {
    const id = `${safe(spec.app)}-${safe(spec.env)}-${safe(spec.release)}-${index}`;
    const dir = this.logDir(spec.env, spec.release);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    return new ManagedInstance({
      spec,
      index,
      id,
      host: this.host,
      port,
      fingerprint,
      logFile: join(dir, `${id}.log`),
      policy: this.policy,
      now: this.now,
      onChange: () => this.persist(),
    });
  }

  private persist(): void {
    if (this.closed) return;
    const records = [
      ...[...this.releases.values()].flatMap((entry) => entry.instances.map((i) => i.record())),
      ...[...this.unclaimed.values()].flat(),
    ].filter((record) => record.pid !== null);
    writeJsonAtomic(this.recordsFile(), records);
  }

  private serial<T>(key: string, run: () => Promise<T>): Promise<T> {
    const previous = this.locks.get(key) ?? Promise.resolve();
    const next = previous.then(run, run);
    const settled = next.catch(() => undefined);
    this.locks.set(key, settled);
    void settled.then(() => {
      if (this.locks.get(key) === settled) this.locks.delete(key);
    });
    return next;
  }

  private assertOpen(): void {
    if (this.closed) throw new AppError('INTERNAL', 'the process runtime was closed; create a new one');
  }

  private recordsFile(): string {
    return join(this.stateDir, 'instances.json');
  }

  private logDir(env: string, release: string): string {
    return join(this.stateDir, 'logs', safe(env), safe(release));
  }
}

async function stopStale(record: InstanceRecord, stopTimeoutMs: number): Promise<void> {
  if (record.pid !== null && isSameProcess(record.pid, record.identity))
    await stopGroup(record.pid, stopTimeoutMs);
}
