/**
 * `environments.<env>.performance` in slipway.yaml: a bounded load step run after the checks,
 * compared with the previous release (src/engine/performance.ts). The schema lives here to keep
 * schema.ts small; `performanceProblems` is the rule the schema cannot express: every endpoint
 * stays on the environment's own addresses.
 */
import { z } from 'zod';
import type { Problem } from './problems.ts';
import { durationOf, parseDuration, parsePercent, parseRatio } from './units.ts';

export const PERF_MAX_RATE = 5000;
export const PERF_MAX_DURATION_MS = 10 * 60_000;
const RATE_HINT = `a request rate such as 200/s (1/s to ${PERF_MAX_RATE}/s)`;
const ENDPOINT_HINT = 'a path such as /api/items, or a URL on this environment’s own address';

const rate = () =>
  z
    .union([z.number(), z.string()], { error: `expected ${RATE_HINT}` })
    .superRefine((v, ctx) => {
      const n = rateOf(v);
      if (n === null) ctx.addIssue({ code: 'custom', message: `expected ${RATE_HINT}` });
    })
    .transform((v) => rateOf(v) as number)
    .meta({ description: `Requests per second sent to each release measured: ${RATE_HINT}.` });

/** `200/s`, `200` → 200; null outside 1..PERF_MAX_RATE or not a rate. */
export function rateOf(v: number | string): number | null {
  const text = String(v).trim();
  const m = /^(\d+)(?:\s*\/\s*s)?$/.exec(text);
  const n = m ? Number(m[1]) : Number.NaN;
  return Number.isInteger(n) && n >= 1 && n <= PERF_MAX_RATE ? n : null;
}

const boundedDuration = () =>
  z
    .string({ error: 'expected a duration such as 20s (1s to 10m)' })
    .superRefine((v, ctx) => {
      const ms = durationOf(v.trim());
      if (typeof ms === 'string' || ms < 1000 || ms > PERF_MAX_DURATION_MS)
        ctx.addIssue({ code: 'custom', message: 'expected a duration such as 20s, from 1s to 10m' });
    })
    .transform((v) => parseDuration(v) as number);

const ratio = () =>
  z
    .string({ error: 'expected a ratio such as 1.2x (above 1x)' })
    .refine((v) => (parseRatio(v) ?? 0) > 1, { error: 'expected a ratio such as 1.2x, above 1x' })
    .transform((v) => parseRatio(v) as number);

export const performanceStep = z
  .strictObject({
    rate: rate(),
    duration: boundedDuration().meta({
      description:
        'How long the load runs (1s to 10m); the first tenth (1 s to 2 s) is warm-up and not counted.',
    }),
    connections: z
      .int({ error: 'expected a whole number of connections from 1 to 100' })
      .min(1, { error: 'expected a whole number of connections from 1 to 100' })
      .max(100, { error: 'expected a whole number of connections from 1 to 100' })
      .optional()
      .meta({ description: 'Connections per release measured; default 10.' }),
    endpoints: z
      .array(z.string({ error: `expected ${ENDPOINT_HINT}` }).min(1, { error: `expected ${ENDPOINT_HINT}` }))
      .min(1, { error: 'expected at least one endpoint, e.g. [/]' })
      .max(20, { error: 'expected at most 20 endpoints' })
      .meta({ description: `Requested in turn: ${ENDPOINT_HINT}.` }),
    maxRegression: z
      .strictObject({
        p50: ratio().optional(),
        p95: ratio().optional(),
        p99: ratio().optional(),
        errorRate: z
          .string({ error: 'expected a percentage such as 1%' })
          .refine((v) => (parsePercent(v) ?? 2) <= 1, {
            error: 'expected a percentage such as 1%, 0% to 100%',
          })
          .transform((v) => parsePercent(v) as number)
          .optional()
          .meta({ description: 'How much the error rate may rise over the previous release’s; default 1%.' }),
        minDelta: z
          .string({ error: 'expected a duration such as 2ms' })
          .refine((v) => typeof durationOf(v.trim()) === 'number', {
            error: 'expected a duration such as 2ms',
          })
          .transform((v) => parseDuration(v) as number)
          .optional()
          .meta({
            description:
              'A latency difference smaller than this never counts as a regression (timer noise); default 2ms.',
          }),
      })
      .optional()
      .meta({
        description:
          'Ratios over the previous release’s figures that fail the step (e.g. p95: 1.3x); default p50: 1.2x, p95: 1.5x, errorRate: 1%.',
      }),
  })
  .meta({
    description:
      "A bounded load (autocannon) on this environment's own address after the checks: p50/p95/p99 and error rate are stored with the release and compared with the previous release (measured side by side while it still runs); a regression beyond maxRegression fails the step and rolls back.",
  });

export type PerformanceConfig = z.output<typeof performanceStep>;

type Raw = Record<string, unknown>;
const isObject = (v: unknown): v is Raw => v !== null && typeof v === 'object' && !Array.isArray(v);
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * Where an endpoint sends load, or why it may not: a path goes to the environment's router; a URL
 * must be the router's own address (`router.port` on this machine) or the environment's `url`.
 */
export function endpointOutside(
  endpoint: string,
  addresses: { readonly routerPort?: number; readonly url?: string },
): string | undefined {
  if (endpoint.startsWith('/')) return undefined;
  let target: URL;
  try {
    target = new URL(endpoint);
  } catch {
    return `${endpoint} is neither a path nor a URL; expected ${ENDPOINT_HINT}`;
  }
  const own: string[] = [];
  if (addresses.routerPort !== undefined) own.push(`http://127.0.0.1:${addresses.routerPort}`);
  if (addresses.url !== undefined) own.push(new URL(addresses.url).origin);
  const onRouter =
    target.protocol === 'http:' &&
    LOOPBACK.has(target.hostname) &&
    addresses.routerPort !== undefined &&
    Number(target.port || 80) === addresses.routerPort;
  if (onRouter || (addresses.url !== undefined && target.origin === new URL(addresses.url).origin))
    return undefined;
  return `${target.origin} is outside this environment (its addresses: ${own.length ? own.join(', ') : "the router's, known only at deploy time"}); load never leaves the environment: use a path such as ${target.pathname || '/'}`;
}

/** Endpoints outside the environment's addresses, each named by its path in slipway.yaml. */
export function performanceProblems(env: Raw, base: readonly (string | number)[]): Problem[] {
  if (!isObject(env.performance) || !Array.isArray(env.performance.endpoints)) return [];
  const router = isObject(env.router) ? env.router : {};
  const addresses = {
    ...(typeof router.port === 'number' && { routerPort: router.port }),
    ...(typeof env.url === 'string' && URL.canParse(env.url) && { url: env.url }),
  };
  const problems: Problem[] = [];
  env.performance.endpoints.forEach((endpoint, i) => {
    if (typeof endpoint !== 'string' || endpoint === '') return;
    const outside = endpointOutside(endpoint, addresses);
    if (outside) problems.push({ path: [...base, 'performance', 'endpoints', i], message: outside });
  });
  return problems;
}
