/**
 * Where an environment's numbers come from, from slipway.yaml: `metrics: { provider }` picks the
 * provider of the error-rate and latency rules (builtin: the agent's router; prometheus: PromQL
 * over its HTTP API; http: a JSON endpoint), and `rollbackIf.businessMetric` adds an http source
 * for the business-metric drop trigger. Unhealthy instances always come from the runtime.
 */
import type { MetricProvider } from '../analysis/contract.ts';
import { createHttpProvider } from '../analysis/metrics/http/provider.ts';
import {
  createPrometheusProvider,
  type PrometheusQuerySpec,
} from '../analysis/metrics/prometheus/provider.ts';
import type { RollbackIf } from '../analysis/rollback-if.ts';
import type { EnvironmentConfig } from '../config/schema.ts';

/** Label matchers of one release in the slipway agent's `/metrics` (src/traffic/builtin/prometheus.ts). */
const RELEASE = 'env="{{env}}",release="{{release}}"';
const increase = (series: string, extra = '') => `sum(increase(${series}{${RELEASE}${extra}}[{{window}}]))`;
const ATTEMPTS = `(${increase('slipway_requests_total')} + ${increase('slipway_request_failures_total')})`;

/**
 * PromQL for the default rules over a Prometheus that scrapes the slipway agent's `/metrics`:
 * 5xx answers and attempts without an answer over all attempts; p95 from the duration histogram.
 */
export const AGENT_PROMQL: Readonly<Record<string, PrometheusQuerySpec>> = {
  error_rate: {
    query: `(${increase('slipway_requests_total', ',code_class="5xx"')} + ${increase('slipway_request_failures_total')}) / ${ATTEMPTS}`,
    countQuery: ATTEMPTS,
  },
  p95: {
    query: `histogram_quantile(0.95, sum by (le) (rate(slipway_request_duration_seconds_bucket{${RELEASE}}[{{window}}])))`,
    countQuery: increase('slipway_request_duration_seconds_count'),
    scale: 1000,
  },
};

/** Key of the business-metric source among the guard's providers, and the metric it measures. */
export const BUSINESS = 'business';

export interface EnvMetricSources {
  /** Providers for this environment beyond `builtin` and `runtime`. */
  readonly providers: Readonly<Record<string, MetricProvider>>;
  /** The provider of rules that name none (error rate, p95). */
  readonly defaultProvider: string;
}

export function envMetricSources(env: EnvironmentConfig | undefined): EnvMetricSources {
  const providers: Record<string, MetricProvider> = {};
  const m = env?.metrics;
  if (m?.provider === 'prometheus' && m.url) {
    const custom = Object.fromEntries(
      Object.entries(m.queries ?? {}).map(([metric, query]) => [
        metric,
        metric === 'p95' ? { query, scale: 1000 } : { query },
      ]),
    );
    providers.prometheus = createPrometheusProvider({ url: m.url, queries: { ...AGENT_PROMQL, ...custom } });
  } else if (m?.provider === 'http' && m.url) {
    providers.http = createHttpProvider({ url: m.url, ...(m.path && { path: m.path }) });
  }
  const b = env?.rollbackIf?.businessMetric;
  if (b) providers[BUSINESS] = createHttpProvider({ url: b.url, path: b.path });
  return { providers, defaultProvider: m && m.provider !== 'builtin' ? m.provider : 'builtin' };
}

/** slipway.yaml `rollbackIf` as the analysis layer's spec. */
export function rollbackIfOf(env: EnvironmentConfig | undefined): RollbackIf {
  const r = env?.rollbackIf;
  if (!r) return {};
  return {
    ...(r.errorRate && {
      errorRate: {
        above: r.errorRate.above,
        withinMs: r.errorRate.within,
        ...(r.errorRate.test && { test: r.errorRate.test }),
        ...(r.errorRate.alpha !== undefined && { alpha: r.errorRate.alpha }),
      },
    }),
    ...(r.latency && {
      latency: {
        p95AboveBaseline: r.latency.p95AboveBaseline,
        forMs: r.latency.for,
        ...(r.latency.test && { test: r.latency.test }),
        ...(r.latency.alpha !== undefined && { alpha: r.latency.alpha }),
      },
    }),
    ...(r.unhealthyInstances && { unhealthyInstances: { above: r.unhealthyInstances.above } }),
    ...(r.businessMetric && {
      businessMetric: { metric: BUSINESS, provider: BUSINESS, dropAbove: r.businessMetric.dropAbove },
    }),
  };
}
