/**
 * The server's own telemetry for Prometheus (prom-client): requests by route and status with
 * their latency, deployments by app, environment and outcome (read from the store at each scrape,
 * so deployments run by the CLI count too), the notification queue by status, recent deployments'
 * events, step durations and analysis verdicts (deployment-metrics.ts), and Node's process metrics. One registry per server: no module singleton.
 */
import type { MiddlewareHandler } from 'hono';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { DELIVERY_STATUSES } from '../notify/contract.ts';
import type { Store } from '../store/contract.ts';
import { registerDeploymentMetrics } from './deployment-metrics.ts';

export interface ServerMetrics {
  readonly registry: Registry;
  /**
   * Counts and times every request; `route` is the matched pattern, never the raw path (bounded
   * labels), or `other` for the dashboard's files and requests refused before a route matched.
   */
  readonly middleware: MiddlewareHandler;
}

export function createServerMetrics(store: Store): ServerMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'slipway_server_' });
  const requests = new Counter({
    name: 'slipway_server_http_requests_total',
    help: 'API and dashboard requests by method, matched route and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'slipway_server_http_request_duration_seconds',
    help: 'Time to answer a request (to the response head; event streams stay open longer)',
    labelNames: ['method', 'route'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  new Gauge({
    name: 'slipway_deployments',
    help: 'Deployments recorded in the store by app, environment and status (succeeded, rolled_back, failed…)',
    labelNames: ['app', 'env', 'status'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const r of await store.countDeployments())
        this.set({ app: r.app, env: r.env, status: r.status }, r.count);
    },
  });
  new Gauge({
    name: 'slipway_notification_deliveries',
    help: 'Notification deliveries in the queue by status (pending, delivered, dead)',
    labelNames: ['status'] as const,
    registers: [registry],
    async collect() {
      const counts = await store.notifications.counts();
      for (const status of DELIVERY_STATUSES) this.set({ status }, counts[status]);
    },
  });
  // Recent deployments: events with their times (Grafana annotations), step durations, verdicts.
  registerDeploymentMetrics(registry, store);
  return {
    registry,
    async middleware(c, next) {
      const start = performance.now();
      try {
        await next();
      } finally {
        const route = c.req.routePath === '*' || c.req.routePath === '/*' ? 'other' : c.req.routePath;
        requests.inc({ method: c.req.method, route, status: String(c.res.status) });
        latency.observe({ method: c.req.method, route }, (performance.now() - start) / 1000);
      }
    },
  };
}
