/**
 * The data-plane agent: holds the desired state of each environment, makes the runtime and the
 * router match it, and restores it after its own restart (re-adopting instances that still run).
 * It works without the control plane; the control plane only sends it new desired states.
 */
import { addressOf } from '../domain/address.ts';
import { AppError, isAppError } from '../domain/errors.ts';
import type { Instance, InstanceSpec, Runtime } from '../runtime/contract.ts';
import { looksLikeSecretName } from '../secrets/key-names.ts';
import { Redactor } from '../secrets/redact.ts';
import type { RouteState, TrafficRouter } from '../traffic/contract.ts';
import { writeLedger } from './proxy-ledger.ts';
import { RouterPool } from './routers.ts';
import {
  AgentStateFile,
  type DesiredEnv,
  type DesiredRelease,
  type EnvBody,
  type EnvBodyInput,
  type EnvRecord,
  envBodySchema,
  envNameSchema,
  instanceSpec,
  keepSecretValues,
  parseBody,
  routeState,
} from './state.ts';
import { type EnvStatus, envStatus } from './status.ts';

export type { EnvStatus, ReleaseStatus } from './status.ts';

export type LogLevel = 'info' | 'warn' | 'error';

export interface Clock {
  now(): number;
}

export interface AgentOptions {
  readonly runtime: Runtime;
  /** One router for every environment whatever its driver (tests); otherwise `routers`. */
  readonly router?: TrafficRouter;
  /** The routers by driver (`router.driver` in the desired state); default: the traffic factory. */
  readonly routers?: RouterPool;
  readonly stateDir: string;
  /** The admin API's bearer token (see token.ts). */
  readonly token: string;
  readonly clock?: Clock;
  /** Where the agent reports what it does; default: nowhere. */
  readonly log?: (line: string, level?: LogLevel) => void;
  /** How often an environment that could not be restored is tried again; default 10s. */
  readonly retryMs?: number;
  /** How often the proxy processes (HAProxy, nginx) are checked and restarted if dead; default 1s. */
  readonly superviseMs?: number;
}

/** Optional capabilities of a runtime used on restore (the process runtime has both). */
interface Restorable {
  /** Adopt or start without failing on health (see ProcessRuntime.resume). */
  resume(spec: InstanceSpec): Promise<readonly Instance[]>;
  /** Stop instances left by an earlier run that nothing claims. */
  stopUnclaimed(stopTimeoutMs?: number): Promise<void>;
  /** Releases with instances left by an earlier run that nothing claimed (yet). */
  unclaimedReleases(): { env: string; release: string }[];
}

export class Agent {
  readonly token: string;
  readonly runtime: Runtime;
  readonly routers: RouterPool;
  private readonly state: AgentStateFile;
  private readonly stateDir: string;
  /** The driver each environment's routing is applied with now (to move it when the driver changes). */
  private readonly applied = new Map<string, string>();
  private superviseTimer: NodeJS.Timeout | undefined;
  /** Environments whose dead proxy could not be started again yet (e.g. its port still held): tried every tick. */
  private readonly proxyDown = new Set<string>();
  private readonly superviseMs: number;
  private readonly clock: Clock;
  private readonly log: (line: string, level?: LogLevel) => void;
  private readonly errors = new Map<string, string>();
  /** The routing last applied per environment, to take instances out of rotation before they stop. */
  private readonly routes = new Map<string, RouteState>();
  private queue: Promise<unknown> = Promise.resolve();
  private retireTimer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private readonly retryMs: number;
  private closed = false;

  constructor(options: AgentOptions) {
    this.runtime = options.runtime;
    this.routers = options.routers ?? new RouterPool(options.router ? { fixed: options.router } : {});
    this.superviseMs = options.superviseMs ?? 1_000;
    this.token = options.token;
    this.clock = options.clock ?? Date;
    const log = options.log ?? (() => {});
    // App output quoted in errors (a failed start's last log lines) may hold a secret.
    this.log = (line, level) => log(this.redact(line), level);
    this.retryMs = options.retryMs ?? 10_000;
    this.state = new AgentStateFile(options.stateDir);
    this.stateDir = options.stateDir;
  }

