/**
 * Watches the running instances of the container runtime: every tick it reads each container's
 * state from the engine (restarts by the engine's restart policy count as restarts) and probes its
 * health path, so `list()` says what serves. Five restarts without getting healthy is a crash loop.
 */
import type { InstanceSpec, InstanceState } from '../contract.ts';
import { probe } from '../process/health.ts';
import { inspectState } from './containers.ts';
import type { Engine } from './engine.ts';

export interface Tracked {
  readonly id: string;
  readonly index: number;
  readonly containerId: string;
  readonly port: number;
  pid: number | null;
  state: InstanceState;
  restarts: number;
  startedAt: string;
}

const CRASH_LOOP_RESTARTS = 5;

export class Monitor {
  private timer: NodeJS.Timeout | undefined;
  private everyMs: number;
  private busy = false;
  private readonly engine: Engine;
  private readonly watched: () => { spec: InstanceSpec; instances: Tracked[] }[];

  constructor(
    engine: Engine,
    defaultMs: number,
    watched: () => { spec: InstanceSpec; instances: Tracked[] }[],
  ) {
    this.engine = engine;
    this.everyMs = defaultMs;
    this.watched = watched;
  }

  /** Starts the ticks (at most every `intervalMs`, the shortest health interval asked for). */
  ensure(intervalMs: number): void {
    if (this.timer !== undefined && intervalMs >= this.everyMs) return;
    this.everyMs = Math.min(this.everyMs, intervalMs);
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = setInterval(() => void this.tick(), this.everyMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  private async tick(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      for (const { spec, instances } of this.watched())
        await Promise.all(instances.map((i) => this.check(spec, i)));
    } finally {
      this.busy = false;
    }
  }

  private async check(spec: InstanceSpec, instance: Tracked): Promise<void> {
    if (instance.state === 'stopping' || instance.state === 'stopped') return;
    const state = await inspectState(this.engine, instance.containerId).catch(() => undefined);
    if (state === undefined) return;
    if (state.restarts > instance.restarts) {
      instance.restarts = state.restarts;
      instance.startedAt = state.startedAt;
    }
    instance.pid = state.pid;
    if (!state.running) {
      instance.state = instance.restarts >= CRASH_LOOP_RESTARTS ? 'crashloop' : 'starting';
      return;
    }
    const result = await probe(
      '127.0.0.1',
      instance.port,
      spec.health.path,
      spec.health.timeoutMs,
      spec.health.expect,
    );
    if (result.ok) instance.state = 'healthy';
    else if (instance.state === 'healthy') instance.state = 'unhealthy';
  }
}
