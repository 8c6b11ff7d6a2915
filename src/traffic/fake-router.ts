/**
 * An in-memory TrafficRouter for tests of the parts that drive a router (the agent, blue-green):
 * it keeps the applied route state and every weight change, but opens no listener and routes no
 * request. Tests that use it say so in their names.
 */
import { AppError } from '../domain/errors.ts';
import type { RouterCapabilities, RouteState, TrafficRouter } from './contract.ts';

export interface WeightChange {
  readonly env: string;
  readonly weights: Readonly<Record<string, number>>;
  readonly at: number;
}

function checkWeights(env: string, weights: Readonly<Record<string, number>>): void {
  const total = Object.values(weights).reduce((sum, weight) => sum + weight, 0);
  for (const [release, weight] of Object.entries(weights)) {
    if (!Number.isFinite(weight) || weight < 0 || weight > 100) {
      throw new AppError('USAGE', `${env}: weight of ${release} must be within 0–100, got ${weight}`);
    }
  }
  if (Math.abs(total - 100) > 1e-9)
    throw new AppError('USAGE', `${env}: weights must add up to 100, got ${total}`);
}

export class FakeRouter implements TrafficRouter {
  readonly name = 'fake';
  readonly capabilities: RouterCapabilities = {
    stickiness: false,
    preview: false,
    metrics: false,
    websockets: false,
  };
  /** Every weight change, in order (from apply and setWeights). */
  readonly history: WeightChange[] = [];
  private readonly states = new Map<string, RouteState>();
  private closed = false;
  private readonly now: () => number;

  constructor(options: { now?: () => number } = {}) {
    this.now = options.now ?? Date.now;
  }

  async apply(state: RouteState): Promise<void> {
    this.assertOpen();
    checkWeights(state.env, Object.fromEntries(state.releases.map((r) => [r.release, r.weight])));
    this.states.set(state.env, structuredClone(state));
    this.record(state.env, Object.fromEntries(state.releases.map((r) => [r.release, r.weight])));
  }

  async setWeights(env: string, weights: Readonly<Record<string, number>>): Promise<void> {
    this.assertOpen();
    const state = this.states.get(env);
    if (state === undefined)
      throw new AppError('ENV_NOT_FOUND', `no routing for environment ${env}; apply it first`);
    const known = new Set(state.releases.map((r) => r.release));
    for (const release of Object.keys(weights)) {
      if (!known.has(release))
        throw new AppError('RELEASE_NOT_FOUND', `${env}: no release ${release} is routed`);
    }
    const full = Object.fromEntries(state.releases.map((r) => [r.release, weights[r.release] ?? 0]));
    checkWeights(env, full);
    this.states.set(env, {
      ...state,
      releases: state.releases.map((r) => ({ ...r, weight: full[r.release]! })),
    });
    this.record(env, full);
  }

  async remove(env: string): Promise<void> {
    this.assertOpen();
    this.states.delete(env);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.states.clear();
  }

  /** The applied state of an environment, as the router holds it. */
  route(env: string): RouteState | undefined {
    return this.states.get(env);
  }

  /** The current weights of an environment, by release. */
  weights(env: string): Record<string, number> {
    return Object.fromEntries((this.states.get(env)?.releases ?? []).map((r) => [r.release, r.weight]));
  }

  private record(env: string, weights: Record<string, number>): void {
    this.history.push({ env, weights, at: this.now() });
  }

  private assertOpen(): void {
    if (this.closed) throw new AppError('INTERNAL', 'the fake router was closed');
  }
}
