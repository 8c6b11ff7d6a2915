/**
 * An in-memory TrafficRouter for tests of the parts that drive a router (the agent): it keeps the
 * applied route state and every weight change, but opens no listener and routes no request.
 * Tests that use it say so in their names. It refuses what every driver refuses (the state part
 * of the contract, fake-router.test.ts); the request-routing part does not apply to it.
 */
import { AppError } from '../domain/errors.ts';
import type { RouterCapabilities, RouteState, TrafficRouter } from './contract.ts';
import { validateRouteState, withWeights } from './validate.ts';

export interface WeightChange {
  readonly env: string;
  readonly weights: Readonly<Record<string, number>>;
  readonly at: number;
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
    // The drivers' own checks (same codes and messages). Port 0 passes: the fake opens no
    // listener, and agent tests leave the port to it.
    validateRouteState(state.listen.port === 0 ? { ...state, listen: { ...state.listen, port: 1 } } : state);
    this.states.set(state.env, structuredClone(state));
    this.record(state.env, Object.fromEntries(state.releases.map((r) => [r.release, r.weight])));
  }

  async setWeights(env: string, weights: Readonly<Record<string, number>>): Promise<void> {
    this.assertOpen();
    const state = this.states.get(env);
    const releases = withWeights(state, env, weights);
    this.states.set(env, { ...state!, releases });
    this.record(env, Object.fromEntries(releases.map((r) => [r.release, r.weight])));
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
