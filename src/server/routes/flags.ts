/**
 * Feature flags over HTTP. Management (list, get, history, set, rollout, kill, import, diff) with the
 * server's roles: read to look, deploy to change, rollback to kill. For apps: a snapshot with ETag,
 * a server-sent event stream of new revisions (what the TypeScript provider syncs from) and OFREP
 * (single and bulk evaluation) under /api/flags/{env}/ofrep/v1/.
 */
import { createHash } from 'node:crypto';
import { createRoute, z } from '@hono/zod-openapi';
import { streamSSE } from 'hono/streaming';
import { AppError } from '../../domain/errors.ts';
import { FlagHub } from '../../flags/hub.ts';
import { createFlagService, type FlagService } from '../../flags/service.ts';
import { authorize } from '../auth/middleware.ts';
import { escapeJson } from '../escape.ts';
import type { Services } from '../services.ts';
import { type Api, bearer, errors, json } from './common.ts';
import { registerOfrepRoutes } from './ofrep.ts';

const Env = z.object({ env: z.string().min(1).max(128) });
const EnvKey = Env.extend({ key: z.string().min(1).max(256) });
const Reason = z.string().min(1).max(4096);
const StoredFlag = z
  .object({
    app: z.string(),
    env: z.string(),
    key: z.string(),
    version: z.number(),
    definition: z.unknown(),
    action: z.string(),
    by: z.string(),
    reason: z.string().nullable(),
    at: z.string(),
    seq: z.number(),
  })
  .openapi('StoredFlag');
const body = <T extends z.ZodType>(schema: T) => ({
  body: { content: { 'application/json': { schema } }, required: true },
});

const ok = <T extends z.ZodType>(schema: T, description: string) => ({
  200: json(schema, description),
  ...errors,
});

const list = createRoute({
  method: 'get',
  path: '/api/flags/{env}',
  summary: "An environment's flags",
  security: bearer,
  request: { params: Env },
  responses: ok(z.object({ revision: z.number(), flags: z.array(StoredFlag) }), 'The flags'),
});
const get = createRoute({
  method: 'get',
  path: '/api/flags/{env}/{key}',
  summary: 'One flag, current version',
  security: bearer,
  request: { params: EnvKey },
  responses: ok(StoredFlag, 'The flag'),
});
const history = createRoute({
  method: 'get',
  path: '/api/flags/{env}/{key}/history',
  summary: "A flag's versions, newest first",
  security: bearer,
  request: {
    params: EnvKey,
    query: z.object({ limit: z.coerce.number().int().min(1).max(1000).optional() }),
  },
  responses: ok(z.array(StoredFlag), 'Its versions'),
});
const set = createRoute({
  method: 'put',
  path: '/api/flags/{env}/{key}',
  summary: 'Create or replace a flag (flagd definition, checked first)',
  security: bearer,
  request: {
    params: EnvKey,
    ...body(
      z.strictObject({
        definition: z.unknown(),
        reason: Reason,
        ifVersion: z.number().int().min(0).optional(),
      }),
    ),
  },
  responses: ok(StoredFlag, 'The new version'),
});
const rollout = createRoute({
  method: 'post',
  path: '/api/flags/{env}/{key}/rollout',
  summary: "Move a flag's percentage rollout",
  security: bearer,
  request: {
    params: EnvKey,
    ...body(
      z.strictObject({
        percent: z.number().int().min(0).max(100),
        variant: z.string().optional(),
        by: z.string().min(1).max(128).optional(),
        reason: Reason,
      }),
    ),
  },
  responses: ok(StoredFlag, 'The new version'),
});
const kill = createRoute({
  method: 'post',
  path: '/api/flags/{env}/{key}/kill',
  summary: 'Turn a flag off for everyone',
  security: bearer,
  request: { params: EnvKey, ...body(z.strictObject({ variant: z.string().optional(), reason: Reason })) },
  responses: ok(StoredFlag, 'The new version'),
});
const importFlags = createRoute({
  method: 'post',
  path: '/api/flags/{env}/import',
  summary: 'Store the flags of a flagd document (all or none)',
  security: bearer,
  request: {
    params: Env,
    ...body(z.strictObject({ text: z.string().max(4_000_000), source: z.string().max(512), reason: Reason })),
  },
  responses: ok(z.object({ changed: z.array(StoredFlag), unchanged: z.array(z.string()) }), 'What changed'),
});
const diff = createRoute({
  method: 'get',
  path: '/api/flags-diff',
  summary: 'Flags set differently in two environments',
  security: bearer,
  request: { query: z.object({ a: z.string().min(1), b: z.string().min(1) }) },
  responses: ok(z.array(z.object({ key: z.string(), differences: z.array(z.string()) })), 'The differences'),
});

/** ETag of a snapshot revision. */
export const revisionTag = (revision: number, extra = ''): string =>
  `"r${revision}${extra ? `-${createHash('sha256').update(extra).digest('hex').slice(0, 16)}` : ''}"`;

