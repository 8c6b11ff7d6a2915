/**
 * The HTTP API as a Hono app, described by OpenAPI generated from the zod schemas that validate
 * each request. Middleware order, outermost first:
 *   1. onError        — every failure becomes `{ error }` with the registry's status; 401/403
 *                       audited (a stranger's aggregated per source and minute, denial-log.ts)
 *   2. secureHeaders  — nosniff, no framing, no referrer; JSON only, so nothing renders as HTML
 *   3. bodyLimit      — bodies over `maxBodyBytes` are refused before they are read (a release
 *                       upload is streamed to disk under `maxUploadBytes` by its route instead)
 *   4. withOrigin     — state changes from another site (Origin, `null`, Sec-Fetch-Site) refused
 *   5. withAuth       — the principal from a bearer token or the session cookie, after the
 *                       failed sign-in limits of its client (sign-in-guard.ts)
 *   6. withCsrf       — state changes through a cookie carry the session's CSRF token
 * Each route then authorizes against the environment it touches.
 */

import { OpenAPIHono } from '@hono/zod-openapi';
import { bodyLimit } from 'hono/body-limit';
import { secureHeaders } from 'hono/secure-headers';
import type { SlipwayConfig } from '../config/schema.ts';
import { AppError } from '../domain/errors.ts';
import type { Store } from '../store/contract.ts';
import { dashboardHandler } from '../web/serve.ts';
import { DenialLog } from './auth/denial-log.ts';
import { type AuthEnv, authorize, clientOf, withAuth, withCsrf, withOrigin } from './auth/middleware.ts';
import { SignInGuard } from './auth/sign-in-guard.ts';
import { errorResponse, toAppError, validationError } from './errors.ts';
import { escapeJson } from './escape.ts';
import type { LeaderView } from './leadership.ts';
import { createServerMetrics } from './prometheus.ts';
import { registerActionRoutes } from './routes/actions.ts';
import { registerAdminRoutes } from './routes/admin.ts';
import { registerClientRoutes } from './routes/client.ts';
import { registerDashboardRoutes } from './routes/dashboard.ts';
import { registerDbRestoreSpeed } from './routes/db-restore-speed.ts';
import { registerEventRoutes } from './routes/events.ts';
import { registerFlagRoutes } from './routes/flags.ts';
import { registerGateRoutes } from './routes/gates.ts';
import { registerLiveRoutes } from './routes/live.ts';
import { registerMetricRoutes } from './routes/metrics.ts';
import { registerMigrationContract } from './routes/migrations-contract.ts';
import { registerNotificationRoutes } from './routes/notifications.ts';
import { registerPromoteRoutes } from './routes/promote.ts';
import { registerReadRoutes } from './routes/read.ts';
import { isReleaseUpload, registerReleaseRoutes } from './routes/releases.ts';
import { registerSessionRoutes } from './routes/session.ts';
import type { DeploymentRunner } from './runner.ts';
import type { Services } from './services.ts';

export interface ServerAppOptions {
  readonly store: Store;
  readonly runner: DeploymentRunner;
  readonly config: SlipwayConfig | null;
  /** The project's `.slipway/`, where uploaded releases are stored. */
  readonly dataDir?: string | null;
  /** The largest release upload (POST /api/releases) in bytes; default 1 GiB. */
  readonly maxUploadBytes?: number;
  readonly now?: () => Date;
  readonly maxBodyBytes?: number;
  readonly ssePollMs?: number;
  readonly secureCookies?: boolean;
  readonly sessionMs?: number;
  /** The built dashboard to serve outside /api (see src/web/build.ts); null or absent: none. */
  readonly webDir?: string | null;
  /** Where bugs (500s) are reported. */
  readonly log?: (line: string) => void;
  /** Failed sign-in limits; startServer passes one, tests may pass their own. */
  readonly signInGuard?: SignInGuard;
  /** The bounded audit of strangers' refused requests; flushed by startServer's close. */
  readonly denials?: DenialLog;
  /** Which server leads (src/server/leadership.ts), added to GET /api/health. */
  readonly leaderView?: () => LeaderView;
}

export const DEFAULT_MAX_UPLOAD_BYTES = 1024 ** 3;
const DENIALS = new Set(['UNAUTHORIZED', 'FORBIDDEN', 'CSRF_INVALID', 'TOO_MANY_ATTEMPTS']);
const JSON_TYPE = /^application\/([\w.-]+\+)?json\s*(;|$)/i;