  /**
   * Brings back every environment of the state file: `runtime.start` adopts the instances that
   * still run and are healthy and restarts the others; then the routes are applied again. An
   * environment that fails stays in the state (and is reported in its status) and others go on.
   */
  restore(): Promise<void> {
    return this.serial(async () => {
      const runtime = this.runtime as Partial<Restorable>;
      for (const record of this.state.all()) {
        try {
          await this.applyNow(record.desired, true);
          this.log(`${this.served(record.desired)} (restored)`);
        } catch (error) {
          this.errors.set(record.desired.env, this.redact((error as Error).message));
          this.log(`could not restore ${record.desired.env}: ${(error as Error).message}`, 'warn');
        }
      }
      this.planRetire();
      const orphans = runtime.unclaimedReleases?.() ?? [];
      if (this.state.lost !== undefined && orphans.length > 0) {
        // The desired state is gone, not the instances: they keep serving (and their listeners,
        // under a supervisor, stay open) until the control plane says again what should run.
        const list = orphans.map((o) => `${o.env} ${o.release}`).join(', ');
        this.log(
          `${this.state.lost}. Running instances are kept, not stopped (${list}); run \`slipway agent rebuild\` in the project to rebuild the desired state from the control plane's store and route them again`,
          'error',
        );
      } else if (typeof runtime.stopUnclaimed === 'function') await runtime.stopUnclaimed();
      this.planRetry();
      this.planSupervise();
    });
  }

  /** The router serving `env` (its desired driver's). */
  async routerOf(env: string): Promise<TrafficRouter> {
    const record = this.require(env);
    return this.routers.get(record.desired.driver, env);
  }

  /** Every router's metrics in Prometheus text (the drivers that keep any). */
  async prometheus(): Promise<string> {
    const routers = await this.routers.all();
    const texts = routers.map(
      (r) => (r as { prometheus?: () => string | Promise<string> }).prometheus?.() ?? '',
    );
    return (await Promise.all(texts)).join('');
  }

  /**
   * Watches the proxy processes of external drivers: one that died is started again with the
   * environment's last routing, so an HAProxy or nginx crash costs seconds, not the environment.
   */
  private planSupervise(): void {
    clearTimeout(this.superviseTimer);
    if (this.closed) return;
    this.superviseTimer = setTimeout(() => {
      void this.serial(() => this.superviseNow())
        .catch(this.logError)
        .finally(() => this.planSupervise());
    }, this.superviseMs);
    this.superviseTimer.unref();
  }

  private async superviseNow(): Promise<void> {
    for (const [env, route] of this.routes) {
      const driver = this.applied.get(env);
      const router = await this.routers.get(driver, env);
      const retry = this.proxyDown.has(env);
      if (!retry && !RouterPool.isDown(router, env)) continue;
      if (!retry) this.log(`the ${router.name} proxy of ${env} died; starting it again`);
      try {
        await router.remove(env);
        await router.apply(route);
        this.proxyDown.delete(env);
        this.errors.delete(env);
        this.log(`restarted the ${router.name} proxy of ${env}`);
      } catch (error) {
        this.proxyDown.add(env);
        this.errors.set(env, this.redact(`${router.name} proxy restart failed: ${(error as Error).message}`));
      }
    }
  }

  /** Environments whose restore failed (e.g. their listener port was taken) are tried again until they work. */
  private planRetry(): void {
    clearTimeout(this.retryTimer);
    if (this.errors.size === 0 || this.closed) return;
    this.retryTimer = setTimeout(() => {
      void this.serial(async () => {
        for (const env of [...this.errors.keys()]) {
          const record = this.state.get(env);
          if (record === undefined) continue;
          try {
            await this.applyNow(record.desired, true);
            this.log(`${this.served(record.desired)} (restored on retry)`);
          } catch (error) {
            this.errors.set(env, this.redact((error as Error).message));
          }
        }
        this.planRetry();
      }).catch(this.logError);
    }, this.retryMs);
    this.retryTimer.unref();
  }

