/**
 * Live progress of a deployment as server-sent events. Every timeline entry is in the store's
 * event table; the stream polls it from the client's Last-Event-ID (or `?after=`), so a dropped
 * connection resumes without gaps, and it works the same whichever process runs the executor.
 * Events: `timeline` (id = event id), `state` (status, weight, analysis numbers), `end`.
 */
import { createRoute, z } from '@hono/zod-openapi';
import { streamSSE } from 'hono/streaming';
import { isTerminal } from '../../domain/types.ts';
import { authorize } from '../auth/middleware.ts';
import { escapeJson } from '../escape.ts';
import { IdParam } from '../schemas.ts';
import type { Services } from '../services.ts';
import { progressView } from '../views.ts';
import { type Api, bearer, errors } from './common.ts';
import { readableDeployment } from './read.ts';

const stream = createRoute({
  method: 'get',
  path: '/api/deployments/{id}/events',
  summary: 'Server-sent events: the time line and state of a deployment, live',
  security: bearer,
  request: {
    params: IdParam,
    query: z.strictObject({ after: z.coerce.number().int().min(0).optional() }),
  },
  responses: {
    200: { content: { 'text/event-stream': { schema: z.string() } }, description: 'An event stream' },
    ...errors,
  },
});

export function registerEventRoutes(app: Api, s: Services): void {
  app.openapi(stream, async (c) => {
    const { id } = c.req.valid('param');
    const first = await readableDeployment(s, id);
    authorize(c, 'read', first.env);
    const lastId = Number(c.req.header('last-event-id') ?? c.req.valid('query').after ?? 0);
    let after = Number.isFinite(lastId) && lastId >= 0 ? lastId : 0;
    return streamSSE(c, async (sse) => {
      let revision = -1;
      let closed = false;
      sse.onAbort(() => {
        closed = true;
      });
      while (!closed) {
        for (const e of await s.store.listEvents(id, after, 500)) {
          await sse.writeSSE({
            event: 'timeline',
            id: String(e.id),
            data: escapeJson(JSON.stringify({ at: e.at, ...(e.data as object) })),
          });
          after = e.id;
        }
        const d = await s.store.getDeployment(id);
        if (!d) break;
        if (d.revision !== revision) {
          revision = d.revision;
          const view = progressView(d);
          await sse.writeSSE({
            event: 'state',
            data: escapeJson(
              JSON.stringify({
                ...view.progress,
                status: d.status,
                engineStatus: view.progress.status,
                analysis: view.analysis,
              }),
            ),
          });
        }
        if (isTerminal(d.status)) {
          await sse.writeSSE({
            event: 'end',
            data: escapeJson(JSON.stringify({ status: d.status, reason: d.reason })),
          });
          break;
        }
        await sse.sleep(s.ssePollMs);
      }
    });
  });
}
