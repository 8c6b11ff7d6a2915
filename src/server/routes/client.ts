/**
 * The client's seat: an environment as its client sees it (where to open it, the acceptance of
 * what it runs, how it would revert now and how long that took there), a deployment's waits and
 * timing, history in a client's terms, accepting or rejecting a release, and "Revert now" for
 * the role an environment names (`revert: { by: role }`), which is the same rollback as the CLI's.
 */
import { createRoute, z } from '@hono/zod-openapi';
import { acceptRelease } from '../../app/acceptance.ts';
import { clientDeployment, clientEnvironment } from '../../app/client.ts';
import { CLIENT_STATES, clientHistory } from '../../app/client-history.ts';
import { rehearseRevert } from '../../app/revert-drill.ts';
import { ANY_ENV } from '../../domain/auth.ts';
import { AppError } from '../../domain/errors.ts';
import { REVERT_KINDS } from '../../engine/revert-times.ts';
import { authorize } from '../auth/middleware.ts';
import { can, readableEnvs } from '../auth/roles.ts';
import { IdParam, RollbackResult } from '../schemas.ts';
import type { Services } from '../services.ts';
import { deploymentView } from '../views.ts';
import { type Api, bearer, errors, json } from './common.ts';
import { readableDeployment } from './read.ts';

const EnvParam = z.object({ env: z.string().min(1).max(100) });
const AcceptanceSchema = z.object({
  env: z.string(),
  decision: z.enum(['accept', 'reject']),
  by: z.string(),
  at: z.string(),
  version: z.string(),
  digest: z.string(),
  reason: z.string().nullable(),
});
const RevertTimeSchema = z.object({
  kind: z.enum(REVERT_KINDS),
  ms: z.number(),
  at: z.string(),
  deployment: z.string(),
  by: z.string(),
});
const RevertDrillSchema = z.object({
  env: z.string(),
  ms: z.number().openapi({ description: 'the switch to the previous release' }),
  backMs: z.number().openapi({ description: 'the switch back' }),
  at: z.string(),
  by: z.string(),
  version: z.string(),
  previousVersion: z.string(),
});
export const ClientEnvironment = z.object({
  env: z.string(),
  url: z.string().nullable(),
  acceptance: z.object({ by: z.string() }).nullable(),
  accepted: AcceptanceSchema.nullable(),
  revert: z.object({
    kind: z.enum(REVERT_KINDS).nullable(),
    measured: RevertTimeSchema.nullable(),
    rehearsed: RevertDrillSchema.nullable(),
    drillable: z.boolean(),
  }),
  window: z.object({ open: z.boolean(), nextOpening: z.string().nullable() }).nullable(),
  mayRevert: z.boolean(),
  mayAccept: z.boolean(),
  mayRehearse: z.boolean(),
});
export const ClientDeployment = z.object({
  id: z.string(),
  version: z.string(),
  fromVersion: z.string().nullable(),
  waiting: z.enum(['approval', 'window']).nullable(),
  goesLiveAt: z.string().nullable(),
  remainingMs: z.number(),
  acceptance: AcceptanceSchema.extend({ required: z.literal(true) }).nullable(),
  approvedBy: z.array(z.string()),
  rejectedBy: z.string().nullable(),
});
export const ClientHistory = z.object({
  rows: z.array(
    z.object({
      id: z.string(),
      env: z.string(),
      version: z.string(),
      fromVersion: z.string().nullable(),
      revert: z.boolean(),
      state: z.enum(CLIENT_STATES),
      at: z.string(),
      finishedAt: z.string().nullable(),
      startedBy: z.string(),
      decidedBy: z.string().nullable(),
    }),
  ),
});
const AcceptBody = z.strictObject({
  release: z.string().min(1).max(200).openapi({ description: 'the version (or id) of the release' }),
  decision: z.enum(['accept', 'reject']).default('accept'),
  reason: z.string().max(2000).optional(),
});
const RevertBody = z.strictObject({ reason: z.string().max(2000).optional() });
const rehearse = createRoute({
  method: 'post',
  path: '/api/environments/{env}/revert-drill',
  summary:
    'Rehearse switching back (a drill, before the last environment only): traffic to the previous release and back, both measured and audited',
  security: bearer,
  request: { params: EnvParam },
  responses: { 200: json(RevertDrillSchema, 'The drill, measured'), ...errors },
});

