/**
 * The CLI's client of a slipway server: used instead of the local store and engine when
 * SLIPWAY_URL and SLIPWAY_TOKEN are set. Server errors come back as the same AppErrors (code and
 * message) a local run would raise.
 */
import { AppError, ERROR_CODES, type ErrorCode } from '../domain/errors.ts';

export interface RemoteDeployment {
  readonly id: string;
  readonly app: string;
  readonly env: string;
  readonly releaseId: string;
  readonly fromReleaseId: string | null;
  readonly strategy: string;
  readonly status: string;
  readonly reason: string | null;
  readonly createdBy: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly finishedAt: string | null;
}

export interface RemoteEnvironment {
  readonly app: string;
  readonly env: string;
  readonly release: { readonly id: string; readonly version: string; readonly digest: string } | null;
  readonly since: string | null;
  readonly by: string | null;
  /** What the server's agent serves, and how it differs from the record (see EnvironmentRow). */
  readonly served?: { readonly reachable: boolean; readonly line: string } | null;
  readonly drift?: string | null;
  readonly active?: { readonly id: string; readonly state?: string; readonly line?: string } | null;
}

export interface HistoryFilter {
  readonly app?: string;
  readonly env?: string;
  readonly status?: string;
  readonly by?: string;
  readonly limit?: number;
}

export type RemoteAction = 'pause' | 'resume' | 'abort' | 'rollback' | 'approve' | 'reject';

export interface RemoteRollback {
  readonly kind: 'in-flight' | 'switch' | 'redeploy';
  readonly release: string | null;
  readonly switchMs: number | null;
  readonly deployment: RemoteDeployment | null;
}

export interface ServerEvent {
  readonly event: string;
  readonly id?: string;
  readonly data: unknown;
}

export interface ApiClient {
  readonly url: string;
  environments(app?: string): Promise<readonly RemoteEnvironment[]>;
  history(filter: HistoryFilter): Promise<readonly RemoteDeployment[]>;
  releases(app: string): Promise<readonly { id: string; version: string }[]>;
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

export function createApiClient(options: { url: string; token: string; fetch?: typeof fetch }): ApiClient {
  const base = options.url.replace(/\/+$/, '');
  const doFetch = options.fetch ?? fetch;

  async function call(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<Response> {
    let response: Response;
    try {
      response = await doFetch(`${base}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${options.token}`,
          ...(body !== undefined && { 'content-type': 'application/json' }),
        },
        ...(body !== undefined && { body: JSON.stringify(body) }),
        ...(signal && { signal }),
      });
    } catch (error) {
      throw new AppError(
        'SERVER_UNREACHABLE',
        `cannot reach the slipway server at ${base} (SLIPWAY_URL): ${(error as Error).message}; check that it runs`,
        { cause: error },
      );
    }
    if (response.ok) return response;
    const text = await response.text();
    let parsed: { error?: { code?: string; message?: string; details?: string[] } } = {};
    try {
      parsed = JSON.parse(text);
    } catch {
      // Not one of ours (a proxy in between); reported below with the status.
    }
    const code = parsed.error?.code;
    if (code && code in ERROR_CODES && parsed.error?.message)
      throw new AppError(code as ErrorCode, parsed.error.message, { details: parsed.error.details ?? [] });
    throw new AppError(
      'SERVER_UNREACHABLE',
      `the slipway server at ${base} answered ${method} ${path} with HTTP ${response.status}${text ? `: ${text.slice(0, 200)}` : ''}`,
    );
  }
  const json = async <T>(method: string, path: string, body?: unknown): Promise<T> =>
    (await (await call(method, path, body)).json()) as T;

  return {
    url: base,
    async environments(app) {
      const all: RemoteEnvironment[] = [];
      let after: string | undefined;
      for (;;) {
        const page = await json<{ environments: RemoteEnvironment[]; nextAfter: string | null }>(
          'GET',
          `/api/environments${query({ app, after, limit: 1000 })}`,
        );
        all.push(...page.environments);
        if (!page.nextAfter) return all;
        after = page.nextAfter;
      }
    },
    async history(f) {
      const page = await json<{ deployments: RemoteDeployment[] }>(
        'GET',
        `/api/deployments${query({ app: f.app, env: f.env, status: f.status, by: f.by, limit: f.limit })}`,
      );
      return page.deployments;
    },
    releases: (app) => json('GET', `/api/releases${query({ app, limit: 500 })}`),
    deploy: (env, release) => json('POST', '/api/deployments', { env, release }),
    act: (id, action, reason) =>
      json(
        'POST',
        `/api/deployments/${encodeURIComponent(id)}/${action}`,
        reason === undefined ? {} : { reason },
      ),
    rollback: (env, options) =>
      json('POST', `/api/environments/${encodeURIComponent(env)}/rollback`, options),
    async follow(id, onEvent, signal) {
      const response = await call(
        'GET',
        `/api/deployments/${encodeURIComponent(id)}/events`,
        undefined,
        signal,
      );
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
