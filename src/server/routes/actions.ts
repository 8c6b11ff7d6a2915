/** Deploy, and the actions on a deployment: pause, resume, abort, rollback, approve, reject. */
import { createRoute } from '@hono/zod-openapi';
import { authorize } from '../auth/middleware.ts';
import {
  ActionBody,
  ActionParam,
  DeployBody,
  DeploymentSummary,
  RollbackBody,
  RollbackParam,
  RollbackResult,
} from '../schemas.ts';
import type { Services } from '../services.ts';
import { deploymentView } from '../views.ts';
import { type Api, bearer, errors, json } from './common.ts';
import { readableDeployment } from './read.ts';

const deploy = createRoute({
  method: 'post',
  path: '/api/deployments',
  summary: 'Deploy a release to an environment; the server drives it',
  security: bearer,
  request: { body: { content: { 'application/json': { schema: DeployBody } }, required: true } },
  responses: { 201: json(DeploymentSummary, 'The deployment, started'), ...errors },
});

const act = createRoute({
  method: 'post',
  path: '/api/deployments/{id}/{action}',
  summary: 'pause, resume, abort, rollback, approve or reject a deployment in flight',
  security: bearer,
  request: {
    params: ActionParam,
    body: { content: { 'application/json': { schema: ActionBody } }, required: false },
  },
  responses: { 200: json(DeploymentSummary, 'The deployment after the action'), ...errors },
});

const rollback = createRoute({
  method: 'post',
  path: '/api/environments/{env}/rollback',
  summary:
    'Roll an environment back: the deployment in flight, else a traffic switch to the previous release while it is warm, else a redeploy of it',
  security: bearer,
  request: {
    params: RollbackParam,
    body: { content: { 'application/json': { schema: RollbackBody } }, required: false },
  },
  responses: { 200: json(RollbackResult, 'What the rollback did'), ...errors },
});

export function registerActionRoutes(app: Api, s: Services): void {
  app.openapi(rollback, async (c) => {
    const { env } = c.req.valid('param');
    const body = c.req.valid('json') ?? {};
    const principal = authorize(c, 'rollback', env);
    const r = await s.runner.rollbackEnvironment(env, principal.user, {
      ...(body.to !== undefined && { to: body.to }),
      ...(body.reason !== undefined && { reason: body.reason }),
    });
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

  app.openapi(deploy, async (c) => {
    const body = c.req.valid('json');
    const principal = authorize(c, 'deploy', body.env);
    const d = await s.runner.deploy(body.env, body.release, principal.user, principal.via);
    return c.json(deploymentView(d), 201);
  });

  app.openapi(act, async (c) => {
    const { id, action } = c.req.valid('param');
    const body = c.req.valid('json') ?? {};
    const d = await readableDeployment(s, id);
    authorize(c, 'read', d.env);
    const principal = authorize(c, action, d.env);
    const after = await s.runner.act(id, action, principal.user, body.reason, principal.via);
    return c.json(deploymentView(after), 200);
  });
}
