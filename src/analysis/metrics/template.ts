/**
 * Query templates shared by the http and prometheus providers: `{{env}}`, `{{release}}`,
 * `{{metric}}` and `{{window}}` (a Prometheus duration such as `10m`, `30s`, `1500ms`) are
 * replaced per query. Placeholders are checked when the provider is created, so a typo fails
 * at startup, not during a rollout.
 */
import { AppError } from '../../domain/errors.ts';
import type { MetricQuery } from '../contract.ts';

export const PLACEHOLDERS = ['env', 'release', 'metric', 'window', 'windowSeconds'] as const;
export type Placeholder = (typeof PLACEHOLDERS)[number];

const PATTERN = /\{\{\s*([a-zA-Z]+)\s*\}\}/g;

/** 600000 → "10m", 30000 → "30s", 1500 → "1500ms", 7200000 → "2h": the largest exact unit. */
export function promDuration(ms: number): string {
  const units: [number, string][] = [
    [3_600_000, 'h'],
    [60_000, 'm'],
    [1000, 's'],
  ];
  for (const [size, unit] of units) if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  return `${Math.max(1, Math.round(ms))}ms`;
}

/** Throws METRIC_PROVIDER_INVALID naming `where` when the template uses an unknown placeholder. */
export function checkTemplate(template: string, where: string): void {
  for (const match of template.matchAll(PATTERN)) {
    const name = match[1]!;
    if (!(PLACEHOLDERS as readonly string[]).includes(name)) {
      throw new AppError(
        'METRIC_PROVIDER_INVALID',
        `${where}: unknown placeholder {{${name}}}; use ${PLACEHOLDERS.map((p) => `{{${p}}}`).join(', ')}`,
      );
    }
  }
}

export function valuesOf(q: MetricQuery): Record<Placeholder, string> {
  return {
    env: q.env,
    release: q.release,
    metric: q.metric,
    window: promDuration(q.windowMs),
    windowSeconds: String(Math.round(q.windowMs / 1000)),
  };
}

/** Replaces placeholders; `encode` is applied to each value (URL-encoding, PromQL string escaping). */
export function render(template: string, q: MetricQuery, encode: (v: string) => string = (v) => v): string {
  const values = valuesOf(q);
  return template.replace(PATTERN, (whole, name: string) =>
    name in values ? encode(values[name as Placeholder]) : whole,
  );
}
