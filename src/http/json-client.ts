/**
 * The one HTTP client of slipway's own APIs (the server's, the agent's): a bearer token, JSON
 * bodies, and failures as AppErrors — the code the other side answered with in its error
 * envelope (src/domain/errors.ts `errorEnvelope`), else `unavailable` naming what failed.
 */
import { AppError, type ErrorCode, fromEnvelope } from '../domain/errors.ts';

export interface JsonClientOptions {
  readonly url: string;
  readonly token: string;
  /** The code for "could not reach it / answered with something not ours". */
  readonly unavailable: ErrorCode;
  /** How the other side is named in messages, e.g. "the slipway server at http://…". */
  readonly name: string;
  /** Per request unless the caller passes a signal; none by default. */
  readonly timeoutMs?: number;
  readonly fetch?: typeof fetch;
}

export interface RequestOptions {
  readonly body?: unknown;
  /** A raw body (a stream, bytes) sent as is, with this content type. */
  readonly raw?: { readonly body: NonNullable<RequestInit['body']>; readonly type: string };
  readonly signal?: AbortSignal;
}

export interface JsonClient {
  readonly url: string;
  /** The response when it is 2xx; else the other side's AppError. */
  call(method: string, path: string, options?: RequestOptions): Promise<Response>;
  json<T>(method: string, path: string, body?: unknown): Promise<T>;
}

export function createJsonClient(options: JsonClientOptions): JsonClient {
  const base = options.url.replace(/\/+$/, '');
  const doFetch = options.fetch ?? fetch;
  async function call(method: string, path: string, o: RequestOptions = {}): Promise<Response> {
    const headers: Record<string, string> = { authorization: `Bearer ${options.token}` };
    let body: RequestInit['body'];
    if (o.raw) {
      headers['content-type'] = o.raw.type;
      body = o.raw.body;
    } else if (o.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(o.body);
    }
    const signal = o.signal ?? (options.timeoutMs ? AbortSignal.timeout(options.timeoutMs) : undefined);
    let response: Response;
    try {
      response = await doFetch(`${base}${path}`, {
        method,
        headers,
        ...(body !== undefined && { body }),
        // A stream body goes out as it is produced (never buffered whole).
        ...(o.raw && { duplex: 'half' }),
        ...(signal && { signal }),
      } as RequestInit);
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      throw new AppError(
        options.unavailable,
        `cannot reach ${options.name}: ${cause?.code ?? cause?.message ?? (error as Error).message}`,
        { cause: error },
      );
    }
    if (response.ok) return response;
    const text = await response.text().catch(() => '');
    throw (
      fromEnvelope(text) ??
      new AppError(
        options.unavailable,
        `${options.name} answered ${method} ${path} with HTTP ${response.status}${text ? `: ${text.slice(0, 200)}` : ''}`,
      )
    );
  }
  return {
    url: base,
    call,
    json: async <T>(method: string, path: string, body?: unknown) =>
      (await (await call(method, path, { body })).json()) as T,
  };
}
