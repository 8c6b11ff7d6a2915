/**
 * OFREP, the OpenFeature Remote Evaluation Protocol, per environment: an OFREP provider's base URL
 * is `<server>/api/flags/<env>` with the bearer token as a header.
 *   POST …/ofrep/v1/evaluate/flags/{key}  one flag: 200 {key, value, reason, variant, metadata},
 *                                         404 FLAG_NOT_FOUND (disabled flags too, as flagd does), 400 others
 *   POST …/ofrep/v1/evaluate/flags        every enabled flag: 200 {flags: [...]}, ETag; 304 when
 *                                         If-None-Match names the same revision and context
 */
import type { Context } from 'hono';
import type { FlagHub } from '../../flags/hub.ts';
import { type AuthEnv, authorize } from '../auth/middleware.ts';
import type { Api } from './common.ts';
import { revisionTag } from './flags.ts';

type Body = { context?: unknown };

/** The request's evaluation context, or a 400 body saying why there is none. */
async function contextOf(c: Context<AuthEnv>): Promise<{ context: object } | { problem: string }> {
  let body: Body;
  try {
    const text = await c.req.text();
    body = text.trim() === '' ? {} : (JSON.parse(text) as Body);
  } catch {
    return { problem: 'the body is not JSON; send {"context": {...}}' };
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    return { problem: 'the body must be an object: {"context": {...}}' };
  const context = body.context ?? {};
  if (typeof context !== 'object' || context === null || Array.isArray(context))
    return { problem: '"context" must be an object' };
  return { context };
}

export function registerOfrepRoutes(app: Api, hub: () => FlagHub): void {
  app.post('/api/flags/:env/ofrep/v1/evaluate/flags/:key', async (c) => {
    const env = c.req.param('env');
    const key = c.req.param('key');
    authorize(c, 'read', env);
    const got = await contextOf(c);
    if ('problem' in got)
      return c.json({ key, errorCode: 'INVALID_CONTEXT', errorDetails: got.problem }, 400);
    const live = await hub().current(env);
    const def = live.flags.get(key);
    if (!def || def.state === 'DISABLED')
      return c.json(
        {
          key,
          errorCode: 'FLAG_NOT_FOUND',
          errorDetails: def ? `flag "${key}" is disabled in ${env}` : `no flag "${key}" in ${env}`,
        },
        404,
      );
    const r = live.flags.evaluate(key, undefined, undefined, got.context);
    if (r.errorCode)
      return c.json({ key, errorCode: r.errorCode, errorDetails: r.errorMessage ?? r.errorCode }, 400);
    return c.json(
      { key, value: r.value, reason: r.reason, variant: r.variant, metadata: r.flagMetadata ?? {} },
      200,
    );
  });

  app.post('/api/flags/:env/ofrep/v1/evaluate/flags', async (c) => {
    const env = c.req.param('env');
    authorize(c, 'read', env);
    const got = await contextOf(c);
    if ('problem' in got) return c.json({ errorCode: 'INVALID_CONTEXT', errorDetails: got.problem }, 400);
    const live = await hub().current(env);
    const tag = revisionTag(live.snapshot.revision, JSON.stringify(got.context));
    if (c.req.header('if-none-match') === tag) return c.body(null, 304, { ETag: tag });
    const flags = [];
    for (const key of live.flags.keys()) {
      if (live.flags.get(key)?.state === 'DISABLED') continue;
      const r = live.flags.evaluate(key, undefined, undefined, got.context);
      if (r.errorCode)
        flags.push({ key, errorCode: r.errorCode, errorDetails: r.errorMessage ?? r.errorCode });
      else if (r.value !== undefined)
        flags.push({
          key,
          value: r.value,
          reason: r.reason,
          variant: r.variant,
          metadata: r.flagMetadata ?? {},
        });
    }
    return c.json({ flags }, 200, { ETag: tag });
  });
}
