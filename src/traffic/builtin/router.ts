/**
 * The built-in router: an HTTP/1.1 reverse proxy in this process, one listener per environment.
 * It is the embedded default traffic driver; see env-route.ts for the per-request decision and
 * proxy.ts for forwarding, retries and upgrades.
 *
 * @example
 * const router = new BuiltinRouter();
 * await router.apply({ env: 'staging', listen: { host: '127.0.0.1', port: 8080 },
 *   releases: [{ release: 'v1', weight: 100, backends: [{ id: 'v1-0', host: '127.0.0.1', port: 9001 }] }] });
 * await router.setWeights('staging', { v1: 70, v2: 30 });
 */

import type { ReleaseMetrics, RouterCapabilities, RouteState, TrafficRouter } from '../contract.ts';
import { KeyedSerial } from '../serial.ts';
import { validateRouteState, withWeights } from '../validate.ts';
import { BUILTIN_CAPABILITIES } from './capabilities.ts';
import { type ClientLimits, DEFAULT_LIMITS } from './client-conn.ts';
import { EnvRoute } from './env-route.ts';
import { renderPrometheus } from './prometheus.ts';
import type { SharedWeights } from './shared-weights.ts';

export class BuiltinRouter implements TrafficRouter {
  readonly name = 'builtin';
  readonly capabilities: RouterCapabilities = BUILTIN_CAPABILITIES;
  private readonly envs = new Map<string, EnvRoute>();
  /** apply() calls of one env run one after the other, so two quick applies cannot interleave. */
  private readonly queue = new KeyedSerial();
  private readonly limits: ClientLimits;

  constructor(limits: Partial<ClientLimits> = {}) {
    this.limits = { ...DEFAULT_LIMITS, ...limits };
  }

  // async: a refused state rejects like every other failure, never throws synchronously.
  async apply(state: RouteState): Promise<void> {
    validateRouteState(state);
    return this.queue.run(state.env, async () => {
      let route = this.envs.get(state.env);
      const old = route?.state.listen;
      if (route && old && (old.host !== state.listen.host || old.port !== state.listen.port)) {
        // A new listen address is a new listener; the old one finishes what it has in flight.
        this.envs.delete(state.env);
        void route.close(true);
        route = undefined;
      }
      if (!route) {
        const fresh = new EnvRoute(state, this.limits);
        await fresh.update(state);
        try {
          await fresh.listen();
        } catch (err) {
          await fresh.close();
          throw err;
        }
        this.envs.set(state.env, fresh);
        return;
      }
      await route.update(state);
    });
  }

  async setWeights(env: string, weights: Readonly<Record<string, number>>): Promise<void> {
    const route = this.envs.get(env);
    const releases = withWeights(route?.state, env, weights);
    // Synchronous on purpose: the next request after this line sees the new split.
    route!.state = { ...route!.state, releases };
    route!.setWeightList(releases.map((r) => r.weight));
  }

  /**
   * Makes `weights` (written by another thread, in the order of the releases last applied) the
   * source of `env`'s weights from its next request on; replaced by the next call.
   */
  shareWeights(env: string, weights: SharedWeights | undefined): void {
    const route = this.envs.get(env);
    if (route) route.shared = weights;
  }

  /** Takes the shared weights of `env` now (its next request would); false when it has no shared buffer. */
  takeSharedWeights(env: string): boolean {
    const route = this.envs.get(env);
    if (route?.shared === undefined) return false;
    route.takeSharedWeights();
    return true;
  }

  async metrics(env: string, release: string, windowMs: number): Promise<ReleaseMetrics> {
    const window = this.envs.get(env)?.window(release);
    if (window) return window.snapshot(windowMs);
    return {
      release,
      windowMs,
      requests: 0,
      status: { '1xx': 0, '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0 },
      failures: 0,
      latency: { p50: null, p95: null, p99: null },
    };
  }

  /** Every environment's metrics in the Prometheus text format, for a /metrics endpoint. */
  prometheus(): string {
    return renderPrometheus([...this.envs.values()].map((r) => ({ env: r.env, windows: r.windowsList() })));
  }

  async remove(env: string, release = true): Promise<void> {
    await this.queue.run(env, async () => {
      const route = this.envs.get(env);
      this.envs.delete(env);
      await route?.close(release);
    });
  }

  /** Stops serving; listeners held by a supervisor stay held for the next agent. */
  async close(): Promise<void> {
    await Promise.all([...this.envs.keys()].map((env) => this.remove(env, false)));
  }
}
