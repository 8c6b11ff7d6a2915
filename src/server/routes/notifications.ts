/**
 * Notifications on the server: the dead-letter list (and the rest of the queue) for the
 * dashboard's panel, and approve links from "waiting for approval" messages. A link only opens the
 * approval page for a signed-in user; the approval itself goes through the usual action, where the
 * gates decide. Every use and every refusal of a link is audited.
 */
import { createRoute, z } from '@hono/zod-openapi';
import { AppError } from '../../domain/errors.ts';
import { REFUSAL_WORDS, redeemApproveLink } from '../../notify/approve-link.ts';
import { DELIVERY_STATUSES } from '../../notify/contract.ts';
import { authorize } from '../auth/middleware.ts';
import { readableEnvs } from '../auth/roles.ts';
import type { Services } from '../services.ts';
import { type Api, bearer, errors, json } from './common.ts';

const DeliveryRow = z
  .object({
    id: z.string(),
    subscription: z.string(),
    event: z.string(),
    env: z.string(),
    deploymentId: z.string().nullable(),
    status: z.enum(DELIVERY_STATUSES),
    attempts: z.number(),
    lastError: z.string().nullable(),
    createdAt: z.string(),
  })
  .openapi('NotificationDelivery');
const Deliveries = z
  .object({
    counts: z.object({ pending: z.number(), delivered: z.number(), dead: z.number() }),
    deliveries: z.array(DeliveryRow),
  })
  .openapi('NotificationDeliveries');
const ListQuery = z.strictObject({
  status: z.enum(DELIVERY_STATUSES).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(20),
});
const RedeemBody = z
  .strictObject({
    deployment: z.string().regex(/^[\w.-]{1,100}$/, 'a deployment id'),
    token: z.string().max(200),
  })
  .openapi('ApproveLinkRequest');
const Redeemed = z.object({ deployment: z.string(), env: z.string() }).openapi('ApproveLinkResult');

const list = createRoute({
  method: 'get',
  path: '/api/notifications',
  summary:
    'Notification deliveries of the environments you may read (newest first); status=dead is the dead-letter list',
  security: bearer,
  request: { query: ListQuery },
  responses: { 200: json(Deliveries, 'Counts of the whole queue and the deliveries'), ...errors },
});

const redeem = createRoute({
  method: 'post',
  path: '/api/approve-links/redeem',
  summary: "Use an approve link from a notification: it opens that deployment's approval page once",
  security: bearer,
  request: { body: { content: { 'application/json': { schema: RedeemBody } }, required: true } },
  responses: { 200: json(Redeemed, 'The link was good and is now used'), ...errors },
});

export function registerNotificationRoutes(app: Api, s: Services): void {
  app.openapi(list, async (c) => {
    const principal = authorize(c, 'read', undefined, true);
    const readable = readableEnvs(principal.grants);
    const may = (env: string) => readable === 'all' || readable.includes(env);
    const q = c.req.valid('query');
    const rows = await s.store.notifications.list({ limit: 1000, ...(q.status && { status: q.status }) });
    const deliveries = rows
      .filter((d) => may(d.env))
      .slice(0, q.limit)
      // No payload: a "waiting for approval" payload holds an approve link.
      .map((d) => ({
        id: d.id,
        subscription: d.subscription,
        event: d.event,
        env: d.env,
        deploymentId: d.deploymentId,
        status: d.status,
        attempts: d.attempts,
        lastError: d.lastError,
        createdAt: d.createdAt,
      }));
    return c.json({ counts: await s.store.notifications.counts(), deliveries }, 200);
  });

  app.openapi(redeem, async (c) => {
    const body = c.req.valid('json');
    const principal = authorize(c, 'read', undefined, true);
    const audit = (action: string, data: object) =>
      s.store.appendAudit({
        actor: principal.user,
        action,
        target: body.deployment,
        data: { ...data, identity: principal.via },
      });
    const d = await s.store.getDeployment(body.deployment);
    if (d) authorize(c, 'read', d.env);
    const result = await redeemApproveLink(s.store.approveLinks, body.deployment, body.token, principal.user);
    if (!result.ok || !d) {
      const why = result.ok ? 'another deployment' : result.why;
      await audit('approve-link.refused', {
        reason: why,
        ...(!result.ok &&
          result.link && {
            linkFor: result.link.deploymentId,
            usedBy: result.link.usedBy,
            usedAt: result.link.usedAt,
          }),
      });
      const used =
        !result.ok && result.link?.usedBy ? ` (by ${result.link.usedBy} at ${result.link.usedAt})` : '';
      throw new AppError(
        'APPROVE_LINK_REFUSED',
        `${REFUSAL_WORDS[why]}${used}; open the deployment from the dashboard instead`,
      );
    }
    await audit('approve-link.used', { env: d.env, expiresAt: result.link.expiresAt });
    return c.json({ deployment: d.id, env: d.env }, 200);
  });
}
