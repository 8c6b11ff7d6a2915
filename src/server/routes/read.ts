/**
 * Read routes: environments overview, deployment history, one deployment, an environment's
 * performance figures (releases: releases.ts).
 */
import { createRoute } from '@hono/zod-openapi';
import type { AgentClient } from '../../agent/client.ts';
import { AppError } from '../../domain/errors.ts';
import type { Deployment } from '../../domain/types.ts';
import { environmentTruth } from '../../engine/truth.ts';
import { authorize } from '../auth/middleware.ts';
import { readableEnvs } from '../auth/roles.ts';
import {
  DeploymentDetail,
  History,
  HistoryQuery,
  IdParam,
  Overview,
  OverviewQuery,
  PerformanceQuery,
  PerfRecord,
} from '../schemas.ts';
import type { Services } from '../services.ts';
import { approvalView, deploymentView, progressView } from '../views.ts';
import { type Api, bearer, errors, json } from './common.ts';

const overview = createRoute({
  method: 'get',
  path: '/api/environments',
  summary: 'Which release runs where, since when, by whom; one page of apps',
  security: bearer,
  request: { query: OverviewQuery },
  responses: { 200: json(Overview, 'The environments of a page of apps'), ...errors },
});

const history = createRoute({
  method: 'get',
  path: '/api/deployments',
  summary: 'Deployment history, newest first, filtered by app, environment, result and who',
  security: bearer,
  request: { query: HistoryQuery },
  responses: { 200: json(History, 'A page of deployments'), ...errors },
});

const detail = createRoute({
  method: 'get',
  path: '/api/deployments/{id}',
  summary: 'One deployment with its plan, time line, steps, analysis numbers and approvals',
  security: bearer,
  request: { params: IdParam },
  responses: { 200: json(DeploymentDetail, 'The deployment'), ...errors },
});

const performance = createRoute({
  method: 'get',
  path: '/api/performance',
  summary:
    "An environment's performance-step figures per release, newest first, with what each was compared with",
  security: bearer,
  request: { query: PerformanceQuery },
  responses: { 200: json(PerfRecord.array(), 'Measured releases'), ...errors },
});

/** The deployment, if the principal may read its environment (404 before 403 would leak ids). */
export async function readableDeployment(s: Services, id: string): Promise<Deployment> {
  const d = await s.store.getDeployment(id);
  if (!d) throw new AppError('DEPLOYMENT_NOT_FOUND', `no deployment ${id}`);
  return d;
}

export function registerReadRoutes(app: Api, s: Services): void {
  app.openapi(overview, async (c) => {
    const principal = authorize(c, 'read', undefined, true);
    const envs = readableEnvs(principal.grants);
    const q = c.req.valid('query');
    const rows = await s.store.environmentOverview({
      ...(q.app !== undefined && { app: q.app }),
      ...(q.after !== undefined && { afterApp: q.after }),
      limitApps: q.limit,
    });
    const active = new Map<string, Deployment>();
    for (const status of ['running', 'paused'] as const)
      for (const d of await s.store.listDeployments({ status, limit: 1000 }))
        active.set(`${d.app}/${d.env}`, d);
    const visible = rows.filter((r) => envs === 'all' || envs.includes(r.env));
    const apps = [...new Set(rows.map((r) => r.app))];
    // What the data plane serves, asked of this server's agent (it serves the app of its slipway.yaml);
    // an overview that cannot say so still lists the records.
    let agent: AgentClient | undefined;
    try {
      agent = s.config ? s.runner.agent() : undefined;
    } catch {
      agent = undefined;
    }
    const truths = await Promise.all(
      visible.map((r) =>
        agent && r.app === s.config?.app
          ? environmentTruth(s.store, agent, r.app, r.env).catch(() => undefined)
          : undefined,
      ),
    );
    return c.json(
      {
        environments: visible.map((r, i) => {
          const d = active.get(`${r.app}/${r.env}`);
          const t = truths[i];
          const standing = t?.deployment?.id === d?.id ? t?.deployment : undefined;
          return {
            ...r,
            active: d
              ? {
                  id: d.id,
                  status: d.status,
                  releaseId: d.releaseId,
                  ...(standing && { state: standing.state, line: standing.line }),
                }
              : null,
            served: t ? { ...t.served, releases: [...t.served.releases] } : null,
            drift: t ? t.drift : null,
          };
        }),
        nextAfter: apps.length === q.limit ? (apps.at(-1) ?? null) : null,
      },
      200,
    );
  });

  app.openapi(history, async (c) => {
    const q = c.req.valid('query');
    const principal = authorize(c, 'read', q.env, true);
    const envs = readableEnvs(principal.grants);
    const list = await s.store.listDeployments({
      ...(q.app !== undefined && { app: q.app }),
      ...(q.env !== undefined && { env: q.env }),
      ...(q.env === undefined && envs !== 'all' && { envs }),
      ...(q.status !== undefined && { status: q.status }),
      ...(q.by !== undefined && { createdBy: q.by }),
      ...(q.before !== undefined && { before: q.before }),
      ...(q.before !== undefined && q.beforeId !== undefined && { beforeId: q.beforeId }),
      limit: q.limit,
    });
    return c.json(
      {
        deployments: list.map(deploymentView),
        nextBefore: list.length === q.limit ? (list.at(-1)?.createdAt ?? null) : null,
        nextBeforeId: list.length === q.limit ? (list.at(-1)?.id ?? null) : null,
      },
      200,
    );
  });

  app.openapi(performance, async (c) => {
    const q = c.req.valid('query');
    authorize(c, 'read', q.env);
    const app = q.app ?? s.config?.app;
    if (app === undefined)
      throw new AppError('REQUEST_INVALID', 'app: this server runs no slipway.yaml; name the app (?app=)');
    return c.json(await s.store.performance.list(app, q.env, q.limit), 200);
  });

  app.openapi(detail, async (c) => {
    const d = await readableDeployment(s, c.req.valid('param').id);
    authorize(c, 'read', d.env);
    const [release, approvals] = await Promise.all([
      s.store.findRelease(d.app, d.releaseId),
      s.store.listApprovals(d.id),
    ]);
    return c.json(
      {
        deployment: deploymentView(d),
        release: release ? { id: release.id, version: release.version, digest: release.digest } : null,
        ...progressView(d),
        approvals: approvals.map(approvalView),
      },
      200,
    );
  });
}
