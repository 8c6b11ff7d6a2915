/**
 * Routes the dashboard needs besides the core API: what the signed-in user may do where, an
 * environment's config keys (never values), the last measured rollback switch, and the audit
 * entries of one deployment.
 */
import { createRoute, z } from '@hono/zod-openapi';
import { ROLLBACK_SWITCH_ACTION } from '../../app/rollback.ts';
import { AppError } from '../../domain/errors.ts';
import type { AuditEntry } from '../../domain/types.ts';
import { authorize } from '../auth/middleware.ts';
import { can, PERMISSIONS } from '../auth/roles.ts';
import { IdParam } from '../schemas.ts';
import type { Services } from '../services.ts';
import { type Api, bearer, errors, json } from './common.ts';
import { readableDeployment } from './read.ts';

const Permissions = z.object({
  user: z.string(),
  environments: z.array(z.object({ env: z.string(), actions: z.array(z.enum(PERMISSIONS)) })),
});
const ConfigKeys = z.object({
  env: z.string(),
  keys: z.array(z.object({ key: z.string(), kind: z.enum(['value', 'required', 'secret']) })),
});
const RollbackSpeed = z.object({
  env: z.string().nullable(),
  switchMs: z.number().nullable().openapi({ description: 'the last measured switch; null when none yet' }),
  at: z.string().nullable(),
});
const AuditList = z.array(
  z.object({ seq: z.number(), at: z.string(), actor: z.string(), action: z.string(), data: z.unknown() }),
);
const EnvParam = z.object({ env: z.string().min(1).max(100) });

const permissions = createRoute({
  method: 'get',
  path: '/api/session/permissions',
  summary: 'What the signed-in user may do on each environment of slipway.yaml',
  security: bearer,
  responses: { 200: json(Permissions, 'Actions per environment'), ...errors },
});
const configKeys = createRoute({
  method: 'get',
  path: '/api/environments/{env}/config-keys',
  summary: "An environment's config and secret keys, without their values",
  security: bearer,
  request: { params: EnvParam },
  responses: { 200: json(ConfigKeys, 'The keys'), ...errors },
});
const rollbackSpeed = createRoute({
  method: 'get',
  path: '/api/rollback-speed',
  summary: 'The last measured rollback traffic switch (of an environment, or of any)',
  security: bearer,
  request: { query: z.strictObject({ env: z.string().min(1).max(100).optional() }) },
  responses: { 200: json(RollbackSpeed, 'The last measured switch'), ...errors },
});
const audit = createRoute({
  method: 'get',
  path: '/api/deployments/{id}/audit',
  summary: 'The audit entries about one deployment, oldest first',
  security: bearer,
  request: { params: IdParam },
  responses: { 200: json(AuditList, 'Audit entries'), ...errors },
});

const PAGE = 1000;

/** The audit entries about one target, oldest first, page by page. */
async function* auditOf(s: Services, target: string): AsyncGenerator<AuditEntry> {
  let after = 0;
  for (;;) {
    const page = await s.store.listAuditByTarget(target, after, PAGE);
    yield* page;
    if (page.length < PAGE) return;
    after = (page.at(-1) as AuditEntry).seq;
  }
}

/** The newest rollback switch (of one environment, or of any) whose data has its measured time. */
async function lastSwitch(s: Services, env: string | undefined): Promise<AuditEntry | undefined> {
  // Switches name their environment as `<app>/<env>`: with the app known, one index seek.
  const where = env === undefined ? {} : s.config ? { target: `${s.config.app}/${env}` } : { env };
  const query = { actions: [ROLLBACK_SWITCH_ACTION], ...where };
  let entry = await s.store.latestAudit(query);
  // Every switch is measured; an entry without a number (say, written by hand) is passed over.
  while (entry && typeof (entry.data as { switchMs?: unknown } | null)?.switchMs !== 'number')
    entry = await s.store.latestAudit({ ...query, beforeSeq: entry.seq });
  return entry;
}

export function registerDashboardRoutes(app: Api, s: Services): void {
  app.openapi(permissions, async (c) => {
    const p = authorize(c, 'read', undefined, true);
    const envs = Object.keys(s.config?.environments ?? {});
    return c.json(
      {
        user: p.user,
        environments: envs.map((env) => ({
          env,
          actions: PERMISSIONS.filter((a) => can(p.grants, a, env)),
        })),
      },
      200,
    );
  });

  app.openapi(configKeys, async (c) => {
    const { env } = c.req.valid('param');
    authorize(c, 'read', env);
    const e = s.config?.environments[env];
    if (!e) throw new AppError('ENV_NOT_FOUND', `no environment "${env}" in slipway.yaml`);
    const keys = new Map<string, 'value' | 'required' | 'secret'>();
    // Shared config first; an environment's own block adds to it.
    for (const block of [s.config?.config, e.config]) {
      for (const k of Object.keys(block?.require ?? {})) keys.set(k, 'required');
      for (const k of Object.keys(block?.values ?? {})) keys.set(k, 'value');
    }
    for (const k of e.secrets ?? []) keys.set(k, 'secret');
    const list = [...keys].map(([key, kind]) => ({ key, kind })).sort((a, b) => a.key.localeCompare(b.key));
    return c.json({ env, keys: list }, 200);
  });

  app.openapi(rollbackSpeed, async (c) => {
    const { env } = c.req.valid('query');
    authorize(c, 'read', env, env === undefined);
    const last = await lastSwitch(s, env);
    if (!last) return c.json({ env: env ?? null, switchMs: null, at: null }, 200);
    // The target is `<app>/<env>`.
    const { switchMs } = last.data as { switchMs: number };
    return c.json({ env: last.target.split('/').at(-1) ?? '', switchMs, at: last.at }, 200);
  });

  app.openapi(audit, async (c) => {
    const d = await readableDeployment(s, c.req.valid('param').id);
    authorize(c, 'read', d.env);
    const out = [];
    for await (const a of auditOf(s, d.id))
      out.push({ seq: a.seq, at: a.at, actor: a.actor, action: a.action, data: a.data });
    return c.json(out, 200);
  });
}
