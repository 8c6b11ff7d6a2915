/**
 * GET a JSON document with a timeout, as a value: never throws. Shared by the http and
 * prometheus providers so both report failures the same way.
 */
import { AppError } from '../../domain/errors.ts';
import { safeUrl } from './redact.ts';

export type JsonResponse =
  | { readonly ok: true; readonly status: number; readonly body: unknown }
  /** `body` is set when a non-2xx response still carried JSON (Prometheus explains its errors so). */
  | { readonly ok: false; readonly message: string; readonly status?: number; readonly body?: unknown };

/** Larger answers are refused: a metric endpoint that sends megabytes is misconfigured. */
const MAX_BYTES = 4 * 1024 * 1024;

/**
 * fetch() refuses URLs with credentials; like curl, send them as HTTP Basic instead.
 * An invalid URL is passed through for fetch to reject (its message is masked by the caller).
 */
function splitCredentials(url: string): { target: string; auth: Record<string, string> } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { target: url, auth: {} };
  }
  if (!parsed.username && !parsed.password) return { target: url, auth: {} };
  const user = decodeURIComponent(parsed.username);
  const password = decodeURIComponent(parsed.password);
  parsed.username = '';
  parsed.password = '';
  const basic = Buffer.from(`${user}:${password}`).toString('base64');
  return { target: parsed.toString(), auth: { authorization: `Basic ${basic}` } };
}

export async function fetchJson(
  url: string,
  options: { readonly timeoutMs: number; readonly headers?: Readonly<Record<string, string>> },
): Promise<JsonResponse> {
  const shown = safeUrl(url);
  const { target, auth } = splitCredentials(url);
  let res: Response;
  try {
    res = await fetch(target, {
      headers: { accept: 'application/json', ...auth, ...options.headers },
      signal: AbortSignal.timeout(options.timeoutMs),
    });
  } catch (err) {
    const e = err as Error & { cause?: { code?: string } };
    const why =
      e.name === 'TimeoutError'
        ? `no answer within ${options.timeoutMs} ms`
        : (e.cause?.code ?? e.message ?? String(err)).replaceAll(url, shown);
    return { ok: false, message: `GET ${shown} failed: ${why}` };
  }
  let text: string;
  try {
    text = await res.text();
  } catch (err) {
    return {
      ok: false,
      status: res.status,
      message: `GET ${shown}: reading the body failed: ${(err as Error).message}`,
    };
  }
  if (text.length > MAX_BYTES) {
    return {
      ok: false,
      status: res.status,
      message: `GET ${shown}: the answer is larger than ${MAX_BYTES} bytes`,
    };
  }
  let body: unknown;
  let parsed = true;
  try {
    body = JSON.parse(text);
  } catch {
    parsed = false;
  }
  if (!res.ok) {
    const base = { ok: false as const, status: res.status, message: `GET ${shown} answered ${res.status}` };
    return parsed ? { ...base, body } : base;
  }
  if (!parsed) {
    const start = text.slice(0, 60).replace(/\s+/g, ' ');
    return { ok: false, status: res.status, message: `GET ${shown} did not answer JSON (starts "${start}")` };
  }
  return { ok: true, status: res.status, body };
}

/** Throws METRIC_PROVIDER_INVALID unless `url` (placeholders allowed) is an http(s) URL. */
export function checkHttpUrl(url: string, where: string, example: string): void {
  let ok = false;
  try {
    ok = ['http:', 'https:'].includes(new URL(url.replace(/\{\{[^}]*\}\}/g, 'x')).protocol);
  } catch {
    ok = false;
  }
  if (!ok) {
    throw new AppError(
      'METRIC_PROVIDER_INVALID',
      `${where}: url "${safeUrl(url)}" is not an http(s) URL; use e.g. ${example}`,
    );
  }
}
