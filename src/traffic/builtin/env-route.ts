/**
 * The built-in router's state for one environment: its listener, its releases with their
 * backends, the split, the health-check loop and the metric windows. `pick()` is the per-request
 * decision; everything it reads is replaced wholesale by `update()` / `setWeights()`, so a weight
 * change takes effect on the very next request.
 */
import { once } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import { AppError } from '../../domain/errors.ts';
import type { RouteState } from '../contract.ts';
import { previewHeaderOf } from '../validate.ts';
import { BackendState, backendKey } from './backend-state.ts';
import { ClientConn, type ClientLimits, DEFAULT_LIMITS } from './client-conn.ts';
import { heldListener, listenerKey, releaseListener } from './held-listeners.ts';
import { field, type Head } from './http1/head.ts';
import { ReleaseWindow } from './metrics.ts';
import type { SharedWeights } from './shared-weights.ts';
import { pickSmooth, pickSticky, stickyPoint } from './split.ts';

export interface ReleaseSlot {
  readonly name: string;
  readonly backends: readonly BackendState[];
  readonly window: ReleaseWindow;
  /** Round-robin cursor over the release's backends. */
  rr: number;
}

export interface Pick {
  readonly slot: ReleaseSlot;
  readonly backend: BackendState;
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return decodeURIComponent(part.slice(eq + 1).trim());
  }
  return undefined;
}

/** At most this many flag-variant windows per environment (each holds about 360 KB); the oldest goes. */
const MAX_VARIANT_WINDOWS = 16;

export class EnvRoute {
  readonly env: string;
  state: RouteState;
  slots: ReleaseSlot[] = [];
  weights: number[] = [];
  private current: number[] = [];
  private eligible: boolean[] = [];
  private byName = new Map<string, ReleaseSlot>();
  private backends = new Map<string, BackendState>();
  private readonly windows = new Map<string, ReleaseWindow>();
  /** Per release and flag variant (`flag:KEY=VARIANT@RELEASE`), from the answers' `x-slipway-flag` header. */
  private readonly variantWindows = new Map<string, ReleaseWindow>();
  private previewHeader = 'x-slipway-release';
  private healthTimer: NodeJS.Timeout | undefined;
  /** Closes client connections idle past `limits.idleTimeoutMs` (see ClientConn.lastActive). */
  private readonly idleSweep: NodeJS.Timeout;
  readonly server: Server;
  /** Open client connections, so close() can end the idle ones and wait for the others. */
  readonly clients = new Set<ClientConn>();
  /** Client sockets of upgraded connections (WebSockets). */
  readonly tunnels = new Set<Socket>();
  /** Set by close(): connections end after the response in flight. */
  closing = false;

  readonly limits: ClientLimits;

  constructor(state: RouteState, limits: ClientLimits = DEFAULT_LIMITS) {
    this.env = state.env;
    this.state = state;
    this.limits = limits;
    // Paused: ClientConn moves the socket's reads to a shared buffer before any byte is read.
    this.server = createServer(
      { noDelay: true, pauseOnConnect: true },
      (socket) => new ClientConn(socket, this),
    );
    const every = Math.min(1_000, Math.max(20, limits.idleTimeoutMs / 4));
    this.idleSweep = setInterval(() => this.sweepIdle(), every);
    this.idleSweep.unref();
  }

  private sweepIdle(): void {
    const now = Date.now();
    const limit = now - this.limits.idleTimeoutMs;
    for (const c of this.clients) c.sweep(now, limit);
  }

  get hasHealthChecks(): boolean {
    return this.state.health !== undefined;
  }

  async listen(): Promise<void> {
    const { host, port } = this.state.listen;
    try {
      // Under `slipway agent --supervise` the parent holds the socket, so it outlives this process.
      const held = await heldListener(host, port);
      if (held) this.server.listen(held);
      else this.server.listen(port, host);
      await Promise.race([
        once(this.server, 'listening'),
        once(this.server, 'error').then(([e]) => Promise.reject(e)),
      ]);
    } catch (cause) {
      throw new AppError(
        'TRAFFIC_DRIVER_FAILED',
        `env "${this.env}": cannot listen on ${host}:${port} (${(cause as Error).message}); pick a free port`,
        { cause },
      );
    }
  }

  /** Apply a new state: keep known backends (and their pools), add new ones, drain removed ones. */
  async update(state: RouteState): Promise<void> {
    const next = new Map<string, BackendState>();
    const fresh: BackendState[] = [];
    const slots = state.releases.map((r): ReleaseSlot => {
      const backends = r.backends.map((b) => {
        const key = backendKey(b);
        let s = next.get(key) ?? this.backends.get(key);
        if (!s) {
          s = new BackendState(b);
          fresh.push(s);
        }
        next.set(key, s);
        return s;
      });
      let window = this.windows.get(r.release);
      if (!window) {
        window = new ReleaseWindow(r.release);
        this.windows.set(r.release, window);
      }
      const old = this.byName.get(r.release);
      return { name: r.release, backends, window, rr: old?.rr ?? 0 };
    });
    // A new backend gets traffic only after its first health check says so.
    if (state.health) {
      const { path, timeoutMs, expect } = state.health;
      await Promise.all(fresh.map((b) => b.check(path, timeoutMs, expect)));
    }
    for (const [key, b] of this.backends) if (!next.has(key)) b.drain();
    this.backends = next;
    this.state = state;
    this.slots = slots;
    this.byName = new Map(slots.map((s) => [s.name, s]));
    this.previewHeader = previewHeaderOf(state);
    this.setWeightList(state.releases.map((r) => r.weight));
    this.restartHealthLoop();
  }

