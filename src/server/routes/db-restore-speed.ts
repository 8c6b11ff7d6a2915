/**
 * The last measured database restore (`slipway db restore`, audited as `db.restore` with its
 * restore, verify and swap times): the seeds' "DB rollback" row, shown on the dashboard beside the
 * traffic switch.
 */
import { createRoute, z } from '@hono/zod-openapi';
import { authorize } from '../auth/middleware.ts';
import type { Services } from '../services.ts';
import { type Api, bearer, errors, json } from './common.ts';

const RestoreSpeed = z.object({
  env: z.string().nullable(),
  totalMs: z
    .number()
    .nullable()
    .openapi({ description: 'the last restore, verified and swapped in; null when none yet' }),
  rows: z.number().nullable(),
  at: z.string().nullable(),
});

const route = createRoute({
  method: 'get',
  path: '/api/db-restore-speed',
  summary: 'The last measured database restore (of an environment, or of any)',
  security: bearer,
  request: { query: z.strictObject({ env: z.string().min(1).max(100).optional() }) },
  responses: { 200: json(RestoreSpeed, 'The last measured restore'), ...errors },
});

export function registerDbRestoreSpeed(app: Api, s: Services): void {
  app.openapi(route, async (c) => {
    const { env } = c.req.valid('query');
    authorize(c, 'read', env, env === undefined);
    const where = env === undefined ? {} : s.config ? { target: `${s.config.app}/${env}` } : { env };
    const last = await s.store.latestAudit({ actions: ['db.restore'], ...where });
    const data = (last?.data ?? {}) as { totalMs?: unknown; rows?: unknown };
    if (!last || typeof data.totalMs !== 'number')
      return c.json({ env: env ?? null, totalMs: null, rows: null, at: null }, 200);
    return c.json(
      {
        env: last.target.split('/').at(-1) ?? '',
        totalMs: data.totalMs,
        rows: typeof data.rows === 'number' ? data.rows : null,
        at: last.at,
      },
      200,
    );
  });
}
