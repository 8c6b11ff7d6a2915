/**
 * The built-in router's metrics in the Prometheus text exposition format (version 0.0.4):
 * - `slipway_requests_total{env,release,code_class}` — responses by status class,
 * - `slipway_request_failures_total{env,release}` — attempts that got no response,
 * - `slipway_request_duration_seconds{env,release}` — histogram of time to the last byte.
 */
import { PROM_BOUNDS_S, type ReleaseWindow } from './metrics.ts';

export interface EnvWindows {
  readonly env: string;
  readonly windows: Iterable<ReleaseWindow>;
}

/** Label values escaped as the format requires (backslash, quote, newline). */
function label(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

export function renderPrometheus(envs: Iterable<EnvWindows>): string {
  const requests: string[] = [];
  const failures: string[] = [];
  const durations: string[] = [];
  for (const { env, windows } of envs) {
    for (const w of windows) {
      const base = `env="${label(env)}",release="${label(w.release)}"`;
      for (let cls = 1; cls <= 5; cls++) {
        requests.push(`slipway_requests_total{${base},code_class="${cls}xx"} ${w.totals[cls]}`);
      }
      failures.push(`slipway_request_failures_total{${base}} ${w.totals[6]}`);
      let cumulative = 0;
      PROM_BOUNDS_S.forEach((bound, i) => {
        cumulative += w.promBuckets[i]!;
        durations.push(`slipway_request_duration_seconds_bucket{${base},le="${bound}"} ${cumulative}`);
      });
      cumulative += w.promBuckets[PROM_BOUNDS_S.length]!;
      durations.push(`slipway_request_duration_seconds_bucket{${base},le="+Inf"} ${cumulative}`);
      durations.push(`slipway_request_duration_seconds_sum{${base}} ${w.latencySumS}`);
      durations.push(`slipway_request_duration_seconds_count{${base}} ${cumulative}`);
    }
  }
  return [
    '# HELP slipway_requests_total Responses from a release, by status class.',
    '# TYPE slipway_requests_total counter',
    ...requests,
    '# HELP slipway_request_failures_total Attempts to a release that got no response.',
    '# TYPE slipway_request_failures_total counter',
    ...failures,
    '# HELP slipway_request_duration_seconds Time from request to the last byte of the response.',
    '# TYPE slipway_request_duration_seconds histogram',
    ...durations,
    '',
  ].join('\n');
}
