/**
 * The HAProxy traffic driver: one HAProxy child process per environment, configured with
 * pre-allocated release and server slots (config.ts) and changed through the runtime API with no
 * reload: server addresses, weights, enable/disable and the preview/sticky maps. Only a change of
 * structure (more slots, listen address, stickiness, preview header, health check) rewrites the
 * config and reloads HAProxy gracefully.
 *
 * @example
 * const router = new HaproxyRouter({ binary: 'haproxy' });
 * await router.apply(state); await router.setWeights('production', { v1: 75, v2: 25 });
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppError } from '../../domain/errors.ts';
import type { RouterCapabilities, RouteState, TrafficRouter } from '../contract.ts';
import { KeyedSerial } from '../serial.ts';
import { SlotTable } from '../slots.ts';
import { validateRouteState, withWeights } from '../validate.ts';
import {
  allServer,
  type RenderInput,
  renderConfig,
  type Structure,
  sameStructure,
  serverWeight,
  slotServer,
  stickyRanges,
  structureOf,
} from './config.ts';
import { HaproxyProcess } from './process.ts';
import { runtimeBatch, showStat } from './runtime-api.ts';

export interface HaproxyOptions {
  readonly binary?: string;
  /** Where each environment's config, maps and admin socket live; default: a temp folder. */
  readonly stateDir?: string;
  /** HAProxy worker threads (nbthread); default 1. */
  readonly threads?: number;
  /** Told each proxy process as it is spawned, before it is ready (the agent's proxy ledger). */
  /** Told each process as it is spawned, with the folder that holds its files (removed when it is ended for good). */
  readonly onStart?: (env: string, pid: number, dir: string) => void;
}

interface EnvProxy {
  readonly dir: string;
  readonly process: HaproxyProcess;
  structure: Structure;
  state: RouteState;
  /** What HAProxy holds now: release and server slots. */
  readonly slots: SlotTable;
}

const NAME = /^[A-Za-z0-9._:@+-]+$/;

export class HaproxyRouter implements TrafficRouter {
  readonly name = 'haproxy';
  readonly capabilities: RouterCapabilities = {
    stickiness: true,
    preview: true,
    metrics: false,
    websockets: true,
  };
  private readonly envs = new Map<string, EnvProxy>();
  private readonly queue = new KeyedSerial();
  private readonly options: HaproxyOptions;
  private readonly root: string;

  constructor(options: HaproxyOptions = {}) {
    this.options = options;
    if (options.stateDir) mkdirSync(options.stateDir, { recursive: true });
    this.root = mkdtempSync(join(options.stateDir ?? tmpdir(), 'slipway-haproxy-'));
  }

  // async: a refused state rejects like every other failure, never throws synchronously.
  async apply(state: RouteState): Promise<void> {
    validateRouteState(state);
    for (const r of state.releases) {
      if (!NAME.test(r.release)) {
        throw new AppError(
          'TRAFFIC_ROUTE_INVALID',
          `env "${state.env}": release "${r.release}" has characters HAProxy maps cannot hold; use letters, digits and . _ : @ + -`,
        );
      }
    }
    return this.queue.run(state.env, () => this.applyNow(state));
  }

  private async applyNow(state: RouteState): Promise<void> {
    const env = this.envs.get(state.env);
    if (!env) {
      await this.start(state);
      return;
    }
    const structure = structureOf(state, env.structure.releaseSlots, env.structure.serverSlots);
    if (!sameStructure(structure, env.structure)) {
      // Structural change: render everything (contents included) and reload without dropping requests.
      env.slots.assign(state, { releases: structure.releaseSlots, servers: structure.serverSlots });
      env.structure = structure;
      env.state = state;
      this.writeFiles(env, true);
      await env.process.reload();
      return;
    }
    await this.sync(env, state);
  }

  private async start(state: RouteState): Promise<void> {
    const dir = join(this.root, state.env.replace(/[^A-Za-z0-9_-]/g, '_'));
    mkdirSync(dir, { recursive: true });
    const structure = structureOf(state);
    const slots = new SlotTable();
    const empty: RouteState = { ...state, releases: [] };
    const env: EnvProxy = { dir, structure, state: empty, slots, process: undefined as never };
    this.writeFiles(env, false);
    const binary = this.options.binary ?? 'haproxy';
    const process = new HaproxyProcess(
      binary,
      join(dir, 'haproxy.cfg'),
      this.socket(env),
      join(dir, 'haproxy.log'),
    );
    if (process.pid !== undefined) this.options.onStart?.(state.env, process.pid, this.root);
    const started: EnvProxy = { ...env, process };
    try {
      await process.ready();
    } catch (err) {
      await process.stop(0);
      throw err;
    }
    this.envs.set(state.env, started);
    await this.sync(started, state);
  }

  private socket(env: { dir: string }): string {
    return join(env.dir, 'admin.sock');
  }

  private writeFiles(env: Omit<EnvProxy, 'process'>, enabled: boolean): void {
    const servers = env.slots.servers(env.state, env.structure, serverWeight);
    const input: RenderInput = {
      dir: env.dir,
      threads: this.options.threads ?? 1,
      structure: env.structure,
      servers,
      enabled,
    };
    writeFileSync(join(env.dir, 'haproxy.cfg'), renderConfig(input));
    const preview = enabled ? [...env.slots.releaseSlots()].map(([name, i]) => `${name} r${i}`) : [];
    writeFileSync(join(env.dir, 'preview.map'), preview.map((l) => `${l}\n`).join(''));
    const ranges = enabled ? this.ranges(env) : new Map<number, [number, number]>();
    const sticky: string[] = [];
    for (let i = 0; i < env.structure.releaseSlots; i++) {
      const [lo, hi] = ranges.get(i) ?? [0, 0];
      sticky.push(`r${i}lo ${lo}\n`, `r${i}hi ${hi}\n`);
    }
    writeFileSync(join(env.dir, 'sticky.map'), sticky.join(''));
  }

