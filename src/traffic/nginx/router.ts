/**
 * The nginx traffic driver: one nginx master per environment, run as a child process with its
 * own prefix folder. The release and backend of each request are picked by njs (route.js) from a
 * routes file the driver replaces atomically, so a new release, its backends, a weight change and
 * a health change are a file write and never reload nginx: no client connection is closed by a
 * deployment, a cutover or a rollback (config.ts says what that costs). Only a new listen address
 * re-renders nginx.conf and reloads gracefully (SIGHUP), which closes idle kept-alive client
 * connections; `lastReloadMs` and `reloads` report it. Open-source nginx has no active health
 * checks, so with `RouteState.health` the driver checks the backends itself: a backend that
 * answers its check with a failure or refuses connections leaves the routes file; until then
 * nginx's retry (another backend) hides it.
 *
 * Needs nginx's njs module (Debian: libnginx-mod-http-js).
 *
 * @example
 * const router = new NginxRouter({ binary: 'nginx' });
 * await router.apply(state); await router.setWeights('production', { v1: 75, v2: 25 });
 */
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AppError } from '../../domain/errors.ts';
import { writeFileAtomic } from '../../runtime/atomic-file.ts';
import type { RouterCapabilities, RouteState, TrafficRouter } from '../contract.ts';
import { httpProbe, type Probe } from '../health.ts';
import { KeyedSerial } from '../serial.ts';
import { validateRouteState, withWeights } from '../validate.ts';
import { renderNginx, renderRoutes } from './config.ts';
import { findNjsModule } from './njs-module.ts';
import { NginxProcess } from './process.ts';

export interface NginxOptions {
  readonly binary?: string;
  /** Where each environment's prefix folder lives; default: a temp folder. */
  readonly stateDir?: string;
  /** nginx worker_processes; default 1. */
  readonly workers?: number;
  /** Told each proxy process as it is spawned, before it is ready (the agent's proxy ledger). */
  /** Told each process as it is spawned, with the folder that holds its files (removed when it is ended for good). */
  readonly onStart?: (env: string, pid: number, dir: string) => void;
  /** Path of ngx_http_js_module.so; default: found from `nginx -V` (null: njs is compiled in). */
  readonly jsModule?: string | null;
  /** How long a backend may take to answer before an idempotent request is tried on another; default 3600 s. */
  readonly answerTimeoutMs?: number;
}

interface EnvNginx {
  readonly dir: string;
  readonly process: NginxProcess;
  state: RouteState;
  config: string;
  /** Config generation: nginx.conf of generation n reads routes-<n>.json. */
  generation: number;
  routes: string;
  /** Backends (`host:port`) that answered their last health check with a failure: out of the routes file. */
  down: ReadonlySet<string>;
  /** Backends that refused or reset the connection: nothing listens (killed, not started yet); out of the routes file too. */
  gone: ReadonlySet<string>;
  timer?: NodeJS.Timeout;
}

/** Backends failing their health check (`down`) and refusing or resetting connections (`gone`), as `host:port`. */
interface Health {
  readonly down: ReadonlySet<string>;
  readonly gone: ReadonlySet<string>;
}

const NAME = /^[A-Za-z0-9._:@+-]+$/;
const SCRIPT = fileURLToPath(new URL('./route.js', import.meta.url));

const routesFile = (dir: string, generation: number) => join(dir, `routes-${generation}.json`);

/**
 * Replace `path` atomically: a reader sees the old file or the new one, never half of one.
 * World-readable whatever the umask: nginx workers read it as an unprivileged user.
 */
function writeAtomic(path: string, text: string): void {
  writeFileAtomic(path, text, { mode: 0o644, durable: false });
  // The mode given at creation is narrowed by the umask; nginx must be able to read it.
  chmodSync(path, 0o644);
}

export class NginxRouter implements TrafficRouter {
  readonly name = 'nginx';
  readonly capabilities: RouterCapabilities = {
    stickiness: true,
    preview: true,
    metrics: false,
    websockets: true,
  };
  /** Milliseconds the last graceful reload took (SIGHUP until the new workers run). */
  lastReloadMs: number | undefined;
  /** Graceful reloads so far, all environments (weight changes do not reload). */
  reloads = 0;
  private readonly envs = new Map<string, EnvNginx>();
  private readonly queue = new KeyedSerial();
  private readonly options: NginxOptions;
  private readonly root: string;
  private jsModule: string | null | undefined;

  constructor(options: NginxOptions = {}) {
    this.options = options;
    this.jsModule = options.jsModule;
    if (options.stateDir) mkdirSync(options.stateDir, { recursive: true });
    this.root = mkdtempSync(join(options.stateDir ?? tmpdir(), 'slipway-nginx-'));
    // nginx workers run as an unprivileged user when nginx starts as root: they must reach the folder.
    chmodSync(this.root, 0o755);
  }

  // async: a refused state rejects like every other failure, never throws synchronously.
  async apply(state: RouteState): Promise<void> {
    validateRouteState(state);
    for (const r of state.releases) {
      if (!NAME.test(r.release)) {
        throw new AppError(
          'TRAFFIC_ROUTE_INVALID',
          `env "${state.env}": release "${r.release}" has characters an nginx map cannot hold; use letters, digits and . _ : @ + -`,
        );
      }
    }
    return this.queue.run(state.env, () => this.write(state, true));
  }