  /** Makes `body` the desired state of `env`: starts new releases, routes, then stops releases no longer listed. */
  putEnv(env: string, body: EnvBodyInput): Promise<EnvStatus> {
    const envName = envNameSchema.safeParse(env);
    if (!envName.success)
      throw new AppError('USAGE', `environment name "${env}": ${envName.error.issues[0]?.message}`);
    const parsed = parseBody(envBodySchema, body, `desired state of ${env}`);
    return this.serial(() => this.putEnvNow(env, parsed)).catch((error: unknown) => {
      // A release that failed to start is not held, so its secrets are named here for the redaction.
      throw this.redactError(error, parsed.releases);
    });
  }

  /** `error` with every secret value of the held environments and of `also` hidden. */
  private redactError(error: unknown, also: readonly DesiredRelease[]): AppError {
    const hide = (text: string) => this.redact(text, also);
    if (isAppError(error)) {
      return new AppError(error.code, hide(error.message), { details: error.details.map(hide) });
    }
    return new AppError('INTERNAL', hide(`agent error: ${(error as Error).message}`));
  }

  /** The desired state of an environment as last accepted (config values included), or undefined. */
  async desired(env: string): Promise<DesiredEnv | undefined> {
    return this.state.get(env)?.desired;
  }

  /** Changes only the weights (the fast path of a cutover); every release named must be in the desired state. */
  async setWeights(env: string, weights: Readonly<Record<string, number>>): Promise<EnvStatus> {
    // The answer waits until the state file holds the change; the queue of changes does not: a
    // weight change right behind this one (a rollback during a canary step) reaches the router
    // without waiting for this one's fsync, and a newer state replaces a write not started yet.
    const { written, status } = await this.serial(async () => {
      const record = this.require(env);
      for (const release of Object.keys(weights)) {
        if (!record.desired.releases.some((r) => r.release === release)) {
          throw new AppError(
            'RELEASE_NOT_FOUND',
            `weights.${release}: no release ${release} in environment ${env}`,
          );
        }
      }
      const releases = record.desired.releases.map(({ retireAt, ...r }) => {
        const weight = weights[r.release] ?? 0;
        // A release that takes traffic again is no longer being retired.
        return weight > 0 || retireAt === undefined ? { ...r, weight } : { ...r, weight, retireAt };
      });
      const total = releases.reduce((sum, r) => sum + r.weight, 0);
      if (Math.abs(total - 100) > 1e-9)
        throw new AppError('USAGE', `weights: must add up to 100, got ${total}`);
      const router = await this.routers.get(record.desired.driver, env);
      await router.setWeights(env, Object.fromEntries(releases.map((r) => [r.release, r.weight])));
      // The router has the new split: let it route what already waits before the bookkeeping below
      // (sealing and serializing the state, the status) takes the event loop.
      await new Promise<void>((resolve) => setImmediate(resolve));
      const route = this.routes.get(env);
      if (route) {
        const weight = new Map(releases.map((r) => [r.release, r.weight]));
        this.routes.set(env, {
          ...route,
          releases: route.releases.map((r) => ({ ...r, weight: weight.get(r.release) ?? 0 })),
        });
      }
      const written = this.hold({ ...record.desired, releases }, await this.runtime.list(env));
      return { written, status: await this.statusOf(env) };
    });
    await written;
    return status;
  }

  /** Stops routing the environment and stops all its instances. */
  deleteEnv(env: string): Promise<void> {
    return this.serial(async () => {
      const record = this.require(env);
      await (await this.routers.get(this.applied.get(env) ?? record.desired.driver, env)).remove(env);
      this.routes.delete(env);
      this.applied.delete(env);
      this.proxyDown.delete(env);
      for (const r of record.desired.releases) await this.runtime.stop(env, r.release);
      this.errors.delete(env);
      await this.state.delete(env);
    });
  }

  async status(env?: string): Promise<EnvStatus[]> {
    const envs =
      env === undefined ? this.state.all().map((r) => r.desired.env) : [this.require(env).desired.env];
    return Promise.all(envs.map((name) => this.statusOf(name)));
  }

