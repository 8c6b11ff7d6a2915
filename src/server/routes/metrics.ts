/**
 * `GET /api/metrics/dora`: DORA's four keys for one app and environment (README, "DORA metrics"), and
 * `GET /api/deployments/{id}/postmortem`: a post-mortem draft.
 */
import { createRoute, z } from '@hono/zod-openapi';
import { durationOf } from '../../config/units.ts';
import { AppError } from '../../domain/errors.ts';
import { doraFromStore } from '../../metrics/dora-read.ts';
import { postmortemMarkdown } from '../../postmortem/read.ts';
import { authorize } from '../auth/middleware.ts';
import type { Services } from '../services.ts';
import { type Api, bearer, errors, json } from './common.ts';

const word = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/);
const ms = z.number().nullable();

export const DoraQuery = z.strictObject({
  app: word.optional().openapi({ description: "default: the server's app" }),
  env: word.openapi({ description: 'the environment, e.g. production' }),
  since: z.string().max(32).default('90d').openapi({ description: 'how far back, a duration such as 90d' }),
  fixWithin: z.string().max(32).optional().openapi({
    description:
      "a succeeded change followed by another within this duration counts as failed; 0 turns it off; default: slipway.yaml's dora.fixWithin",
  }),
});

export const DoraBody = z
  .object({
    app: z.string(),
    env: z.string(),
    since: z.string(),
    until: z.string(),
    days: z.number(),
    fixWithinMs: ms,
    deployments: z.number(),
    perDay: z.number(),
    perWeek: z.number(),
    leadTime: z.object({ count: z.number(), medianMs: ms, p90Ms: ms }),
    changeFailure: z.object({ changes: z.number(), failed: z.number(), rate: z.number().nullable() }),
    recovery: z.object({ recovered: z.number(), open: z.number(), medianMs: ms }),
    failures: z.array(
      z.object({
        deploymentId: z.string(),
        how: z.enum(['rolled_back', 'failed', 'reverted', 'fixed']),
        startedAt: z.string(),
        recoveredAt: z.string().nullable(),
        recoveryMs: ms,
      }),
    ),
    weeks: z.array(z.object({ week: z.string(), deployments: z.number(), failed: z.number() })),
  })
  .openapi('DoraReport');

const dora = createRoute({
  method: 'get',
  path: '/api/metrics/dora',
  summary: "DORA's four keys for one environment over a period",
  security: bearer,
  request: { query: DoraQuery },
  responses: { 200: json(DoraBody, 'The four keys with the failures behind them'), ...errors },
});

export function registerMetricRoutes(app: Api, s: Services): void {
  registerPostmortemRoute(app, s);
  app.openapi(dora, async (c) => {
    const q = c.req.valid('query');
    authorize(c, 'read', q.env);
    const sinceMs = durationOf(q.since);
    if (typeof sinceMs === 'string' || sinceMs <= 0)
      throw new AppError('USAGE', `since: expected a duration such as 90d, found ${JSON.stringify(q.since)}`);
    const appName = q.app ?? s.config?.app;
    if (!appName) throw new AppError('USAGE', 'app: this server has no slipway.yaml; name the app');
    const fixWithinMs =
      q.fixWithin === undefined
        ? (s.config?.dora?.fixWithin ?? 0)
        : q.fixWithin === '0'
          ? 0
          : durationOf(q.fixWithin);
    if (typeof fixWithinMs === 'string' || fixWithinMs < 0)
      throw new AppError(
        'USAGE',
        `fixWithin: expected a duration such as 1h (0 turns it off), found ${JSON.stringify(q.fixWithin)}`,
      );
    const report = await doraFromStore(s.store, { app: appName, env: q.env, sinceMs, fixWithinMs });
    return c.json({ app: appName, ...report, failures: [...report.failures], weeks: [...report.weeks] }, 200);
  });
}

const postmortem = createRoute({
  method: 'get',
  path: '/api/deployments/{id}/postmortem',
  summary: 'A blameless post-mortem draft (Markdown) of a rolled-back or failed deployment',
  security: bearer,
  request: { params: z.object({ id: z.string().min(1).max(128) }) },
  responses: { 200: json(z.object({ markdown: z.string() }), 'The draft'), ...errors },
});

export function registerPostmortemRoute(app: Api, s: Services): void {
  app.openapi(postmortem, async (c) => {
    const { id } = c.req.valid('param');
    const d = await s.store.getDeployment(id);
    if (!d) throw new AppError('DEPLOYMENT_NOT_FOUND', `no deployment ${id}`);
    authorize(c, 'read', d.env);
    return c.json({ markdown: await postmortemMarkdown(s.store, d.app, id) }, 200);
  });
}
