/**
 * Metrics from Prometheus: one instant PromQL query per measurement over the HTTP API
 * (`GET /api/v1/query`). Queries are templates keyed by metric name; `{{env}}`, `{{release}}`
 * and `{{metric}}` are escaped for PromQL strings, `{{window}}` becomes a range such as `10m`.
 *
 * Answers become measurements: one series or a scalar → `ok`; no series → `nodata` (nothing
 * scraped for that release); NaN → `nodata` (0/0: no requests in the window); several series,
 * ±Inf, unreachable server or an API error (`bad_data`, `timeout` ...) → `error`, naming the query.
 *
 * @example
 * createPrometheusProvider({
 *   url: 'http://127.0.0.1:9090',
 *   queries: {
 *     error_rate: {
 *       query: 'sum(rate(http_requests_total{env="{{env}}",release="{{release}}",code=~"5.."}[{{window}}])) / sum(rate(http_requests_total{env="{{env}}",release="{{release}}"}[{{window}}]))',
 *       countQuery: 'sum(increase(http_requests_total{env="{{env}}",release="{{release}}"}[{{window}}]))',
 *     },
 *     p95: { query: 'histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket{release="{{release}}"}[{{window}}])))', scale: 1000 },
 *   },
 * });
 */
import { AppError } from '../../../domain/errors.ts';
import type { Measurement, MetricProvider, MetricQuery } from '../../contract.ts';
import { checkHttpUrl, fetchJson } from '../fetch-json.ts';
import { safeUrl } from '../redact.ts';
import { checkTemplate, render } from '../template.ts';

export interface PrometheusQuerySpec {
  /** PromQL template giving the value. */
  readonly query: string;
  /** PromQL template giving the number of events behind it (e.g. requests in the window). */
  readonly countQuery?: string;
  /** Multiplies the value, e.g. 1000 to turn Prometheus seconds into the judges' milliseconds. */
  readonly scale?: number;
}

export interface PrometheusProviderConfig {
  /** Base URL of Prometheus, e.g. `http://127.0.0.1:9090` (a path prefix is kept). */
  readonly url: string;
  readonly queries: Readonly<Record<string, string | PrometheusQuerySpec>>;
  /** Default 5000 ms. */
  readonly timeoutMs?: number;
  readonly headers?: Readonly<Record<string, string>>;
}

/** Escapes a value for a double-quoted PromQL string (label matchers). */
export function promString(v: string): string {
  return v.replace(/[\\"]/g, '\\$&').replace(/\n/g, '\\n');
}

type Sample = { readonly ok: true; readonly value: number } | { readonly ok: false; readonly m: Measurement };

interface ApiBody {
  status?: string;
  errorType?: string;
  error?: string;
  data?: { resultType?: string; result?: unknown };
}

/** Pure: a Prometheus API answer → one number or a measurement saying why not. */
export function readInstant(body: unknown, where: string): Sample {
  const b = (body ?? {}) as ApiBody;
  if (b.status !== 'success') {
    const what = b.error ? `${b.errorType ?? 'error'}: ${b.error}` : 'an answer without status "success"';
    return { ok: false, m: { phase: 'error', message: `${where} failed with ${what}` } };
  }
  const { resultType, result } = b.data ?? {};
  let pair: unknown;
  if (resultType === 'scalar') pair = result;
  else if (resultType === 'vector' && Array.isArray(result)) {
    if (result.length === 0) {
      return { ok: false, m: { phase: 'nodata', reason: `${where} returned no series` } };
    }
    if (result.length > 1) {
      const message = `${where} returned ${result.length} series; aggregate it to one (e.g. sum(...))`;
      return { ok: false, m: { phase: 'error', message } };
    }
    pair = (result[0] as { value?: unknown }).value;
  } else {
    const message = `${where} returned a ${resultType ?? 'missing'} result; use an instant query that gives one number`;
    return { ok: false, m: { phase: 'error', message } };
  }
  const raw = Array.isArray(pair) ? pair[1] : undefined;
  if (raw === 'NaN') {
    return {
      ok: false,
      m: { phase: 'nodata', reason: `${where} returned NaN (nothing to divide: no requests in the window?)` },
    };
  }
  const value = Number(raw);
  if (typeof raw !== 'string' || !Number.isFinite(value)) {
    return {
      ok: false,
      m: { phase: 'error', message: `${where} returned ${String(raw)}, not a finite number` },
    };
  }
  return { ok: true, value };
}

function specOf(entry: string | PrometheusQuerySpec): PrometheusQuerySpec {
  return typeof entry === 'string' ? { query: entry } : entry;
}

function validate(config: PrometheusProviderConfig): void {
  checkHttpUrl(config.url, 'metric provider prometheus', 'http://127.0.0.1:9090');
  for (const [metric, entry] of Object.entries(config.queries)) {
    const spec = specOf(entry);
    if (!spec.query?.trim()) {
      throw new AppError('METRIC_PROVIDER_INVALID', `metric provider prometheus: queries.${metric} is empty`);
    }
    checkTemplate(spec.query, `metric provider prometheus queries.${metric}`);
    if (spec.countQuery)
      checkTemplate(spec.countQuery, `metric provider prometheus queries.${metric}.countQuery`);
  }
}

export function createPrometheusProvider(config: PrometheusProviderConfig): MetricProvider {
  validate(config);
  const base = config.url.replace(/\/+$/, '');
  const timeoutMs = config.timeoutMs ?? 5000;
  const known = Object.keys(config.queries);

  async function instant(promql: string, q: MetricQuery): Promise<Sample> {
    const url = `${base}/api/v1/query?query=${encodeURIComponent(promql)}&time=${q.now / 1000}`;
    const where = `prometheus ${safeUrl(base).replace(/\/$/, '')} query ${promql}`;
    const res = await fetchJson(url, { timeoutMs, ...(config.headers ? { headers: config.headers } : {}) });
    // Prometheus explains 400/422/503 answers in a JSON body; use it when there is one.
    if (!res.ok && res.body === undefined) return { ok: false, m: { phase: 'error', message: res.message } };
    return readInstant(res.body, where);
  }

  return {
    name: 'prometheus',
    async query(q) {
      const entry = config.queries[q.metric];
      if (entry === undefined) {
        return {
          phase: 'error',
          message: `the prometheus provider has no query for metric "${q.metric}"; configured: ${known.join(', ') || 'none'}`,
        };
      }
      const spec = specOf(entry);
      const [value, count] = await Promise.all([
        instant(render(spec.query, q, promString), q),
        spec.countQuery ? instant(render(spec.countQuery, q, promString), q) : undefined,
      ]);
      if (!value.ok) return value.m;
      const scaled = value.value * (spec.scale ?? 1);
      if (!count) return { phase: 'ok', value: scaled };
      // No series for the count means nothing was counted: zero events, not an error.
      if (!count.ok && count.m.phase === 'nodata') return { phase: 'ok', value: scaled, count: 0 };
      if (!count.ok) return count.m;
      return { phase: 'ok', value: scaled, count: Math.round(count.value) };
    },
  };
}
