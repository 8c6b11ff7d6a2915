/**
 * The `container` runtime: a release's instances are containers of its image (by digest) on a
 * container engine reached through the Docker Engine API: Docker, or Podman's compatible service.
 * Each instance publishes one port on 127.0.0.1 (PORT inside is the same number), gets the
 * environment's config as env vars and its secrets as files (secret-files.ts), the memory/CPU
 * limits of the spec, and labels (labels.ts) that let a new runtime adopt it after an agent restart.
 * The engine restarts a crashed container (restart policy on-failure); a monitor probes health.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AppError } from '../../domain/errors.ts';
import { Redactor } from '../../secrets/redact.ts';
import type { Instance, InstanceSpec, Runtime } from '../contract.ts';
import { probe } from '../process/health.ts';
import { secretValues } from '../process/log-redaction.ts';
import { freePort } from '../process/ports.ts';
import {
  containerLogs,
  createContainer,
  ensureImage,
  inspectState,
  REGISTRY_PASSWORD_VAR,
  REGISTRY_USER_VAR,
  stopAndRemove,
} from './containers.ts';
import { connectEngine, type Engine, engineError } from './engine.ts';
import { recordEngine } from './engine-record.ts';
import { fingerprinter } from './fingerprint.ts';
import { containerLabels, containerName, instanceId, LABEL } from './labels.ts';
import { Monitor, type Tracked } from './monitor.ts';
import { pruneImages, repositoryOfImage } from './prune.ts';
import {
  defaultSecretsRoot,
  readSecretFiles,
  removeSecretFiles,
  SECRETS_MOUNT,
  writeSecretFiles,
} from './secret-files.ts';

export interface ContainerRuntimeOptions {
  /** Folder for the logs of stopped instances. */
  readonly stateDir: string;
  /** The engine's address (DOCKER_HOST form); default DOCKER_HOST, else /var/run/docker.sock. */
  readonly dockerHost?: string;
  /** Which containers are this runtime's (label slipway.scope): one agent's; default `default`. */
  readonly scope?: string;
  /** Host folder for secret files; default on /dev/shm. */
  readonly secretsRoot?: string;
  /** Engine network of the containers; default the engine's (bridge). */
  readonly network?: string;
  /** How often health is probed when no spec says; default 500ms. */
  readonly monitorMs?: number;
  /** Unused images of a repository kept after a release stops (for quick rollbacks); default 3. */
  readonly keepImages?: number;
}

interface Entry {
  readonly spec: InstanceSpec;
  readonly fingerprint: string;
  readonly instances: Tracked[];
}