  private ranges(env: Pick<EnvProxy, 'state' | 'slots'>): Map<number, [number, number]> {
    return stickyRanges(
      env.state.releases.map((r) => ({ slot: env.slots.slotOf(r.release)!, weight: r.weight })),
    );
  }

  /** Brings HAProxy from what it holds to `state` with runtime API commands only. */
  private async sync(env: EnvProxy, state: RouteState): Promise<void> {
    const diff = env.slots.assign(state, {
      releases: env.structure.releaseSlots,
      servers: env.structure.serverSlots,
    });
    const cmds: string[] = [];
    const fresh: string[] = [];
    for (const { i, j } of diff.removed) {
      // maint stops new requests; requests in flight on the server finish (draining).
      cmds.push(`set server ${allServer(i, j)} state maint`, `set server ${slotServer(i, j)} state maint`);
    }
    for (const { i, j, backend } of diff.added) {
      const addr = `addr ${backend.host} port ${backend.port}`;
      cmds.push(`set server ${allServer(i, j)} state maint`, `set server ${slotServer(i, j)} state maint`);
      cmds.push(`set server ${allServer(i, j)} ${addr}`, `set server ${slotServer(i, j)} ${addr}`);
      // A new server gets traffic only once its first health check passed.
      if (state.health) cmds.push(`set server ${allServer(i, j)} health down`);
      cmds.push(`set server ${allServer(i, j)} state ready`, `set server ${slotServer(i, j)} state ready`);
      fresh.push(allServer(i, j));
    }
    const preview = `${env.dir}/preview.map`;
    for (const name of diff.releasesRemoved) cmds.push(`del map ${preview} ${name}`);
    for (const [name, i] of diff.releasesAdded) cmds.push(`add map ${preview} ${name} r${i}`);
    env.state = state;
    cmds.push(...this.weightCommands(env));
    try {
      await runtimeBatch(this.socket(env), cmds);
    } catch (err) {
      // The slot table already says `state`, HAProxy may hold half of it: render the whole state
      // and reload, so the next apply starts from a known place. If that fails too, say why.
      this.writeFiles(env, true);
      await env.process.reload().catch(() => {
        throw err;
      });
      return;
    }
    if (state.health && fresh.length > 0) await this.awaitChecks(env, fresh, state.health);
  }

  private weightCommands(env: EnvProxy): string[] {
    const cmds: string[] = [];
    // Raised weights first: between two commands the backend must never sum to weight 0, or a
    // request arriving in that instant would get a 503.
    const releases = [...env.state.releases].sort((x, y) => y.weight - x.weight);
    for (const r of releases) {
      const i = env.slots.slotOf(r.release)!;
      const w = serverWeight(r.weight, r.backends.length);
      for (const j of env.slots.serverIndexes(r.release))
        cmds.push(`set server ${allServer(i, j)} weight ${w}`);
    }
    const ranges = this.ranges(env);
    for (let i = 0; i < env.structure.releaseSlots; i++) {
      const [lo, hi] = ranges.get(i) ?? [0, 0];
      cmds.push(`set map ${env.dir}/sticky.map r${i}lo ${lo}`, `set map ${env.dir}/sticky.map r${i}hi ${hi}`);
    }
    return cmds;
  }

  private async awaitChecks(env: EnvProxy, servers: string[], health: NonNullable<RouteState['health']>) {
    const until = Date.now() + health.intervalMs * 3 + health.timeoutMs + 2_000;
    const wanted = new Set(servers);
    while (Date.now() < until) {
      const stats = await showStat(this.socket(env));
      // Pending until checked and settled: a server still "UP 1/2" (one failed check of `fall 2`,
      // when its `health down` did not take) would take requests after apply() returned.
      const pending = stats.filter(
        (s) =>
          wanted.has(`${s.backend}/${s.server}`) &&
          (/^INI|^$/.test(s.checkStatus) || /^UP \d/.test(s.status)),
      );
      if (pending.length === 0) return;
      await new Promise((r) => setTimeout(r, Math.min(50, health.intervalMs)));
    }
  }

  async setWeights(env: string, weights: Readonly<Record<string, number>>): Promise<void> {
    const proxy = this.envs.get(env);
    const releases = withWeights(proxy?.state, env, weights);
    proxy!.state = { ...proxy!.state, releases };
    await runtimeBatch(this.socket(proxy!), this.weightCommands(proxy!));
  }

  /** PID of the environment's HAProxy master (benchmarks read its CPU time). */
  /** True when the environment's proxy process died on its own (the agent restarts it). */
  down(env: string): boolean {
    return this.envs.get(env)?.process.gone === true;
  }

  pidOf(env: string): number | undefined {
    return this.envs.get(env)?.process.pid;
  }

  async remove(env: string): Promise<void> {
    await this.queue.run(env, async () => {
      const proxy = this.envs.get(env);
      this.envs.delete(env);
      if (!proxy) return;
      await proxy.process.stop();
      rmSync(proxy.dir, { recursive: true, force: true });
    });
  }

  async close(): Promise<void> {
    await Promise.all([...this.envs.keys()].map((env) => this.remove(env)));
    rmSync(this.root, { recursive: true, force: true });
  }
}