  async setWeights(env: string, weights: Readonly<Record<string, number>>): Promise<void> {
    const current = this.envs.get(env);
    const releases = withWeights(current?.state, env, weights);
    await this.queue.run(env, () => this.write({ ...current!.state, releases }, false));
  }

  /** Backends of `state` that fail their health check now (none without `state.health`). */
  private async unhealthy(state: RouteState): Promise<Health> {
    const health = state.health;
    if (!health) return { down: new Set(), gone: new Set() };
    const all = state.releases.flatMap((r) => r.backends);
    const results = await Promise.all(
      all.map((b) => httpProbe(b.host, b.port, health.path, health.timeoutMs, health.expect)),
    );
    const keys = (probe: Probe) =>
      new Set(all.flatMap((b, i) => (results[i] === probe ? [`${b.host}:${b.port}`] : [])));
    return { down: keys('failing'), gone: keys('gone') };
  }

  /**
   * Render the config and the routes. Same config: replace the routes file of the running
   * generation (a weight change; no reload). Otherwise write the next generation's routes and
   * config, check (on apply) and start or reload. On apply the backends are health-checked
   * first, so an unhealthy one is `down` from the start.
   */
  private async write(state: RouteState, check: boolean, health?: Health): Promise<void> {
    const existing = this.envs.get(state.env);
    const { down, gone } = health ?? (check || !existing ? await this.unhealthy(state) : existing);
    const dir = existing?.dir ?? join(this.root, state.env.replace(/[^A-Za-z0-9_-]/g, '_'));
    if (this.jsModule === undefined) this.jsModule = findNjsModule(this.options.binary ?? 'nginx');
    const render = (generation: number) =>
      renderNginx({
        dir,
        workers: this.options.workers ?? 1,
        state,
        jsModule: this.jsModule ?? null,
        script: join(dir, 'route.js'),
        routes: routesFile(dir, generation),
        ...(this.options.answerTimeoutMs !== undefined && { answerTimeoutMs: this.options.answerTimeoutMs }),
      });
    const routes = renderRoutes(state, new Set([...down, ...gone]));
    if (existing && existing.config === render(existing.generation)) {
      if (existing.routes !== routes) writeAtomic(routesFile(dir, existing.generation), routes);
      Object.assign(existing, { state, down, gone, routes });
      this.watch(existing);
      return;
    }
    const generation = (existing?.generation ?? 0) + 1;
    const config = render(generation);
    mkdirSync(join(dir, 'tmp'), { recursive: true });
    chmodSync(dir, 0o755);
    copyFileSync(SCRIPT, join(dir, 'route.js'));
    writeAtomic(routesFile(dir, generation), routes);
    writeFileSync(join(dir, 'nginx.conf'), config);
    const process = existing?.process ?? new NginxProcess(this.options.binary ?? 'nginx', dir);
    if (check || !existing) process.test();
    if (existing) {
      this.lastReloadMs = await process.reload();
      this.reloads++;
      // Workers of the generation before may still be finishing; older ones are gone.
      rmSync(routesFile(dir, generation - 2), { force: true });
      Object.assign(existing, { state, config, generation, routes, down, gone });
      this.watch(existing);
      return;
    }
    try {
      await process.start(
        this.options.onStart && ((pid) => this.options.onStart?.(state.env, pid, this.root)),
      );
    } catch (err) {
      await process.stop(0);
      throw err;
    }
    const env: EnvNginx = { dir, process, state, config, generation, routes, down, gone };
    this.envs.set(state.env, env);
    this.watch(env);
  }

  /** Active health checks every `health.intervalMs`; a change of the down set rewrites the routes file. */
  private watch(env: EnvNginx): void {
    clearInterval(env.timer);
    env.timer = undefined;
    const health = env.state.health;
    if (!health) return;
    let running = false;
    env.timer = setInterval(() => {
      if (running) return;
      running = true;
      void this.unhealthy(env.state)
        .then((now) => {
          const same = (a: ReadonlySet<string>, b: ReadonlySet<string>) =>
            a.size === b.size && [...a].every((k) => b.has(k));
          if (
            (!same(now.down, env.down) || !same(now.gone, env.gone)) &&
            this.envs.get(env.state.env) === env
          ) {
            return this.queue.run(env.state.env, () => this.write(env.state, false, now));
          }
        })
        .catch(() => {})
        .finally(() => {
          running = false;
        });
    }, health.intervalMs);
    env.timer.unref();
  }

  /** PID of the environment's nginx master (benchmarks read its CPU time). */
  /** True when the environment's proxy process died on its own (the agent restarts it). */
  down(env: string): boolean {
    return this.envs.get(env)?.process.gone === true;
  }

  pidOf(env: string): number | undefined {
    return this.envs.get(env)?.process.pid;
  }

  async remove(env: string): Promise<void> {
    await this.queue.run(env, async () => {
      const nginx = this.envs.get(env);
      this.envs.delete(env);
      if (!nginx) return;
      clearInterval(nginx.timer);
      await nginx.process.stop();
      rmSync(nginx.dir, { recursive: true, force: true });
    });
  }

  async close(): Promise<void> {
    await Promise.all([...this.envs.keys()].map((env) => this.remove(env)));
    rmSync(this.root, { recursive: true, force: true });
  }
}
