/**
 * The agent's own telemetry for Prometheus (prom-client), served with the routers' per-release
 * metrics on the admin API's `GET /metrics` (token-protected like every admin route):
 * - `slipway_agent_instances{env,release,state}` — instances by state (healthy, starting…),
 * - `slipway_agent_release_weight{env,release}` — the share of traffic routed to each release,
 * - `slipway_agent_env_healthy{env}` — 1 when every release of the environment is healthy,
 * - `slipway_agent_admin_requests_total{method,status}` — admin API calls,
 * - Node's process metrics with the `slipway_agent_` prefix.
 * The builtin router adds `slipway_requests_total`, `slipway_request_failures_total` and
 * `slipway_request_duration_seconds` per environment and release (src/traffic/builtin/prometheus.ts).
 * One registry per agent: no module singleton.
 */
import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import type { EnvStatus } from '../domain/data-plane.ts';

export const INSTANCE_STATES = [
  'starting',
  'healthy',
  'unhealthy',
  'crashloop',
  'stopping',
  'stopped',
] as const;

export interface AgentMetrics {
  readonly registry: Registry;
  /** Counts one admin API call by method and answered status. */
  request(method: string, status: number): void;
  /** The agent's metrics, then the routers', in one exposition. */
  render(routers: () => Promise<string>): Promise<string>;
}

export function createAgentMetrics(status: () => Promise<readonly EnvStatus[]>): AgentMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'slipway_agent_' });
  const requests = new Counter({
    name: 'slipway_agent_admin_requests_total',
    help: "Calls to the agent's admin API by method and status",
    labelNames: ['method', 'status'] as const,
    registers: [registry],
  });
  // One read of the environments per scrape, shared by the gauges below.
  let snapshot: Promise<readonly EnvStatus[]> | null = null;
  const current = () => {
    snapshot ??= status().finally(() => setTimeout(() => (snapshot = null), 0));
    return snapshot;
  };
  new Gauge({
    name: 'slipway_agent_instances',
    help: 'Instances by environment, release and state (healthy, starting, unhealthy, crashloop…)',
    labelNames: ['env', 'release', 'state'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const env of await current())
        for (const r of env.releases)
          for (const state of INSTANCE_STATES)
            this.set(
              { env: env.env, release: r.release, state },
              r.instances.filter((i) => i.state === state).length,
            );
    },
  });
  new Gauge({
    name: 'slipway_agent_release_weight',
    help: 'Percent of the environment’s traffic routed to each release',
    labelNames: ['env', 'release'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const env of await current())
        for (const r of env.releases) this.set({ env: env.env, release: r.release }, r.weight);
    },
  });
  new Gauge({
    name: 'slipway_agent_env_healthy',
    help: '1 when every release of the environment is healthy, else 0',
    labelNames: ['env'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const env of await current()) this.set({ env: env.env }, env.healthy ? 1 : 0);
    },
  });
  return {
    registry,
    request: (method, code) => requests.inc({ method, status: String(code) }),
    async render(routers) {
      return `${await registry.metrics()}\n${await routers()}`;
    },
  };
}