  async logs(env: string, release: string, lines: number): Promise<readonly string[]> {
    const record = this.require(env);
    if (!record.desired.releases.some((r) => r.release === release)) {
      throw new AppError('RELEASE_NOT_FOUND', `no release ${release} in environment ${env}`);
    }
    return this.runtime.logs(env, release, lines);
  }

  /** Stops serving: closes the router and leaves the instances running for the next agent to adopt. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retireTimer);
    clearTimeout(this.retryTimer);
    clearTimeout(this.superviseTimer);
    await this.queue.catch(() => undefined);
    // A weight change answers after its write but leaves the queue before it: wait for the file too.
    await this.state.settled();
    await this.routers.close();
    await this.runtime.close();
  }

  private async putEnvNow(env: string, body: EnvBody): Promise<EnvStatus> {
    const previous = this.state.get(env);
    const desired: DesiredEnv = { ...keepSecretValues(body, previous?.desired), env };
    try {
      await this.applyNow(desired);
    } catch (error) {
      // Keep serving the previous state: stop only what this attempt added, and bring back a
      // release whose changed spec replaced its instances before the new ones failed.
      for (const r of desired.releases) {
        if (!previous?.desired.releases.some((p) => p.release === r.release))
          await this.runtime.stop(env, r.release);
      }
      if (previous !== undefined) {
        await this.applyNow(previous.desired).catch((again: Error) => {
          this.errors.set(env, this.redact(`previous state could not be brought back: ${again.message}`));
        });
      }
      throw error;
    }
    for (const r of previous?.desired.releases ?? []) {
      if (!desired.releases.some((d) => d.release === r.release)) await this.runtime.stop(env, r.release);
    }
    const before = previous && addressOf(previous.desired.listen);
    if (before !== addressOf(desired.listen)) this.log(this.served(desired));
    await this.record(desired);
    return this.statusOf(env);
  }

  private async applyNow(desired: DesiredEnv, restoring = false): Promise<void> {
    const runtime = this.runtime as Partial<Restorable>;
    const router = await this.routers.get(desired.driver, desired.env);
    const before = this.applied.get(desired.env);
    if (before !== undefined && before !== (desired.driver ?? 'builtin')) {
      // Another driver takes the environment: the old one frees the listener first (a short gap).
      await (await this.routers.get(before, desired.env)).remove(desired.env);
      this.routes.delete(desired.env);
      this.applied.delete(desired.env);
    }
    await this.drainSurplus(desired, router);
    for (const r of desired.releases) {
      const spec = instanceSpec(desired.env, r);
      // Restoring must keep serving what still runs, even if a replacement instance is slow to boot.
      if (restoring && typeof runtime.resume === 'function') await runtime.resume(spec);
      else await this.runtime.start(spec);
    }
    const instances = await this.runtime.list(desired.env);
    const route = routeState(desired, instances);
    await router.apply(route);
    this.routes.set(desired.env, route);
    this.applied.set(desired.env, desired.driver ?? 'builtin');
    this.errors.delete(desired.env);
  }

  /**
   * A release scaled down loses its highest-numbered instances (the runtime keeps indexes below the
   * new count). Take those out of rotation first, so they drain before they are stopped instead of
   * relying on the router's retry of a refused connection.
   */
  private async drainSurplus(desired: DesiredEnv, router: TrafficRouter): Promise<void> {
    const last = this.routes.get(desired.env);
    if (last === undefined) return;
    const count = new Map(desired.releases.map((r) => [r.release, r.count]));
    const surplus = (release: string, id: string) => {
      const keep = count.get(release);
      const index = Number(/-(\d+)$/.exec(id)?.[1] ?? Number.NaN);
      return keep !== undefined && Number.isInteger(index) && index >= keep;
    };
    if (!last.releases.some((r) => r.backends.some((b) => surplus(r.release, b.id)))) return;
    const drained: RouteState = {
      ...last,
      releases: last.releases.map((r) => ({
        ...r,
        backends: r.backends.filter((b) => !surplus(r.release, b.id)),
      })),
    };
    await router.apply(drained);
    this.routes.set(desired.env, drained);
  }

