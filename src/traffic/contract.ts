/**
 * The TrafficRouter contract: what every traffic driver (builtin, haproxy, nginx, kubernetes
 * gateway) does. A router owns one listener per environment and splits that environment's
 * requests between releases by weight. Every method is idempotent: applying the same state twice
 * changes nothing, so a restarted control plane or agent can simply apply again.
 */

/** One instance of a release that can receive requests. */
export interface Backend {
  /** Stable id of the instance, e.g. `shop-staging-v2-0`. */
  readonly id: string;
  readonly host: string;
  readonly port: number;
}

/** The share of an environment's traffic that one release gets. */
export interface ReleaseRoute {
  /** Release id (its version or digest prefix; the router only compares it). */
  readonly release: string;
  /** 0–100; the weights of one environment add up to 100. */
  readonly weight: number;
  readonly backends: readonly Backend[];
}

/** How a user is kept on one release while weights only grow. */
export interface Stickiness {
  readonly kind: 'header' | 'cookie';
  /** Header or cookie name carrying the user id, e.g. `x-user-id`. */
  readonly name: string;
}

export interface HealthCheck {
  readonly path: string;
  readonly intervalMs: number;
  readonly timeoutMs: number;
  /** Which answers count as healthy (src/domain/health-status.ts); default 2xx or 3xx. */
  readonly expect?: number | string | undefined;
}

/** The whole desired routing state of one environment. */
export interface RouteState {
  readonly env: string;
  readonly listen: { readonly host: string; readonly port: number };
  /**
   * Oldest first: the last release is the new one. Sticky users are placed from the new
   * release down (hash of the user id in [0, new weight) → new release), so while its weight
   * only grows no user on it flips back.
   */
  readonly releases: readonly ReleaseRoute[];
  readonly stickiness?: Stickiness;
  /** Header that sends a request to a named release whatever the weights; default `x-slipway-release`. */
  readonly previewHeader?: string;
  readonly health?: HealthCheck;
}

/** Per-release request metrics over a rolling window. */
export interface ReleaseMetrics {
  readonly release: string;
  readonly windowMs: number;
  readonly requests: number;
  readonly status: { readonly '1xx': number; '2xx': number; '3xx': number; '4xx': number; '5xx': number };
  /** Requests that got no response from the release (connect refused, reset, timeout). */
  readonly failures: number;
  /** Milliseconds; null when there were no requests in the window. */
  readonly latency: { readonly p50: number | null; readonly p95: number | null; readonly p99: number | null };
  /**
   * Where each percentile may really lie given how many requests it rests on and the histogram's
   * resolution: one-sided 95% bounds. Null for a percentile the sample cannot bound (too few
   * requests); absent when the driver keeps no histogram.
   */
  readonly latencyBounds?: {
    readonly p50: ValueBounds | null;
    readonly p95: ValueBounds | null;
    readonly p99: ValueBounds | null;
  };
  /** The latency distribution (for rank tests such as Mann-Whitney); absent when the driver keeps none. */
  readonly latencyHistogram?: LatencyHistogram;
}

/** Latencies of a window as histogram buckets (non-empty ones only): `counts[i]` requests took up to `upperMs[i]`. */
export interface LatencyHistogram {
  readonly upperMs: readonly number[];
  readonly counts: readonly number[];
}

/** A value's lower and upper confidence bounds, in its unit. */
export interface ValueBounds {
  readonly low: number;
  readonly high: number;
}

/** Optional capabilities; a driver that lacks one says so, and its contract test is left out (`leftOut`, with the reason). */
export interface RouterCapabilities {
  readonly stickiness: boolean;
  readonly preview: boolean;
  readonly metrics: boolean;
  readonly websockets: boolean;
}

export interface TrafficRouter {
  readonly name: string;
  readonly capabilities: RouterCapabilities;
  /**
   * Make `state` the routing of `state.env`: open the listener if needed, add and remove
   * backends, set weights. Removed backends drain: their in-flight requests finish.
   * With `state.health`, a new backend gets traffic only once its first check passed, and
   * apply() resolves after that first check (so a state applied is a state served).
   * @example await router.apply({ env: 'staging', listen: { host: '127.0.0.1', port: 8080 }, releases: [...] });
   */
  apply(state: RouteState): Promise<void>;
  /** Change only the weights of an environment already applied; the fast path for a cutover. */
  setWeights(env: string, weights: Readonly<Record<string, number>>): Promise<void>;
  /** Metrics of one release in the last `windowMs`; absent when `capabilities.metrics` is false. */
  metrics?(env: string, release: string, windowMs: number): Promise<ReleaseMetrics>;
  /** Stop routing the environment and close its listener. */
  remove(env: string): Promise<void>;
  /** Release every resource; the router is unusable afterwards. */
  close(): Promise<void>;
}
