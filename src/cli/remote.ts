/**
 * The CLI's client of a slipway server: used instead of the local store and engine when
 * SLIPWAY_URL and SLIPWAY_TOKEN are set. Its types are the server's own zod schemas
 * (src/server/schemas.ts, type-only: nothing of the server loads here); server errors come back
 * as the same AppErrors (code and message) a local run would raise.
 */
import type { z } from '@hono/zod-openapi';
import { AppError } from '../domain/errors.ts';
import type { PerfRecord } from '../domain/performance.ts';
import { createJsonClient, type JsonClient } from '../http/json-client.ts';
import type {
  ACTIONS,
  DeploymentDetail,
  DeploymentSummary,
  EnvironmentRow,
  History,
  Overview,
  Project,
  Release,
  ReleaseCreated,
  ReleaseRemoved,
  ReleaseUploadQuery,
  RollbackResult,
} from '../server/schemas.ts';

export type RemoteDeployment = z.infer<typeof DeploymentSummary>;
export type RemoteEnvironment = z.infer<typeof EnvironmentRow>;
export type RemoteRelease = z.infer<typeof Release>;
export type RemoteRollback = z.infer<typeof RollbackResult>;
export type RemoteProject = z.infer<typeof Project>;
export type RemoteAction = (typeof ACTIONS)[number];
export type UploadQuery = z.input<typeof ReleaseUploadQuery>;

export interface HistoryFilter {
  readonly app?: string;
  readonly env?: string;
  readonly status?: string;
  readonly by?: string;
  readonly limit?: number;
}

export interface ServerEvent {
  readonly event: string;
  readonly id?: string;
  readonly data: unknown;
}

export interface ApiClient {
  readonly url: string;
  /** The raw client, for routes without a method here (the admin routes). */
  readonly http: JsonClient;
  /** The app the server deploys and its lifecycle (clients need no slipway.yaml). */
  project(): Promise<RemoteProject>;
  environments(app?: string): Promise<readonly RemoteEnvironment[]>;
  history(filter: HistoryFilter): Promise<readonly RemoteDeployment[]>;
  deployment(id: string): Promise<z.infer<typeof DeploymentDetail>>;
  releases(app?: string, limit?: number): Promise<readonly RemoteRelease[]>;
  /** An environment's performance-step figures, newest first. */
  performance(app: string, env: string, limit?: number): Promise<readonly PerfRecord[]>;
  /** Upload an archive (a stream of .tar.gz bytes) and register it. */
  uploadRelease(
    archive: NonNullable<RequestInit['body']>,
    query: UploadQuery,
  ): Promise<z.infer<typeof ReleaseCreated>>;
  removeRelease(ref: string): Promise<z.infer<typeof ReleaseRemoved>>;
  deploy(env: string, release: string): Promise<RemoteDeployment>;
  act(id: string, action: RemoteAction, reason?: string): Promise<RemoteDeployment>;
  rollback(env: string, options: { to?: string; reason?: string }): Promise<RemoteRollback>;
  /** Follow a deployment's event stream until it ends (or `signal` aborts). */
  follow(id: string, onEvent: (e: ServerEvent) => void, signal?: AbortSignal): Promise<void>;
}

const query = (params: Record<string, string | number | undefined>) => {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined) q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
};

const part = encodeURIComponent;

export function createApiClient(options: { url: string; token: string; fetch?: typeof fetch }): ApiClient {
  const http = createJsonClient({
    ...options,
    unavailable: 'SERVER_UNREACHABLE',
    name: `the slipway server at ${options.url.replace(/\/+$/, '')} (SLIPWAY_URL)`,
  });
  const { json } = http;

  return {
    url: http.url,
    http,
    project: () => json('GET', '/api/project'),
    async environments(app) {
      const all: RemoteEnvironment[] = [];
      let after: string | undefined;
      for (;;) {
        const page = await json<z.infer<typeof Overview>>(
          'GET',
          `/api/environments${query({ app, after, limit: 1000 })}`,
        );
        all.push(...page.environments);
        if (!page.nextAfter) return all;
        after = page.nextAfter;
      }
    },
    async history(f) {
      const page = await json<z.infer<typeof History>>(
        'GET',
        `/api/deployments${query({ app: f.app, env: f.env, status: f.status, by: f.by, limit: f.limit })}`,
      );
      return page.deployments;
    },
    deployment: (id) => json('GET', `/api/deployments/${part(id)}`),
    releases: (app, limit = 500) => json('GET', `/api/releases${query({ app, limit })}`),
    performance: (app, env, limit = 20) => json('GET', `/api/performance${query({ app, env, limit })}`),
    uploadRelease: async (archive, q) =>
      (
        await http.call('POST', `/api/releases${query(q)}`, {
          raw: { body: archive, type: 'application/gzip' },
        })
      ).json() as Promise<z.infer<typeof ReleaseCreated>>,
    removeRelease: (ref) => json('DELETE', `/api/releases/${part(ref)}`),
    deploy: (env, release) => json('POST', '/api/deployments', { env, release }),
    act: (id, action, reason) =>
      json('POST', `/api/deployments/${part(id)}/${action}`, reason === undefined ? {} : { reason }),
    rollback: (env, o) => json('POST', `/api/environments/${part(env)}/rollback`, o),
    async follow(id, onEvent, signal) {
      const response = await http.call('GET', `/api/deployments/${part(id)}/events`, {
        ...(signal && { signal }),
      });
      const reader = (response.body as ReadableStream<Uint8Array>)
        .pipeThrough(new TextDecoderStream())
        .getReader();
      let buffer = '';
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) return;
          buffer += value;
          let cut = buffer.indexOf('\n\n');
          while (cut >= 0) {
            const block = buffer.slice(0, cut);
            buffer = buffer.slice(cut + 2);
            cut = buffer.indexOf('\n\n');
            const fields = Object.fromEntries(
              block
                .split('\n')
                .map((line) => [
                  line.slice(0, line.indexOf(':')),
                  line.slice(line.indexOf(':') + 1).trimStart(),
                ]),
            ) as { event?: string; id?: string; data?: string };
            if (!fields.data) continue;
            const e = {
              event: fields.event ?? 'message',
              ...(fields.id && { id: fields.id }),
              data: JSON.parse(fields.data),
            };
            onEvent(e);
            if (e.event === 'end') return;
          }
        }
      } catch (error) {
        if (signal?.aborted) return;
        throw error;
      } finally {
        reader.releaseLock();
        await response.body?.cancel().catch(() => {});
      }
    },
  };
}

/** The client named by SLIPWAY_URL + SLIPWAY_TOKEN, or undefined to work locally. */
export function remoteFromEnv(env: NodeJS.ProcessEnv): ApiClient | undefined {
  const url = env.SLIPWAY_URL?.trim();
  const token = env.SLIPWAY_TOKEN?.trim();
  if (!url && !token) return undefined;
  if (!url || !token)
    throw new AppError(
      'USAGE',
      `${url ? 'SLIPWAY_TOKEN' : 'SLIPWAY_URL'} is not set: set both SLIPWAY_URL and SLIPWAY_TOKEN to use a server, or neither to work locally`,
    );
  if (!/^https?:\/\//.test(url))
    throw new AppError('USAGE', `SLIPWAY_URL must start with http:// or https://, found "${url}"`);
  return createApiClient({ url, token });
}
