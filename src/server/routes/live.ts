/**
 * "Something changed": a server-sent event stream the dashboard's overview and history listen to,
 * so a deployment moving, an acceptance, an approval or a revert shows without reloading. The
 * stream carries no data of its own — only a `change` event when the fingerprint of what the user
 * may read moves — and the page then asks the ordinary routes, which authorize as always. It polls
 * the store (like the deployment stream), so it works whichever process made the change.
 */
import { createRoute, z } from '@hono/zod-openapi';
import { streamSSE } from 'hono/streaming';
import { ROLLBACK_SWITCH_ACTION } from '../../app/rollback.ts';
import { REVERT_DRILL_ACTION, REVERT_MEASURED_ACTION } from '../../engine/revert-times.ts';
import { ACCEPT_ACTION, REJECT_ACTION } from '../../gates/acceptance.ts';
import { authorize } from '../auth/middleware.ts';
import { readableEnvs } from '../auth/roles.ts';
import type { Services } from '../services.ts';
import { type Api, bearer, errors } from './common.ts';

const live = createRoute({
  method: 'get',
  path: '/api/live',
  summary:
    'Server-sent events: `change` whenever a deployment, an environment or a decision the user may read changes',
  security: bearer,
  responses: {
    200: { content: { 'text/event-stream': { schema: z.string() } }, description: 'An event stream' },
    ...errors,
  },
});

/** Environment-wide decisions that change what the overview shows without a deployment moving. */
const WATCHED = [
  ACCEPT_ACTION,
  REJECT_ACTION,
  REVERT_MEASURED_ACTION,
  REVERT_DRILL_ACTION,
  ROLLBACK_SWITCH_ACTION,
];
/** A comment line this often keeps proxies from closing a quiet stream. */
const KEEPALIVE_MS = 15_000;

/** What the user may read, in one string: it differs whenever any of it changed. */
async function fingerprint(s: Services, envs: 'all' | readonly string[]): Promise<string> {
  const [deployments, overview, audit] = await Promise.all([
    s.store.listDeployments({ limit: 50, ...(envs !== 'all' && { envs }) }),
    s.store.environmentOverview({}),
    // Per readable environment for a user who may not read them all: nothing of the others leaks.
    envs === 'all'
      ? s.store.latestAudit({ actions: WATCHED }).then((a) => [a])
      : Promise.all(envs.map((env) => s.store.latestAudit({ actions: WATCHED, env }))),
  ]);
  const seen = (env: string) => envs === 'all' || envs.includes(env);
  return [
    ...deployments.map((d) => `${d.id}:${d.revision}`),
    ...overview.filter((o) => seen(o.env)).map((o) => `${o.app}/${o.env}:${o.release?.id}:${o.since}`),
    // The seq alone (a number) says a decision happened, not what or where.
    `audit:${audit.map((a) => a?.seq ?? 0).join(',')}`,
  ].join('|');
}

export function registerLiveRoutes(app: Api, s: Services): void {
  app.openapi(live, async (c) => {
    const p = authorize(c, 'read', undefined, true);
    const envs = readableEnvs(p.grants);
    const every = Math.max(s.ssePollMs, 500);
    return streamSSE(c, async (sse) => {
      let closed = false;
      sse.onAbort(() => {
        closed = true;
      });
      let last = await fingerprint(s, envs);
      let n = 0;
      // The first event tells the page the stream works, so it can stop its own polling.
      await sse.writeSSE({ event: 'ready', data: '{}' });
      let quiet = 0;
      while (!closed) {
        await sse.sleep(every);
        if (closed) break;
        const now = await fingerprint(s, envs);
        quiet += every;
        if (now !== last) {
          last = now;
          quiet = 0;
          await sse.writeSSE({ event: 'change', id: String(++n), data: '{}' });
        } else if (quiet >= KEEPALIVE_MS) {
          quiet = 0;
          await sse.write(': keep-alive\n\n');
        }
      }
    });
  });
}
