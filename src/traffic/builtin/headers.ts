/**
 * Header handling of the built-in proxy: what is forwarded upstream (X-Forwarded-*, a request id)
 * and what goes back to the client (hop-by-hop headers removed).
 */
import type { IncomingMessage } from 'node:http';

/** Request headers the proxy replaces or that belong to one connection only. */
const DROP_REQUEST = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'upgrade',
  'expect',
  'transfer-encoding',
  'x-forwarded-for',
  'x-forwarded-proto',
  'x-forwarded-host',
]);
const DROP_RESPONSE = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding']);

/** Request ids: a per-process random prefix and a counter, cheaper than a UUID per request. */
const ID_PREFIX = Math.random().toString(36).slice(2, 10);
let idCounter = 0;

export function newRequestId(): string {
  idCounter = (idCounter + 1) % Number.MAX_SAFE_INTEGER;
  return `${ID_PREFIX}-${idCounter.toString(36)}`;
}

/**
 * The client's headers as a flat raw list with X-Forwarded-* and x-request-id added. For an
 * upgrade, Connection and Upgrade are kept; otherwise the upstream connection sets its own.
 */
export function forwardHeaders(
  req: IncomingMessage,
  upgrade: boolean,
): { headers: string[]; requestId: string } {
  const raw = req.rawHeaders;
  const headers: string[] = [];
  let xff = '';
  let host = '';
  let requestId = '';
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    const value = raw[i + 1]!;
    const lower = name.toLowerCase();
    if (lower === 'host') host = value;
    else if (lower === 'x-request-id') requestId = value;
    else if (lower === 'x-forwarded-for') {
      xff = xff ? `${xff}, ${value}` : value;
      continue;
    }
    if (DROP_REQUEST.has(lower)) continue;
    headers.push(name, value);
  }
  const client = req.socket.remoteAddress ?? '';
  headers.push('x-forwarded-for', xff ? `${xff}, ${client}` : client, 'x-forwarded-proto', 'http');
  if (host) headers.push('x-forwarded-host', host);
  if (!requestId) {
    requestId = newRequestId();
    headers.push('x-request-id', requestId);
  }
  if (upgrade) headers.push('connection', 'upgrade', 'upgrade', String(req.headers.upgrade ?? ''));
  return { headers, requestId };
}

/**
 * Upstream response headers (raw, strings or buffers) for the client, with the request id.
 * Buffers are read as latin1, the way node:http writes header strings back out, so a header
 * value's bytes reach the client unchanged (as UTF-8 text, a non-ASCII value would be altered,
 * or refused by writeHead and the response lost).
 */
export function responseHeaders(raw: readonly (string | Buffer)[], requestId: string): string[] {
  const out: string[] = [];
  let hasId = false;
  for (let i = 0; i < raw.length; i += 2) {
    const name = latin1(raw[i]!);
    const lower = name.toLowerCase();
    if (DROP_RESPONSE.has(lower)) continue;
    if (lower === 'x-request-id') hasId = true;
    out.push(name, latin1(raw[i + 1]!));
  }
  if (!hasId) out.push('x-request-id', requestId);
  return out;
}

function latin1(v: string | Buffer): string {
  return typeof v === 'string' ? v : v.toString('latin1');
}
