/**
 * Forwarding of one request (or one upgrade) to the backend `EnvRoute.pick()` chose.
 *
 * Retries: an attempt whose connection could not be made is retried on another backend (the
 * request body is only streamed once the connection is up, so nothing was consumed). An attempt
 * whose connection closed before any response byte (a backend killed mid-request, or a pooled
 * keep-alive socket the backend was closing) is retried too, but only for a bodyless idempotent
 * request (GET/HEAD/OPTIONS): HAProxy's "empty-response" retry, allowed by RFC 9110 §9.2.2.
 * A request with a body that reached a backend is never replayed.
 */
import { randomUUID } from 'node:crypto';
import { type IncomingMessage, request, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { BackendState } from './backend-state.ts';
import type { EnvRoute } from './env-route.ts';

const MAX_ATTEMPTS = 3;
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS']);
/** Request headers the proxy replaces or that belong to one connection only. */
const DROP_REQUEST = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'upgrade',
  'x-forwarded-for',
  'x-forwarded-proto',
  'x-forwarded-host',
]);
const DROP_RESPONSE = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding']);

/** The client's headers as a flat raw list, with X-Forwarded-* and x-request-id added. */
function forwardHeaders(req: IncomingMessage, upgrade: boolean): { headers: string[]; requestId: string } {
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
    requestId = randomUUID();
    headers.push('x-request-id', requestId);
  }
  if (upgrade) headers.push('connection', 'upgrade', 'upgrade', String(req.headers.upgrade ?? ''));
  return { headers, requestId };
}

function responseHeaders(raw: string[], requestId: string): string[] {
  const out: string[] = [];
  let hasId = false;
  for (let i = 0; i < raw.length; i += 2) {
    const lower = raw[i]!.toLowerCase();
    if (DROP_RESPONSE.has(lower)) continue;
    if (lower === 'x-request-id') hasId = true;
    out.push(raw[i]!, raw[i + 1]!);
  }
  if (!hasId) out.push('x-request-id', requestId);
  return out;
}

function noBackend(res: ServerResponse, env: string): void {
  res.writeHead(502, { 'content-type': 'text/plain', 'cache-control': 'no-store' });
  res.end(`502 no healthy backend for env "${env}"\n`);
}

function hasBody(req: IncomingMessage): boolean {
  const len = req.headers['content-length'];
  return (len !== undefined && len !== '0') || req.headers['transfer-encoding'] !== undefined;
}

export function proxyRequest(route: EnvRoute, req: IncomingMessage, res: ServerResponse): void {
  const { headers, requestId } = forwardHeaders(req, false);
  const ctx: Attempt = {
    route,
    req,
    res,
    headers,
    requestId,
    started: performance.now(),
    body: hasBody(req),
    excluded: null,
    avoided: null,
    clientGone: false,
    upstream: null,
  };
  res.on('close', () => {
    if (res.writableFinished) return;
    ctx.clientGone = true;
    ctx.upstream?.destroy();
  });
  attempt(ctx, 1);
}

interface Attempt {
  readonly route: EnvRoute;
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly headers: string[];
  readonly requestId: string;
  readonly started: number;
  readonly body: boolean;
  excluded: Set<BackendState> | null;
  avoided: Set<BackendState> | null;
  clientGone: boolean;
  upstream: ReturnType<typeof request> | null;
}