export function createServerApp(options: ServerAppOptions): OpenAPIHono<AuthEnv> {
  const s: Services = {
    store: options.store,
    runner: options.runner,
    config: options.config,
    dataDir: options.dataDir ?? null,
    maxUploadBytes: options.maxUploadBytes ?? DEFAULT_MAX_UPLOAD_BYTES,
    now: options.now ?? (() => new Date()),
    ssePollMs: options.ssePollMs ?? 300,
    secureCookies: options.secureCookies ?? false,
    sessionMs: options.sessionMs ?? 12 * 3_600_000,
  };
  const app = new OpenAPIHono<AuthEnv>({
    defaultHook: (result) => {
      if (!result.success) throw validationError(result.target, result.error);
    },
  });

  const guard = options.signInGuard ?? new SignInGuard();
  const denials = options.denials ?? new DenialLog(s.store, { ...(options.log && { log: options.log }) });
  app.onError(async (error, c) => {
    const appError = toAppError(error);
    if (appError.code === 'INTERNAL')
      options.log?.(`${c.req.method} ${c.req.path}: ${(error as Error)?.stack ?? error}`);
    if (appError.code === 'UNAUTHORIZED') guard.fail(clientOf(c));
    const target = `${c.req.method} ${c.req.path}`;
    if (DENIALS.has(appError.code) && !c.get('principal')) {
      await denials.record({
        source: clientOf(c),
        code: appError.code,
        target,
        status: appError.status,
        reason: appError.message,
      });
    } else if (DENIALS.has(appError.code)) {
      await s.store
        .appendAudit({
          actor: c.get('principal')?.user ?? 'anonymous',
          action: 'auth.denied',
          target: `${c.req.method} ${c.req.path}`.slice(0, 300),
          data: { status: appError.status, code: appError.code, reason: appError.message.slice(0, 300) },
        })
        .catch((e: unknown) => options.log?.(`audit of a denial failed: ${(e as Error).message}`));
    }
    if (appError.code === 'TOO_MANY_ATTEMPTS') {
      const wait = /^retry-after: (\d+)$/.exec(appError.details[0] ?? '')?.[1];
      if (wait) c.header('Retry-After', wait);
    }
    return errorResponse(c, appError);
  });
  app.notFound((c) =>
    errorResponse(
      c,
      new AppError('ROUTE_NOT_FOUND', `no route ${c.req.method} ${c.req.path}; see /openapi.json`),
    ),
  );

  // Counted first, so refused and failed requests are counted too.
  const metrics = createServerMetrics(s.store);
  app.use('*', metrics.middleware);
  app.use('*', secureHeaders({ referrerPolicy: 'no-referrer', crossOriginResourcePolicy: 'same-origin' }));
  app.use('/api/*', async (c, next) => {
    await next();
    c.header('Content-Security-Policy', "default-src 'none'; frame-ancestors 'none'");
    c.header('Cache-Control', 'no-store');
    // Names and release notes are the users' text: <, > and & leave as \u escapes, so no JSON
    // response can be read as markup, whatever a browser or a careless page does with it.
    if (c.res.headers.get('content-type')?.startsWith('application/json')) {
      const text = await c.res.text();
      const headers = new Headers(c.res.headers);
      headers.delete('content-length');
      c.res = new Response(escapeJson(text), { status: c.res.status, headers });
    }
  });
  const limit = bodyLimit({
    maxSize: options.maxBodyBytes ?? 64 * 1024,
    onError: () => {
      throw new AppError(
        'BODY_TOO_LARGE',
        `the request body is over ${options.maxBodyBytes ?? 64 * 1024} bytes`,
      );
    },
  });
  // A release upload is streamed to disk under its own limit (routes/releases.ts), not JSON.
  app.use('/api/*', (c, next) => (isReleaseUpload(c.req.method, c.req.path) ? next() : limit(c, next)));
  app.use('/api/*', async (c, next) => {
    if (isReleaseUpload(c.req.method, c.req.path)) return next();
    // A body that is not JSON is refused by name rather than read as an empty object.
    const hasBody = c.req.header('content-length') !== undefined && c.req.header('content-length') !== '0';
    if ((hasBody || c.req.header('transfer-encoding')) && !JSON_TYPE.test(c.req.header('content-type') ?? ''))
      throw new AppError(
        'REQUEST_INVALID',
        `content-type: send the body as application/json, not "${c.req.header('content-type') ?? 'none'}"`,
      );
    return next();
  });
  app.use('*', withOrigin());
  app.use('*', withAuth(s.store, s.now, guard));
  app.use('*', withCsrf());

  app.get('/api/health', (c) => c.json({ ok: true, ...options.leaderView?.() }));
  // Prometheus scrapes with a token (`authorization: { type: Bearer, credentials_file }`) of any reader.
  app.get('/metrics', async (c) => {
    authorize(c, 'read', undefined, true);
    return c.body(await metrics.registry.metrics(), 200, { 'content-type': metrics.registry.contentType });
  });
  registerSessionRoutes(app, s);
  registerReadRoutes(app, s);
  registerReleaseRoutes(app, s);
  registerEventRoutes(app, s);
  // Before the actions: /api/deployments/{id}/override would otherwise match /{id}/{action}.
  registerGateRoutes(app, s);
  registerActionRoutes(app, s);
  registerAdminRoutes(app, s);
  registerFlagRoutes(app, s);
  registerDashboardRoutes(app, s);
  registerDbRestoreSpeed(app, s);
  registerMigrationContract(app, s);
  registerClientRoutes(app, s);
  registerLiveRoutes(app, s);
  registerPromoteRoutes(app, s);
  registerMetricRoutes(app, s);
  registerNotificationRoutes(app, s);
  app.get('*', dashboardHandler(options.webDir ?? null));

  app.openAPIRegistry.registerComponent('securitySchemes', 'bearer', { type: 'http', scheme: 'bearer' });
  app.openAPIRegistry.registerComponent('securitySchemes', 'session', {
    type: 'apiKey',
    in: 'cookie',
    name: 'slipway_session',
  });
  app.doc31('/openapi.json', { openapi: '3.1.0', info: { title: 'slipway', version: '0.1.0' } });
  return app;
}
