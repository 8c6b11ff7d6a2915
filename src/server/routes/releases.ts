/**
 * Releases over the API: list, register by upload, remove; and the project the server runs (so
 * a client without slipway.yaml knows the app and its lifecycle). Registration goes through
 * src/app/releases.ts, like `slipway release create` on the server's machine.
 *
 * The upload is the raw archive as the body (`application/gzip` or `application/x-tar`), the
 * metadata in the query: streamed to a file under `.slipway/uploads/`, size-limited, its sha256
 * and content digest checked against what the client announced, then registered.
 */
import { join } from 'node:path';
import { createRoute, type z } from '@hono/zod-openapi';
import { listReleases, registerRelease, removeRelease } from '../../app/releases.ts';
import { lifecycleOrder } from '../../config/lifecycle.ts';
import type { SlipwayConfig } from '../../config/schema.ts';
import { AppError } from '../../domain/errors.ts';
import { authorize } from '../auth/middleware.ts';
import { readableEnvs } from '../auth/roles.ts';
import {
  ErrorBody,
  Project,
  Release,
  ReleaseCreated,
  ReleaseParam,
  ReleaseRemoved,
  ReleasesQuery,
  ReleaseUploadQuery,
  TestReport,
} from '../schemas.ts';
import type { Services } from '../services.ts';
import { receiveUpload } from '../upload.ts';
import { releaseDetailView, releaseView } from '../views.ts';
import { type Api, bearer, errors, json } from './common.ts';

/** Content types of an upload; the archive format itself is read from its bytes. */
export const UPLOAD_TYPES = [
  'application/gzip',
  'application/x-gzip',
  'application/x-tar',
  'application/octet-stream',
];

/** True for the one request whose body is an archive, not JSON (app.ts skips its JSON checks). */
export const isReleaseUpload = (method: string, path: string): boolean =>
  method === 'POST' && path === '/api/releases';

const project = createRoute({
  method: 'get',
  path: '/api/project',
  summary: 'The app this server deploys and its environments in lifecycle order',
  security: bearer,
  responses: { 200: json(Project, 'The project'), ...errors },
});

const list = createRoute({
  method: 'get',
  path: '/api/releases',
  summary: "An app's releases, newest first",
  security: bearer,
  request: { query: ReleasesQuery },
  responses: { 200: json(Release.array(), 'Releases'), ...errors },
});

const upload = createRoute({
  method: 'post',
  path: '/api/releases',
  summary:
    'Register a release by uploading its .tar.gz (the body); streamed, size-limited, verified against sha256 and/or digest',
  security: bearer,
  request: {
    query: ReleaseUploadQuery,
    body: {
      content: Object.fromEntries(
        UPLOAD_TYPES.map((t) => [t, { schema: { type: 'string', format: 'binary' } }]),
      ) as never,
      required: true,
    },
  },
  responses: {
    201: json(ReleaseCreated, 'Registered'),
    200: json(ReleaseCreated, 'Already registered with the same content and metadata'),
    413: json(ErrorBody, 'The upload is over the server limit (slipway server --max-upload)'),
    ...errors,
  },
});

const remove = createRoute({
  method: 'delete',
  path: '/api/releases/{ref}',
  summary:
    'Remove a release registration and its files; refused while an environment runs it or may roll back to it',
  security: bearer,
  request: { params: ReleaseParam },
  responses: { 200: json(ReleaseRemoved, 'Removed'), ...errors },
});

/** The upload's `ciReport` query value: JSON of a TestReport, checked before anything is kept. */
function reportOf(text: string): z.infer<typeof TestReport> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new AppError('CI_REPORT_INVALID', 'query.ciReport: not JSON; send the TestReport object');
  }
  const parsed = TestReport.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new AppError(
      'CI_REPORT_INVALID',
      `query.ciReport.${issue?.path.join('.') || '(root)'}: ${issue?.message}; send counts (tests, failures, errors, skipped) and at most 20 failing test names`,
    );
  }
  return parsed.data;
}

function requireProject(s: Services): { config: SlipwayConfig; dataDir: string } {
  if (!s.config || !s.dataDir)
    throw new AppError(
      'USAGE',
      'this server was started without a slipway.yaml; start it in the project folder to register releases',
    );
  return { config: s.config, dataDir: s.dataDir };
}

export function registerReleaseRoutes(app: Api, s: Services): void {
  app.openapi(project, async (c) => {
    const p = authorize(c, 'read', undefined, true);
    const { config } = requireProject(s);
    const readable = readableEnvs(p.grants);
    const urls = Object.entries(config.environments).flatMap(([env, e]) =>
      e.url !== undefined && (readable === 'all' || readable.includes(env)) ? [[env, e.url] as const] : [],
    );
    return c.json(
      { app: config.app, lifecycle: lifecycleOrder(config), urls: Object.fromEntries(urls) },
      200,
    );
  });

  app.openapi(list, async (c) => {
    authorize(c, 'read', undefined, true);
    const q = c.req.valid('query');
    const app = q.app ?? s.config?.app;
    if (!app)
      throw new AppError('REQUEST_INVALID', 'query.app: name the app (this server has no slipway.yaml)');
    return c.json((await listReleases({ store: s.store, app }, q.limit)).map(releaseView), 200);
  });

  app.openapi(upload, async (c) => {
    const principal = authorize(c, 'release', undefined, true);
    const q = c.req.valid('query');
    const { config, dataDir } = requireProject(s);
    const type = (c.req.header('content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
    if (!UPLOAD_TYPES.includes(type))
      throw new AppError(
        'REQUEST_INVALID',
        `content-type: send the archive as application/gzip (a .tar.gz) or application/x-tar, not "${type || 'none'}"`,
      );
    const received = await receiveUpload(c.req.raw, {
      dir: join(dataDir, 'uploads'),
      maxBytes: s.maxUploadBytes,
      name: type === 'application/x-tar' ? 'release.tar' : 'release.tar.gz',
    });
    try {
      if (q.sha256 !== undefined && q.sha256 !== received.sha256)
        throw new AppError(
          'RELEASE_DIGEST_MISMATCH',
          `the archive received (${received.bytes} bytes) has sha256 ${received.sha256}, but the client announced ${q.sha256}; it was changed or cut short on the way; nothing was registered`,
        );
      const { release, created } = await registerRelease(
        { store: s.store, dataDir, app: config.app },
        {
          source: received.file,
          version: q.version,
          ci: q.ci,
          report: q.ciReport === undefined ? null : reportOf(q.ciReport),
          commit: q.commit ?? null,
          notes: q.notes ?? null,
          user: principal.user,
          ...(q.digest !== undefined && { expectedDigest: q.digest }),
        },
      );
      return c.json({ created, release: releaseDetailView(release) }, created ? 201 : 200);
    } catch (error) {
      // Messages name the file; the client knows it as its upload, not by the server's path.
      if (error instanceof AppError)
        throw new AppError(error.code, error.message.replaceAll(received.file, 'the uploaded archive'), {
          details: error.details,
        });
      throw error;
    } finally {
      await received.discard();
    }
  });

  app.openapi(remove, async (c) => {
    // Removing is for whoever may register on every environment (deployer on *, or admin).
    const principal = authorize(c, 'release');
    const { config, dataDir } = requireProject(s);
    const removed = await removeRelease(
      { store: s.store, dataDir, app: config.app },
      c.req.valid('param').ref,
      principal.user,
    );
    return c.json({ removed: releaseView(removed) }, 200);
  });
}