function attempt(ctx: Attempt, n: number): void {
  const { route, req, res } = ctx;
  let pick = ctx.avoided ? route.pick(req, new Set([...ctx.avoided, ...(ctx.excluded ?? [])])) : undefined;
  pick ??= route.pick(req, ctx.excluded);
  if (!pick) {
    noBackend(res, route.env);
    return;
  }
  const { slot, backend } = pick;
  backend.acquire();
  let connected = false;
  let responded = false;
  let released = false;
  const done = () => {
    if (released) return;
    released = true;
    backend.release();
  };
  const up = request({
    host: backend.host,
    port: backend.port,
    method: req.method,
    path: req.url,
    headers: ctx.headers,
    agent: backend.agent,
    setHost: false,
  });
  ctx.upstream = up;
  const onConnected = () => {
    connected = true;
    if (ctx.body) req.pipe(up);
  };
  up.on('socket', (socket) => {
    if (socket.connecting) socket.once('connect', onConnected);
    else onConnected();
  });
  if (!ctx.body) up.end();
  up.on('response', (upRes) => {
    responded = true;
    const status = upRes.statusCode ?? 502;
    res.writeHead(status, upRes.statusMessage, responseHeaders(upRes.rawHeaders, ctx.requestId));
    upRes.pipe(res);
    upRes.on('end', () => {
      slot.window.recordResponse(status, performance.now() - ctx.started);
      done();
    });
    upRes.on('error', () => {
      slot.window.recordFailure();
      res.destroy();
      done();
    });
  });
  up.on('error', () => {
    done();
    if (ctx.clientGone) return;
    if (responded) {
      res.destroy();
      return;
    }
    slot.window.recordFailure();
    if (!connected) backend.eject(route.hasHealthChecks);
    const safe = !connected || (!ctx.body && IDEMPOTENT.has(req.method ?? ''));
    if (safe && n < MAX_ATTEMPTS) {
      // A refused backend is out for this request; one that dropped a connection is only avoided
      // (a stale pooled socket says nothing about the next one), so a lone backend is retried.
      if (connected) {
        ctx.avoided ??= new Set();
        ctx.avoided.add(backend);
      } else {
        ctx.excluded ??= new Set();
        ctx.excluded.add(backend);
      }
      attempt(ctx, n + 1);
      return;
    }
    if (res.headersSent) res.destroy();
    else {
      res.writeHead(502, { 'content-type': 'text/plain', 'x-request-id': ctx.requestId });
      res.end(`502 release "${slot.name}" did not answer\n`);
    }
  });
}

/** WebSocket and other upgrades: a 101 from the backend turns the two sockets into one pipe. */
export function proxyUpgrade(route: EnvRoute, req: IncomingMessage, socket: Duplex, head: Buffer): void {
  socket.on('error', () => socket.destroy());
  const pick = route.pick(req, null);
  if (!pick) {
    socket.end(`HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n`);
    return;
  }
  const { backend, slot } = pick;
  const { headers, requestId } = forwardHeaders(req, true);
  backend.acquire();
  const started = performance.now();
  const up = request({
    host: backend.host,
    port: backend.port,
    method: req.method,
    path: req.url,
    headers,
    agent: false,
    setHost: false,
  });
  const head101 = (status: number, message: string | undefined, raw: string[]) => {
    let text = `HTTP/1.1 ${status} ${message ?? ''}\r\n`;
    for (let i = 0; i < raw.length; i += 2) text += `${raw[i]}: ${raw[i + 1]}\r\n`;
    return `${text}\r\n`;
  };
  up.on('upgrade', (upRes, upSocket, upHead) => {
    slot.window.recordResponse(upRes.statusCode ?? 101, performance.now() - started);
    socket.write(head101(upRes.statusCode ?? 101, upRes.statusMessage, upRes.rawHeaders));
    if (upHead.length > 0) socket.write(upHead);
    if (head.length > 0) upSocket.write(head);
    upSocket.pipe(socket).pipe(upSocket);
    route.tunnels.add(socket);
    const end = () => {
      socket.destroy();
      upSocket.destroy();
    };
    upSocket.on('error', end).on('close', end);
    socket.on('close', () => {
      route.tunnels.delete(socket);
      end();
      backend.release();
    });
  });
  up.on('response', (upRes) => {
    slot.window.recordResponse(upRes.statusCode ?? 502, performance.now() - started);
    const raw = responseHeaders(upRes.rawHeaders, requestId);
    socket.write(head101(upRes.statusCode ?? 502, upRes.statusMessage, [...raw, 'connection', 'close']));
    upRes.pipe(socket);
    upRes.on('end', () => backend.release());
  });
  up.on('error', () => {
    slot.window.recordFailure();
    backend.release();
    if (!connectedOrDestroyed(socket)) socket.end('HTTP/1.1 502 Bad Gateway\r\nConnection: close\r\n\r\n');
  });
  up.end();
}

function connectedOrDestroyed(socket: Duplex): boolean {
  return socket.destroyed || !socket.writable;
}