export function registerFlagRoutes(app: Api, s: Services): FlagHub | undefined {
  let service: FlagService | undefined;
  const flags = (): FlagService => {
    if (!s.config)
      throw new AppError(
        'USAGE',
        'this server was started without a slipway.yaml; start it in the project folder to keep flags',
      );
    service ??= createFlagService({ store: s.store, config: s.config });
    return service;
  };
  const hub = s.config ? new FlagHub(flags(), Math.min(s.ssePollMs, 200)) : undefined;
  const liveHub = (): FlagHub => {
    if (!hub) flags();
    return hub as FlagHub;
  };
  const changed = (env: string) => hub?.poke(env);

  // For apps: the whole set at a revision (ETag), and a stream of new revisions.
  app.get('/api/flags/:env/snapshot', async (c) => {
    const env = c.req.param('env');
    authorize(c, 'read', env);
    const live = await liveHub().current(env);
    const tag = revisionTag(live.snapshot.revision);
    if (c.req.header('if-none-match') === tag) return c.body(null, 304, { ETag: tag });
    return c.json(live.snapshot, 200, { ETag: tag });
  });
  app.get('/api/flags/:env/stream', async (c) => {
    const env = c.req.param('env');
    authorize(c, 'read', env);
    const first = await liveHub().current(env);
    return streamSSE(c, async (sse) => {
      let sent = -1;
      let wake: (() => void) | undefined;
      let pending = first;
      const unsubscribe = liveHub().subscribe(env, (live) => {
        pending = live;
        wake?.();
      });
      let open = true;
      sse.onAbort(() => {
        open = false;
        wake?.();
      });
      try {
        while (open) {
          if (pending.snapshot.revision !== sent) {
            sent = pending.snapshot.revision;
            await sse.writeSSE({
              event: 'flags',
              id: String(sent),
              data: escapeJson(JSON.stringify(pending.snapshot)),
            });
          }
          // A comment every 15 s keeps proxies from closing an idle stream and lets clients see it is alive.
          await new Promise<void>((resolve) => {
            const t = setTimeout(resolve, 15_000);
            wake = () => {
              clearTimeout(t);
              resolve();
            };
          });
          wake = undefined;
          if (open && pending.snapshot.revision === sent) await sse.write(': alive\n\n');
        }
      } finally {
        unsubscribe();
      }
    });
  });
  registerOfrepRoutes(app, liveHub);
  app.openapi(list, async (c) => {
    const { env } = c.req.valid('param');
    authorize(c, 'read', env);
    const [revision, rows] = await Promise.all([flags().revision(env), flags().list(env)]);
    return c.json({ revision, flags: rows } as never, 200);
  });
  app.openapi(get, async (c) => {
    const { env, key } = c.req.valid('param');
    authorize(c, 'read', env);
    return c.json((await flags().get(env, key)) as never, 200);
  });
  app.openapi(history, async (c) => {
    const { env, key } = c.req.valid('param');
    authorize(c, 'read', env);
    return c.json((await flags().history(env, key, c.req.valid('query').limit)) as never, 200);
  });
  app.openapi(set, async (c) => {
    const { env, key } = c.req.valid('param');
    const b = c.req.valid('json');
    const p = authorize(c, 'deploy', env);
    const f = await flags().set(env, key, b.definition, { by: p.user, reason: b.reason }, b.ifVersion);
    changed(env);
    return c.json(f as never, 200);
  });
  app.openapi(rollout, async (c) => {
    const { env, key } = c.req.valid('param');
    const b = c.req.valid('json');
    const p = authorize(c, 'deploy', env);
    const f = await flags().rollout(
      env,
      key,
      {
        percent: b.percent,
        ...(b.variant !== undefined && { variant: b.variant }),
        ...(b.by !== undefined && { by: b.by }),
      },
      { by: p.user, reason: b.reason },
    );
    changed(env);
    return c.json(f as never, 200);
  });
  app.openapi(kill, async (c) => {
    const { env, key } = c.req.valid('param');
    const b = c.req.valid('json');
    const p = authorize(c, 'rollback', env);
    const f = await flags().kill(env, key, { by: p.user, reason: b.reason }, b.variant);
    changed(env);
    return c.json(f as never, 200);
  });
  app.openapi(importFlags, async (c) => {
    const { env } = c.req.valid('param');
    const b = c.req.valid('json');
    const p = authorize(c, 'deploy', env);
    const r = await flags().import(env, b.text, b.source, { by: p.user, reason: b.reason });
    changed(env);
    return c.json(r as never, 200);
  });
  app.openapi(diff, async (c) => {
    const { a, b } = c.req.valid('query');
    authorize(c, 'read', a);
    authorize(c, 'read', b);
    return c.json((await flags().diff(a, b)) as never, 200);
  });

  return hub;
}