  /**
   * Weights the agent's main thread writes for this environment (router-thread.ts): read at every
   * request, so a change applies at the next one without waiting for this thread's loop.
   */
  shared: SharedWeights | undefined;

  /** Takes weights written to `shared` since the last look; true when there were some. */
  takeSharedWeights(): boolean {
    const weights = this.shared?.changed();
    if (weights === undefined || weights.length !== this.state.releases.length) return false;
    this.state = {
      ...this.state,
      releases: this.state.releases.map((r, i) => ({ ...r, weight: weights[i]! })),
    };
    this.setWeightList(weights);
    return true;
  }

  setWeightList(weights: number[]): void {
    this.weights = weights;
    this.current = weights.map(() => 0);
    this.eligible = weights.map(() => false);
  }

  private restartHealthLoop(): void {
    clearInterval(this.healthTimer);
    this.healthTimer = undefined;
    const health = this.state.health;
    if (!health) return;
    this.healthTimer = setInterval(() => {
      for (const b of this.backends.values()) void b.check(health.path, health.timeoutMs, health.expect);
    }, health.intervalMs);
    this.healthTimer.unref();
  }

  /** The release and backend for one request, or undefined when no backend can take it. */
  pick(req: Head, excluded: ReadonlySet<BackendState> | null): Pick | undefined {
    if (this.shared !== undefined) this.takeSharedWeights();
    const slots = this.slots;
    const eligible = this.eligible;
    for (let i = 0; i < slots.length; i++) eligible[i] = this.firstAvailable(slots[i]!, excluded) >= 0;

    const preview = field(req, this.previewHeader);
    if (typeof preview === 'string') {
      const slot = this.byName.get(preview);
      if (slot) {
        const b = this.pickBackend(slot, excluded);
        if (b) return { slot, backend: b };
      }
    }
    let index = -1;
    const sticky = this.state.stickiness;
    if (sticky) {
      const id =
        sticky.kind === 'header'
          ? field(req, sticky.name.toLowerCase())
          : cookieValue(field(req, 'cookie'), sticky.name);
      if (typeof id === 'string' && id !== '') index = pickSticky(stickyPoint(id), this.weights, eligible);
    }
    if (index < 0) index = pickSmooth(this.weights, eligible, this.current);
    if (index < 0) return undefined;
    const slot = slots[index]!;
    const backend = this.pickBackend(slot, excluded);
    return backend ? { slot, backend } : undefined;
  }

  private firstAvailable(slot: ReleaseSlot, excluded: ReadonlySet<BackendState> | null): number {
    const list = slot.backends;
    for (let i = 0; i < list.length; i++) {
      const b = list[i]!;
      if (b.available() && !excluded?.has(b)) return i;
    }
    return -1;
  }

  private pickBackend(slot: ReleaseSlot, excluded: ReadonlySet<BackendState> | null) {
    const list = slot.backends;
    for (let n = 0; n < list.length; n++) {
      const b = list[(slot.rr + n) % list.length]!;
      if (b.available() && !excluded?.has(b)) {
        slot.rr = (slot.rr + n + 1) % list.length;
        return b;
      }
    }
    return undefined;
  }

  windowsList(): Iterable<ReleaseWindow> {
    return this.windows.values();
  }

  /** A release's window, or a flag variant's within a release (`flag:KEY=VARIANT@RELEASE`). */
  window(release: string): ReleaseWindow | undefined {
    return this.windows.get(release) ?? this.variantWindows.get(release);
  }

  /**
   * An answer of `release` that named the flag variants it served (`x-slipway-flag: new-checkout=on`,
   * several comma-separated): counted in a window per release and variant too
   * (`flag:new-checkout=on@2.0.0`), so analysis can compare the users of one variant with the others
   * within the new release — a previous release's answers never count against it. The app says what
   * it served because only it knows. The windows are bounded in number: the oldest goes first.
   */
  recordVariants(release: string, header: string, status: number, latencyMs: number): void {
    for (const part of header.split(',')) {
      const pair = part.trim();
      const eq = pair.indexOf('=');
      if (eq < 1 || eq === pair.length - 1 || pair.length > 200) continue;
      const name = `flag:${pair}@${release}`;
      let window = this.variantWindows.get(name);
      if (!window) {
        if (this.variantWindows.size >= MAX_VARIANT_WINDOWS) {
          const oldest = this.variantWindows.keys().next().value as string;
          this.variantWindows.delete(oldest);
        }
        window = new ReleaseWindow(name);
        this.variantWindows.set(name, window);
      }
      window.recordResponse(status, latencyMs);
    }
  }

  /**
   * Stop listening, let in-flight requests finish, then close the pools. `release` (the
   * environment is removed or moves) also has a supervisor close its copy of the listener; an
   * agent that merely stops leaves it held, queueing connections for the next agent.
   */
  async close(release = false): Promise<void> {
    if (release) releaseListener(listenerKey(this.state.listen.host, this.state.listen.port));
    clearInterval(this.healthTimer);
    clearInterval(this.idleSweep);
    this.closing = true;
    const closed = new Promise((resolve) => this.server.close(resolve));
    for (const c of this.clients) if (c.idle) c.close();
    for (const b of this.backends.values()) b.drain();
    this.backends.clear();
    for (const socket of this.tunnels) socket.destroy();
    // In-flight requests get a bounded grace period, then their connections are cut.
    const grace = setTimeout(() => {
      for (const c of this.clients) c.socket.destroy();
    }, 10_000);
    await closed;
    clearTimeout(grace);
  }
}
