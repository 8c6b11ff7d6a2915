/**
 * The one HTTP client of slipway's own APIs (the server's, the agent's): a bearer token, JSON
 * bodies, and failures as AppErrors — the code the other side answered with in its error
 * envelope (src/domain/errors.ts `errorEnvelope`), else `unavailable` naming what failed.
 */
import { AppError, type ErrorCode, fromEnvelope } from '../domain/errors.ts';
import { undiciRequest } from './undici.ts';

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
  /** The response when it is 2xx; else the other side's AppError. For streams and raw bodies. */
  call(method: string, path: string, options?: RequestOptions): Promise<Response>;
  /**
   * A JSON call's parsed answer when it is 2xx; else the other side's AppError. Sent with undici's
   * `request` over its keep-alive pool, not `fetch`: a weight change reaches the agent ~0.3 ms sooner
   * at the median and ~0.8 ms sooner at p95 (bench/README.md, issue 21 · c).
   */
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
      throw unreachable(error);
    }
    if (response.ok) return response;
    throw refused(method, path, response.status, await response.text().catch(() => ''));
  }
  const refused = (method: string, path: string, status: number, text: string) =>
    fromEnvelope(text) ??
    new AppError(
      options.unavailable,
      `${options.name} answered ${method} ${path} with HTTP ${status}${text ? `: ${text.slice(0, 200)}` : ''}`,
    );
  const unreachable = (error: unknown) => {
    const e = error as { code?: string; message?: string; cause?: { code?: string; message?: string } };
    return new AppError(
      options.unavailable,
      `cannot reach ${options.name}: ${e.code ?? e.cause?.code ?? e.cause?.message ?? e.message}`,
      { cause: error },
    );
  };

  async function json<T>(method: string, path: string, body?: unknown): Promise<T> {
    // A caller that brought its own fetch (tests) keeps it for every call.
    if (options.fetch) return (await (await call(method, path, { body })).json()) as T;
    const headers: Record<string, string> = { authorization: `Bearer ${options.token}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const request = undiciRequest();
    let statusCode: number;
    let text: string;
    try {
      const response = await request(`${base}${path}`, {
        method: method as 'GET',
        headers,
        ...(body !== undefined && { body: JSON.stringify(body) }),
        ...(options.timeoutMs && { signal: AbortSignal.timeout(options.timeoutMs) }),
      });
      statusCode = response.statusCode;
      text = await response.body.text();
    } catch (error) {
      throw unreachable(error);
    }
    if (statusCode < 200 || statusCode > 299) throw refused(method, path, statusCode, text);
    try {
      return JSON.parse(text) as T;
    } catch (error) {
      throw new AppError(
        options.unavailable,
        `${options.name} answered ${method} ${path} with something not JSON`,
        {
          cause: error,
        },
      );
    }
  }

  return { url: base, call, json };
}
