/**
 * Metrics from any HTTP endpoint that answers JSON: GET `url`, pick the value at `path`
 * (`data.checkout.rate`, `items.0.value` or `items[0].value`). Both may use `{{env}}`,
 * `{{release}}`, `{{metric}}`, `{{window}}`; per-metric entries override them.
 *
 * Non-2xx answers, timeouts and non-JSON bodies are `error` measurements; a missing path or a
 * null value is `nodata`; each names the URL (credentials masked) and the path.
 *
 * @example
 * createHttpProvider({ url: 'https://stats.shop.test/api?env={{env}}&release={{release}}', path: 'data.{{metric}}.rate' })
 */
import type { Measurement, MetricProvider } from '../../contract.ts';
import { checkHttpUrl, fetchJson } from '../fetch-json.ts';
import { safeUrl } from '../redact.ts';
import { checkTemplate, render } from '../template.ts';

export interface HttpMetricSpec {
  readonly url?: string;
  readonly path: string;
  /** Path to the number of events behind the value (e.g. requests), for minimum-traffic checks. */
  readonly countPath?: string;
}

export interface HttpProviderConfig {
  /** Template of the URL to GET. */
  readonly url: string;
  /** Template of the path to the value; default `{{metric}}`. */
  readonly path?: string;
  readonly countPath?: string;
  /** Per-metric overrides of url and path. */
  readonly metrics?: Readonly<Record<string, HttpMetricSpec>>;
  /** Default 5000 ms. */
  readonly timeoutMs?: number;
  /** Sent with every request, e.g. an Authorization header; never shown in messages. */
  readonly headers?: Readonly<Record<string, string>>;
}

type Picked =
  | { readonly found: true; readonly value: unknown }
  | { readonly found: false; readonly at: string };

/** Walks `a.b.0.c` / `a.b[0].c` through objects and arrays. */
export function pick(doc: unknown, path: string): Picked {
  const keys = path
    .replace(/\[(\d+)\]/g, '.$1')
    .split('.')
    .filter((k) => k !== '');
  let node: unknown = doc;
  for (const [i, key] of keys.entries()) {
    if (node !== null && typeof node === 'object' && Object.hasOwn(node, key)) {
      node = (node as Record<string, unknown>)[key];
    } else {
      return { found: false, at: keys.slice(0, i + 1).join('.') };
    }
  }
  return { found: true, value: node };
}

/** A number, or a string holding one (many exporters quote their numbers). */
function numeric(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  return undefined;
}

function validate(config: HttpProviderConfig): void {
  const where = 'metric provider http';
  checkHttpUrl(config.url, where, 'https://stats.example/api?release={{release}}');
  checkTemplate(config.url, `${where} url`);
  checkTemplate(config.path ?? '', `${where} path`);
  for (const [metric, spec] of Object.entries(config.metrics ?? {})) {
    if (spec.url !== undefined) checkTemplate(spec.url, `${where} metrics.${metric}.url`);
    checkTemplate(spec.path, `${where} metrics.${metric}.path`);
  }
}

export function createHttpProvider(config: HttpProviderConfig): MetricProvider {
  validate(config);
  const timeoutMs = config.timeoutMs ?? 5000;
  return {
    name: 'http',
    async query(q): Promise<Measurement> {
      const spec = config.metrics?.[q.metric];
      const url = render(spec?.url ?? config.url, q, encodeURIComponent);
      const path = render(spec?.path ?? config.path ?? '{{metric}}', q);
      const countTemplate = spec ? spec.countPath : config.countPath;
      const shown = safeUrl(url);
      const res = await fetchJson(url, { timeoutMs, ...(config.headers ? { headers: config.headers } : {}) });
      if (!res.ok) return { phase: 'error', message: res.message };
      const got = pick(res.body, path);
      if (!got.found) {
        return { phase: 'nodata', reason: `GET ${shown}: the answer has no ${got.at} (looking for ${path})` };
      }
      if (got.value === null) return { phase: 'nodata', reason: `GET ${shown}: ${path} is null` };
      const value = numeric(got.value);
      if (value === undefined) {
        const seen = JSON.stringify(got.value)?.slice(0, 40);
        return { phase: 'error', message: `GET ${shown}: ${path} is ${seen}, not a number` };
      }
      if (countTemplate === undefined) return { phase: 'ok', value };
      const countPath = render(countTemplate, q);
      const c = pick(res.body, countPath);
      const count = c.found ? numeric(c.value) : undefined;
      if (count === undefined) {
        return {
          phase: 'error',
          message: `GET ${shown}: ${countPath} (the count) is missing or not a number`,
        };
      }
      return { phase: 'ok', value, count };
    },
  };
}