const environment = createRoute({
  method: 'get',
  path: '/api/environments/{env}/client',
  summary: 'An environment for its client: its address, acceptance, how it would revert now and how fast',
  security: bearer,
  request: { params: EnvParam },
  responses: { 200: json(ClientEnvironment, 'The environment'), ...errors },
});
const deployment = createRoute({
  method: 'get',
  path: '/api/deployments/{id}/client',
  summary: 'What a deployment waits for, when it goes live and roughly how long it takes',
  security: bearer,
  request: { params: IdParam },
  responses: { 200: json(ClientDeployment, 'The deployment'), ...errors },
});
const history = createRoute({
  method: 'get',
  path: '/api/client/history',
  summary: 'History in a client’s terms: live, replaced, reverted, rejected by whom, waiting',
  security: bearer,
  request: {
    query: z.strictObject({
      env: z.string().min(1).max(100).optional(),
      limit: z.coerce.number().int().min(1).max(500).default(100),
    }),
  },
  responses: { 200: json(ClientHistory, 'Newest first'), ...errors },
});
const accept = createRoute({
  method: 'post',
  path: '/api/environments/{env}/acceptance',
  summary:
    'Accept or reject (with a reason) a release that succeeded on an environment asking for acceptance',
  security: bearer,
  request: { params: EnvParam, body: { content: { 'application/json': { schema: AcceptBody } } } },
  responses: { 200: json(AcceptanceSchema, 'The decision recorded'), ...errors },
});
const revert = createRoute({
  method: 'post',
  path: '/api/environments/{env}/revert',
  summary:
    'Revert now: the rollback of `slipway rollback ENV`, for those who may roll back or hold the revert role',
  security: bearer,
  request: {
    params: EnvParam,
    body: { content: { 'application/json': { schema: RevertBody } }, required: false },
  },
  responses: { 200: json(RollbackResult, 'What the revert did'), ...errors },
});

/** True when the grants allow a rollback of `env`, or hold the role its `revert.by` names. */
function mayRevert(s: Services, grants: Parameters<typeof can>[0], env: string): boolean {
  if (can(grants, 'rollback', env)) return true;
  const role = s.config?.environments[env]?.revert?.by;
  return role !== undefined && grants.some((g) => g.role === role && (g.env === env || g.env === ANY_ENV));
}

function mayAccept(s: Services, grants: Parameters<typeof can>[0], env: string): boolean {
  const role = s.config?.environments[env]?.acceptance?.by;
  if (role === undefined) return false;
  return grants.some((g) => (g.role === role || g.role === 'admin') && (g.env === env || g.env === ANY_ENV));
}

/** Who may rehearse switching back: those who may revert there, and those who accept there. */
const mayRehearse = (s: Services, grants: Parameters<typeof can>[0], env: string) =>
  mayRevert(s, grants, env) || mayAccept(s, grants, env);

export function registerClientRoutes(app: Api, s: Services): void {
  app.openapi(rehearse, async (c) => {
    const { env } = c.req.valid('param');
    const p = authorize(c, 'read', env);
    if (!mayRehearse(s, p.grants, env))
      throw new AppError(
        'FORBIDDEN',
        `user ${p.user} may not rehearse switching back on ${env}: that needs the deployer role there, or the role its revert or acceptance names in slipway.yaml`,
      );
    return c.json(await rehearseRevert(s.runner.app, env, p.user), 200);
  });

  app.openapi(environment, async (c) => {
    const { env } = c.req.valid('param');
    const p = authorize(c, 'read', env);
    const out = await clientEnvironment(s.runner.app, env);
    return c.json(
      {
        ...out,
        mayRevert: mayRevert(s, p.grants, env),
        mayAccept: mayAccept(s, p.grants, env),
        mayRehearse: out.revert.drillable && mayRehearse(s, p.grants, env),
      },
      200,
    );
  });

  app.openapi(deployment, async (c) => {
    const d = await readableDeployment(s, c.req.valid('param').id);
    authorize(c, 'read', d.env);
    const out = await clientDeployment(s.runner.app, d);
    return c.json({ ...out, approvedBy: [...out.approvedBy] }, 200);
  });

  app.openapi(history, async (c) => {
    const q = c.req.valid('query');
    const p = authorize(c, 'read', q.env, q.env === undefined);
    const envs = readableEnvs(p.grants);
    const rows = await clientHistory(s.runner.app, {
      limit: q.limit,
      ...(q.env !== undefined && { env: q.env }),
      ...(q.env === undefined && envs !== 'all' && { envs }),
    });
    return c.json({ rows }, 200);
  });

  app.openapi(accept, async (c) => {
    const { env } = c.req.valid('param');
    const body = c.req.valid('json');
    const p = authorize(c, 'read', env);
    const a = await acceptRelease(s.runner.app, env, body.release, p.user, body.decision, body.reason);
    return c.json(a, 200);
  });

  app.openapi(revert, async (c) => {
    const { env } = c.req.valid('param');
    const body = c.req.valid('json') ?? {};
    const p = authorize(c, 'read', env);
    if (!mayRevert(s, p.grants, env))
      throw new AppError(
        'FORBIDDEN',
        `user ${p.user} may not revert ${env}: that needs the deployer role there${s.config?.environments[env]?.revert ? ` or the role ${s.config.environments[env].revert.by}` : ''}; an admin can name a role in slipway.yaml (environments.${env}.revert: { by: approver })`,
      );
    const reason = body.reason?.trim() || `reverted by ${p.user} from the dashboard`;
    const r = await s.runner.rollbackEnvironment(env, p.user, { reason });
    return c.json(
      {
        kind: r.kind,
        release: r.kind === 'in-flight' ? null : r.release.version,
        switchMs: r.kind === 'switch' ? r.switchMs : null,
        deployment: deploymentView(r.deployment),
      },
      200,
    );
  });
}