const keyOf = (env: string, release: string) => `${env}\u0000${release}`;
const safe = (part: string) => part.replace(/[^A-Za-z0-9._-]/g, '_');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class ContainerRuntime implements Runtime {
  readonly name = 'container';
  readonly address: string;
  private readonly engine: Engine;
  private readonly scope: string;
  private readonly stateDir: string;
  private readonly secretsRoot: string;
  private readonly network: string | undefined;
  private readonly entries = new Map<string, Entry>();
  private readonly locks = new Map<string, Promise<unknown>>();
  private readonly monitor: Monitor;
  private readonly keepImages: number;
  /** Releases with containers left by an earlier runtime, found at `ready()`. */
  private unclaimed = new Map<string, { env: string; release: string }>();
  private engineRecorded = false;
  /** The fingerprint label of a spec: keyed, so it cannot confirm a guessed secret (fingerprint.ts). */
  private readonly fingerprint: (spec: InstanceSpec) => string;

  constructor(options: ContainerRuntimeOptions) {
    const { engine, address } = connectEngine(options.dockerHost);
    this.engine = engine;
    this.address = address;
    this.scope = options.scope ?? 'default';
    this.stateDir = options.stateDir;
    this.secretsRoot = options.secretsRoot ?? defaultSecretsRoot();
    this.network = options.network;
    this.keepImages = options.keepImages ?? 3;
    this.monitor = new Monitor(engine, options.monitorMs ?? 500, () =>
      [...this.entries.values()].map((e) => ({ spec: e.spec, instances: e.instances })),
    );
    mkdirSync(this.stateDir, { recursive: true, mode: 0o700 });
    this.fingerprint = fingerprinter(this.stateDir);
  }

  /** Finds the containers an earlier runtime left (by label), for `unclaimedReleases`. */
  async ready(): Promise<void> {
    // An engine that is down or slow must not hold up the agent's start: its containers are then
    // found when a release is started again.
    const timeout = new Promise<[]>((resolve) => setTimeout(() => resolve([]), 3000).unref());
    const found = await Promise.race([this.containers({}).catch(() => [] as const), timeout]);
    for (const c of found) {
      const env = c.Labels[LABEL.env] ?? '';
      const release = c.Labels[LABEL.release] ?? '';
      if (!this.entries.has(keyOf(env, release))) this.unclaimed.set(keyOf(env, release), { env, release });
    }
  }

  start(spec: InstanceSpec): Promise<readonly Instance[]> {
    return this.serial(keyOf(spec.env, spec.release), () => this.startNow(spec, 'start'));
  }

  /** Like `start` after an agent restart: adopts what runs, creates what is missing, never waits for health. */
  resume(spec: InstanceSpec): Promise<readonly Instance[]> {
    return this.serial(keyOf(spec.env, spec.release), () => this.startNow(spec, 'resume'));
  }

  stop(env: string, release: string): Promise<void> {
    return this.serial(keyOf(env, release), () => this.stopNow(env, release));
  }

  async list(env?: string): Promise<readonly Instance[]> {
    const all = [...this.entries.values()].flatMap((e) => e.instances.map((i) => snapshot(e.spec, i)));
    return env === undefined ? all : all.filter((i) => i.env === env);
  }

  /** The last lines of each instance, prefixed with its id; a stopped release's from the file kept at stop. */
  async logs(env: string, release: string, lines: number): Promise<readonly string[]> {
    const entry = this.entries.get(keyOf(env, release));
    if (entry !== undefined) {
      const out: string[] = [];
      for (const i of entry.instances)
        out.push(...(await containerLogs(this.engine, i.containerId, lines)).map((l) => `${i.id} | ${l}`));
      return out;
    }
    const dir = this.logDir(env, release);
    let names: string[] = [];
    try {
      names = readdirSync(dir).filter((n) => n.endsWith('.log'));
    } catch {
      return [];
    }
    return names.sort().flatMap((name) =>
      readFileSync(join(dir, name), 'utf8')
        .split('\n')
        .filter(Boolean)
        .slice(-lines)
        .map((l) => `${name.slice(0, -4)} | ${l}`),
    );
  }

  /** Whether this runtime runs the release or found its containers (so stopping it needs the engine). */
  holds(env: string, release: string): boolean {
    const key = keyOf(env, release);
    return this.entries.has(key) || this.unclaimed.has(key);
  }

  unclaimedReleases(): { env: string; release: string }[] {
    return [...this.unclaimed.values()];
  }

  /** Stops the containers of this scope that no start claimed since the runtime was made. */
  async stopUnclaimed(stopTimeoutMs = 10_000): Promise<void> {
    for (const { env, release } of this.unclaimedReleases())
      await this.serial(keyOf(env, release), () => this.removeFound(env, release, stopTimeoutMs));
  }

  /**
   * Stops and removes every container of this scope, running or not, whoever started it (for
   * `slipway agent stop --instances`, with the agent already gone); their logs are kept as at any stop.
   */
  async stopAll(stopTimeoutMs = 10_000): Promise<{ env: string; release: string; container: string }[]> {
    const found = await this.containers({});
    const releases = new Map(
      found.map((c) => {
        const env = c.Labels[LABEL.env] ?? '';
        const release = c.Labels[LABEL.release] ?? '';
        return [keyOf(env, release), { env, release }] as const;
      }),
    );
    for (const { env, release } of releases.values()) {
      this.entries.delete(keyOf(env, release));
      await this.serial(keyOf(env, release), () => this.removeFound(env, release, stopTimeoutMs));
    }
    return found.map((c) => ({
      env: c.Labels[LABEL.env] ?? '',
      release: c.Labels[LABEL.release] ?? '',
      container: (c.Names[0] ?? c.Id).replace(/^\//, ''),
    }));
  }

  /** Stops watching; the containers keep running for the next runtime to adopt. */
  async close(): Promise<void> {
    this.monitor.stop();
  }

  private async startNow(spec: InstanceSpec, mode: 'start' | 'resume'): Promise<readonly Instance[]> {
    const where = `release ${spec.release} of ${spec.app} in ${spec.env}`;
    if (!spec.image)
      throw new AppError('USAGE', `${where}: no image to run; the container runtime runs images`);
    if (!Number.isInteger(spec.count) || spec.count < 1)
      throw new AppError(
        'USAGE',
        `${where}: instances must be a whole number of at least 1, got ${spec.count}`,
      );
    const key = keyOf(spec.env, spec.release);
    this.unclaimed.delete(key);
    const fingerprint = this.fingerprint(spec);
    const existing = this.entries.get(key);
    let kept: Tracked[] = [];
    if (existing?.fingerprint === fingerprint) {
      kept = existing.instances.filter((i) => i.index < spec.count);
      for (const i of existing.instances.filter((i) => i.index >= spec.count)) await this.remove(spec, i);
    } else if (existing !== undefined) await this.stopNow(spec.env, spec.release);

    await ensureImage(this.engine, this.address, spec.image, spec.vars);
    const found = await this.containers({ env: spec.env, release: spec.release });
    const instances: Tracked[] = [];
    const fresh: Tracked[] = [];
    for (let index = 0; index < spec.count; index++) {
      const running = kept.find((i) => i.index === index);
      if (running) {
        instances.push(running);
        continue;
      }
      const match = found.find(
        (c) => c.Labels[LABEL.index] === String(index) && c.Labels[LABEL.fingerprint] === fingerprint,
      );
      const port = Number(match?.Labels[LABEL.port]);
      const adoptable =
        match !== undefined &&
        match.State === 'running' &&
        (mode === 'resume' ||
          (await probe('127.0.0.1', port, spec.health.path, spec.health.timeoutMs, spec.health.expect)).ok);
      if (adoptable) {
        const state = await inspectState(this.engine, match.Id);
        instances.push(
          this.tracked(spec, index, match.Id, port, state?.restarts ?? 0, state?.startedAt, 'healthy'),
        );
        continue;
      }
      const taken = [...instances, ...this.allInstances()].map((i) => i.port);
      const instance = await this.create(spec, index, fingerprint, taken);
      fresh.push(instance);
      instances.push(instance);
    }
    // Containers of this release the instances above do not use (an older spec, a scale-down).
    for (const c of found)
      if (!instances.some((i) => i.containerId === c.Id))
        await stopAndRemove(this.engine, c.Id, spec.stopTimeoutMs);
    const added = instances.filter((i) => !kept.includes(i));
    this.entries.set(key, { spec, fingerprint, instances });
    if (mode === 'start' && fresh.length > 0) {
      const reasons = await Promise.all(fresh.map((i) => this.waitHealthy(spec, i)));
      const failed = fresh.findIndex((_, n) => reasons[n] !== undefined);
      if (failed >= 0) {
        const first = fresh[failed]!;
        const tail = await containerLogs(this.engine, first.containerId, 20);
        for (const i of added) await this.remove(spec, i);
        if (kept.length > 0) this.entries.set(key, { spec: existing!.spec, fingerprint, instances: kept });
        else this.entries.delete(key);
        throw new AppError(
          'INSTANCE_START_FAILED',
          `${where}: container ${first.id} of ${spec.image} did not become healthy: ${reasons[failed]}; its last log lines follow`,
          { details: tail },
        );
      }
    }
    this.monitor.ensure(spec.health.intervalMs);
    return instances.map((i) => snapshot(spec, i));
  }

  private async create(
    spec: InstanceSpec,
    index: number,
    fingerprint: string,
    taken: number[],
  ): Promise<Tracked> {
    let port = await freePort();
    for (let tries = 0; taken.includes(port) && tries < 20; tries++) port = await freePort();
    const name = containerName(this.scope, spec, index);
    const secretKeys = spec.secretKeys ?? [];
    const hidden = new Set([...secretKeys, REGISTRY_USER_VAR, REGISTRY_PASSWORD_VAR]);
    const env = Object.entries(spec.vars)
      .filter(([k]) => !hidden.has(k))
      .map(([k, v]) => `${k}=${v}`);
    const secrets = Object.fromEntries(
      secretKeys
        .filter((k) => k in spec.vars && k !== REGISTRY_USER_VAR && k !== REGISTRY_PASSWORD_VAR)
        .map((k) => [k, spec.vars[k]!]),
    );
    for (const k of Object.keys(secrets)) env.push(`${k}_FILE=${SECRETS_MOUNT}/${k}`);
    // The app listens on PORT on every interface of its container; HOST says so to apps that read it.
    env.push(`PORT=${port}`);
    if (!('HOST' in spec.vars)) env.push('HOST=0.0.0.0');
    if (!this.engineRecorded) {
      recordEngine(this.stateDir, this.address);
      this.engineRecorded = true;
    }
    const secretsDir =
      Object.keys(secrets).length > 0 ? writeSecretFiles(this.secretsRoot, name, secrets) : undefined;
    // A container of the same name (a crashed earlier try) is in the way: remove it.
    await stopAndRemove(this.engine, name, 1000).catch(() => undefined);
    try {
      const id = await createContainer(this.engine, {
        name,
        spec,
        port,
        env,
        labels: containerLabels(this.scope, spec, index, port, fingerprint),
        secretsDir,
        network: this.network,
      });
      return this.tracked(spec, index, id, port, 0, undefined, 'starting');
    } catch (error) {
      removeSecretFiles(this.secretsRoot, name);
      throw engineError(this.address, `starting ${name} from ${spec.image}`, error);
    }
  }

  /** Undefined once healthy; otherwise why not (exited, or the time ran out). */
  private async waitHealthy(spec: InstanceSpec, instance: Tracked): Promise<string | undefined> {
    const deadline = Date.now() + spec.startTimeoutMs;
    let last = 'no answer yet';
    for (;;) {
      const state = await inspectState(this.engine, instance.containerId);
      if (state === undefined) return 'the container disappeared';
      // With the restart policy, an exit may show as a restart (the exit code then reset to 0).
      if (!state.running || state.restarts > 0)
        return `the container exited${state.exitCode !== 0 ? ` with code ${state.exitCode}` : ''}${state.restarts > 0 ? ' and was restarted by the engine' : ''}${state.error ? ` (${state.error})` : ''}`;
      const result = await probe(
        '127.0.0.1',
        instance.port,
        spec.health.path,
        spec.health.timeoutMs,
        spec.health.expect,
      );
      if (result.ok) {
        instance.state = 'healthy';
        instance.pid = state.pid;
        return undefined;
      }
      last = `GET ${spec.health.path} ${result.reason}`;
      if (Date.now() > deadline) return `not healthy within ${spec.startTimeoutMs}ms (${last})`;
      await sleep(Math.min(spec.health.intervalMs, 200));
    }
  }

  private async stopNow(env: string, release: string): Promise<void> {
    const key = keyOf(env, release);
    const entry = this.entries.get(key);
    if (entry !== undefined) {
      this.entries.delete(key);
      await Promise.all(entry.instances.map((i) => this.remove(entry.spec, i)));
    }
    await this.removeFound(env, release, entry?.spec.stopTimeoutMs ?? 10_000);
    if (entry?.spec.image)
      await pruneImages(this.engine, repositoryOfImage(entry.spec.image), this.keepImages).catch(() => []);
  }

  /** Removes containers of the release found by label that no entry holds. */
  private async removeFound(env: string, release: string, stopTimeoutMs: number): Promise<void> {
    this.unclaimed.delete(keyOf(env, release));
    for (const c of await this.containers({ env, release })) {
      const name = (c.Names[0] ?? '').replace(/^\//, '');
      const id = instanceId({ app: c.Labels[LABEL.app] ?? '', env, release }, Number(c.Labels[LABEL.index]));
      await this.keepLogs(env, release, id, c.Id, readSecretFiles(this.secretsRoot, name));
      await stopAndRemove(this.engine, c.Id, stopTimeoutMs);
      removeSecretFiles(this.secretsRoot, name);
    }
  }

  private async remove(spec: InstanceSpec, instance: Tracked): Promise<void> {
    instance.state = 'stopping';
    await this.keepLogs(spec.env, spec.release, instance.id, instance.containerId, secretsOf(spec));
    await stopAndRemove(this.engine, instance.containerId, spec.stopTimeoutMs);
    removeSecretFiles(this.secretsRoot, containerName(this.scope, spec, instance.index));
    instance.state = 'stopped';
  }

  /**
   * The output of a container about to be removed, kept for `slipway logs` of a stopped release,
   * redacted as it is written (the process runtime's log files are too): `secrets` are the spec's,
   * or, for a container found by label, the values in its secret files, still there at this point.
   */
  private async keepLogs(
    env: string,
    release: string,
    id: string,
    containerId: string,
    secrets: ReadonlyMap<string, string>,
  ): Promise<void> {
    const raw = await containerLogs(this.engine, containerId, 1000);
    if (raw.length === 0) return;
    const redactor = new Redactor(secrets);
    const lines = raw.map((line) => redactor.redact(line));
    const dir = this.logDir(env, release);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    writeFileSync(join(dir, `${id}.log`), `${lines.join('\n')}\n`, { mode: 0o600 });
  }

  private async containers(filter: { env?: string; release?: string }) {
    const label = [`${LABEL.scope}=${this.scope}`];
    if (filter.env !== undefined) label.push(`${LABEL.env}=${filter.env}`);
    if (filter.release !== undefined) label.push(`${LABEL.release}=${filter.release}`);
    try {
      return await this.engine.listContainers({ all: true, filters: { label } });
    } catch (error) {
      throw engineError(this.address, 'listing containers', error);
    }
  }

  private tracked(
    spec: InstanceSpec,
    index: number,
    containerId: string,
    port: number,
    restarts: number,
    startedAt: string | undefined,
    state: Tracked['state'],
  ): Tracked {
    return {
      id: instanceId(spec, index),
      index,
      containerId,
      port,
      pid: null,
      state,
      restarts,
      startedAt: startedAt && !startedAt.startsWith('0001') ? startedAt : new Date().toISOString(),
    };
  }

  private allInstances(): Tracked[] {
    return [...this.entries.values()].flatMap((e) => e.instances);
  }

  private logDir(env: string, release: string): string {
    return join(this.stateDir, 'logs', safe(env), safe(release));
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
}

/** What a container's kept log must not hold: its secrets and credential-named vars, as the process runtime's. */
function secretsOf(spec: InstanceSpec): Map<string, string> {
  const out = secretValues(spec);
  for (const key of spec.secretKeys ?? []) {
    const value = spec.vars[key];
    if (value) out.set(key, value);
  }
  return out;
}

function snapshot(spec: InstanceSpec, i: Tracked): Instance {
  return {
    id: i.id,
    release: spec.release,
    env: spec.env,
    host: '127.0.0.1',
    port: i.port,
    pid: i.pid,
    state: i.state,
    restarts: i.restarts,
    startedAt: i.startedAt,
  };
}
