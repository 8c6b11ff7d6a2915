/**
 * The gate decisions that are not approve/reject: tick a checklist item, override a window or the
 * checklist. Through here (with a token) they are made on a store the server owns, where the local
 * CLI may not make them (src/app/identity.ts).
 */
import { createRoute, z } from '@hono/zod-openapi';
import { AppError } from '../../domain/errors.ts';
import { authorize } from '../auth/middleware.ts';
import { can } from '../auth/roles.ts';
import { DeploymentSummary, IdParam } from '../schemas.ts';
import type { Services } from '../services.ts';
import { deploymentView } from '../views.ts';
import { type Api, bearer, errors, json } from './common.ts';
import { readableDeployment } from './read.ts';

const CheckParam = z.strictObject({
  id: IdParam.shape.id,
  item: z.string().regex(/^[a-z0-9][a-z0-9-]{0,99}$/, 'a checklist item id, e.g. on-call-available'),
});
const CheckBody = z.strictObject({ note: z.string().max(1000).optional() }).openapi('CheckRequest');
const CheckResult = z
  .object({
    created: z.boolean(),
    tick: z.object({ item: z.string(), user: z.string(), at: z.string(), note: z.string().nullable() }),
  })
  .openapi('CheckResult');
const OverrideBody = z
  .strictObject({ gate: z.enum(['window', 'checklist']), reason: z.string().min(1).max(1000) })
  .openapi('OverrideRequest');

const check = createRoute({
  method: 'post',
  path: '/api/deployments/{id}/checklist/{item}',
  summary: 'Tick a manual checklist item of a deployment (a deployer or approver of its environment)',
  security: bearer,
  request: {
    params: CheckParam,
    body: { content: { 'application/json': { schema: CheckBody } }, required: false },
  },
  responses: { 200: json(CheckResult, 'The tick (an earlier one when already checked)'), ...errors },
});

const override = createRoute({
  method: 'post',
  path: '/api/deployments/{id}/override',
  summary: 'Override the window or checklist gate of a deployment, with a reason (an admin)',
  security: bearer,
  request: {
    params: IdParam,
    body: { content: { 'application/json': { schema: OverrideBody } }, required: true },
  },
  responses: { 200: json(DeploymentSummary, 'The deployment after the override'), ...errors },
});

export function registerGateRoutes(app: Api, s: Services): void {
  app.openapi(check, async (c) => {
    const { id, item } = c.req.valid('param');
    const body = c.req.valid('json') ?? {};
    const d = await readableDeployment(s, id);
    const principal = authorize(c, 'read', d.env);
    if (!can(principal.grants, 'deploy', d.env) && !can(principal.grants, 'approve', d.env))
      throw new AppError(
        'FORBIDDEN',
        `user ${principal.user} may not tick the checklist on ${d.env}: that needs the deployer or approver role there`,
      );
    const request = { action: 'check' as const, item, ...(body.note !== undefined && { note: body.note }) };
    const { tick } = await s.runner.app.act(id, request, principal.user, principal.via);
    if (!tick) throw new AppError('INTERNAL', 'a checklist tick returned nothing');
    const t = tick.tick;
    return c.json(
      { created: tick.created, tick: { item: t.item, user: t.user, at: t.at, note: t.note ?? null } },
      200,
    );
  });

  app.openapi(override, async (c) => {
    const { id } = c.req.valid('param');
    const body = c.req.valid('json');
    const d = await readableDeployment(s, id);
    const principal = authorize(c, 'admin', d.env);
    await s.runner.app.act(
      id,
      { action: 'override', gate: body.gate, reason: body.reason },
      principal.user,
      principal.via,
    );
    return c.json(deploymentView((await s.store.getDeployment(id)) ?? d), 200);
  });
}