  /** Arms one timer for the earliest `retireAt` of a release at weight 0 (they are kept warm until then). */
  private planRetire(): void {
    clearTimeout(this.retireTimer);
    const due = this.state
      .all()
      .flatMap((r) => r.desired.releases.filter((d) => d.weight === 0 && d.retireAt !== undefined))
      .map((d) => Date.parse(d.retireAt!));
    if (due.length === 0 || this.closed) return;
    const delay = Math.min(2 ** 31 - 1, Math.max(0, Math.min(...due) - this.clock.now()));
    this.retireTimer = setTimeout(() => void this.serial(() => this.retireDue()).catch(this.logError), delay);
    this.retireTimer.unref();
  }

  private async retireDue(): Promise<void> {
    const now = this.clock.now();
    for (const record of this.state.all()) {
      const { desired } = record;
      const due = (r: DesiredRelease) =>
        r.weight === 0 && r.retireAt !== undefined && Date.parse(r.retireAt) <= now;
      if (!desired.releases.some(due)) continue;
      const { env: _env, ...body } = desired;
      await this.putEnvNow(desired.env, { ...body, releases: desired.releases.filter((r) => !due(r)) });
      this.log(`retired ${desired.releases.filter(due).map((r) => r.release)} of ${desired.env}`);
    }
    this.planRetire();
  }

  /** Hide the values of the secret vars (and credential-named ones) of every environment held, and of `also`. */
  redact(text: string, also: readonly DesiredRelease[] = []): string {
    return this.redactor(also)(text);
  }

  /** One redactor for many lines (a log tail, a follow), over the secrets held now and `also`'s. */
  redactor(also: readonly DesiredRelease[] = []): (text: string) => string {
    const secrets = new Map<string, string>();
    const held = (this.state?.all() ?? []).flatMap((record) => record.desired.releases);
    for (const r of [...held, ...also])
      for (const [key, value] of Object.entries(r.vars))
        if (r.secretKeys?.includes(key) || looksLikeSecretName(key))
          secrets.set(`${key}#${secrets.size}`, value);
    if (secrets.size === 0) return (text) => text;
    const redactor = new Redactor(secrets);
    return (text) => redactor.redact(text).replace(/\[redacted:([A-Za-z0-9_]+)#\d+\]/g, '[redacted:$1]');
  }

  private readonly logError = (error: unknown) => this.log(`error: ${(error as Error).message}`, 'error');

  /** "staging → http://127.0.0.1:4101" */
  private served(desired: DesiredEnv): string {
    return `${desired.env} → ${addressOf(desired.listen)}`;
  }

  /** Holds `desired` and resolves once the state file holds it too. */
  private async record(desired: DesiredEnv): Promise<void> {
    await this.hold(desired, await this.runtime.list(desired.env));
  }

  /**
   * Holds `desired` in memory now (status and the next change see it at once); the promise
   * resolves once the state file holds it (or a newer state) and rejects if that write failed.
   * Nobody may await it yet, so its rejection is marked handled here; the caller still gets it.
   */
  private hold(desired: DesiredEnv, instances: readonly Instance[]): Promise<void> {
    const written = this.state.put({
      desired,
      instances,
      updatedAt: new Date(this.clock.now()).toISOString(),
    });
    written.catch(() => undefined);
    this.planRetire();
    if (this.superviseTimer === undefined) this.planSupervise();
    return written;
  }

  private require(env: string): EnvRecord {
    const record = this.state.get(env);
    if (record === undefined) throw new AppError('ENV_NOT_FOUND', `the agent runs no environment ${env}`);
    return record;
  }

  private async statusOf(env: string): Promise<EnvStatus> {
    return envStatus(this.require(env), await this.runtime.list(env), this.errors.get(env));
  }

  /** One change at a time: orders arrive concurrently over HTTP. */
  /** Every change runs in turn; after each, the proxy ledger records which proxies run now. */
  private serial<T>(change: () => Promise<T>): Promise<T> {
    const run = () =>
      change().finally(async () => {
        if (!this.closed) writeLedger(this.stateDir, await this.routers.proxies());
      });
    const next = this.queue.then(run, run);
    this.queue = next.catch(() => undefined);
    return next;
  }
}

export function createAgent(options: AgentOptions): Agent {
  return new Agent(options);
}
