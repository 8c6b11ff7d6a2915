/**
 * Promotion through the server: deploy to `to` the release `from` runs, through every gate of
 * `to`, as `slipway promote` does locally, so a remote CLI (SLIPWAY_URL + token) and the
 * dashboard reach the same rule, including an admin's `--override` of the lifecycle rule.
 * Checks: deploy on `to`; with an override also admin on `to` here, and the engine's own check
 * (slipway.yaml `users:`), both audited.
 */
import { createRoute, z } from '@hono/zod-openapi';
import { authorize } from '../auth/middleware.ts';
import { DeploymentSummary } from '../schemas.ts';
import type { Services } from '../services.ts';
import { deploymentView } from '../views.ts';
import { type Api, bearer, errors, json } from './common.ts';

const env = z.string().min(1).max(100);
const PromoteBody = z
  .strictObject({
    from: env.openapi({ description: 'the environment the release succeeded in, e.g. staging' }),
    to: env.openapi({ description: 'the environment to deploy it to, e.g. production' }),
    override: z
      .string()
      .trim()
      .min(1)
      .max(1000)
      .optional()
      .openapi({ description: 'deploy although the lifecycle rule refuses: the reason (an admin; audited)' }),
  })
  .openapi('PromoteRequest');
const Promoted = z
  .object({ deployment: DeploymentSummary, release: z.string().openapi({ description: 'its version' }) })
  .openapi('Promoted');

const promote = createRoute({
  method: 'post',
  path: '/api/promotions',
  summary:
    'Promote: deploy the release one environment runs to the next, through its gates; the server drives it',
  security: bearer,
  request: { body: { content: { 'application/json': { schema: PromoteBody } }, required: true } },
  responses: { 201: json(Promoted, 'The deployment, started'), ...errors },
});

export function registerPromoteRoutes(app: Api, s: Services): void {
  app.openapi(promote, async (c) => {
    const body = c.req.valid('json');
    authorize(c, 'read', body.from);
    const principal = authorize(c, 'deploy', body.to);
    if (body.override !== undefined) authorize(c, 'admin', body.to);
    const { deployment, release } = await s.runner.promote(body.from, body.to, principal.user, {
      via: principal.via,
      ...(body.override !== undefined && { override: { reason: body.override } }),
    });
    return c.json({ deployment: deploymentView(deployment), release: release.version }, 201);
  });
}
