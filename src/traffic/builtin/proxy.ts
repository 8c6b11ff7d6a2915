/**
 * Forwarding of one request to the backend `EnvRoute.pick()` chose, with retries.
 *
 * Retries: an attempt whose connection could not be made is retried on another backend (a body
 * is only streamed once the connection is up, so nothing was consumed). An attempt whose
 * connection closed before any response byte (a backend killed mid-request, or a pooled
 * keep-alive socket the backend was closing) is retried too, but only for a bodyless idempotent
 * request (GET/HEAD/OPTIONS): HAProxy's "empty-response" retry, allowed by RFC 9110 §9.2.2.
 * A request with a body that reached a backend is never replayed.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Attempt } from './attempt.ts';
import type { BackendState } from './backend-state.ts';
import type { EnvRoute, ReleaseSlot } from './env-route.ts';
import { forwardHeaders } from './headers.ts';
import { sendWithNode } from './send-node.ts';
import { sendWithUndici } from './send-undici.ts';

export { proxyUpgrade } from './upgrade.ts';

const MAX_ATTEMPTS = 3;
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS']);

function noBackend(res: ServerResponse, env: string): void {
  res.writeHead(502, { 'content-type': 'text/plain', 'cache-control': 'no-store' });
  res.end(`502 no healthy backend for env "${env}"\n`);
}

function hasBody(req: IncomingMessage): boolean {
  const len = req.headers['content-length'];
  return (len !== undefined && len !== '0') || req.headers['transfer-encoding'] !== undefined;
}

const kAttempt = Symbol('attempt');
type ProxiedResponse = ServerResponse & { [kAttempt]?: Attempt };

/** The client connection closed: when before the response was complete, cancel the attempt. */
function onClientClose(this: ProxiedResponse): void {
  const ctx = this[kAttempt];
  if (this.writableFinished || !ctx) return;
  ctx.clientGone = true;
  ctx.call?.cancel();
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
    n: 0,
    call: null,
    failed: attemptFailed,
  };
  (res as ProxiedResponse)[kAttempt] = ctx;
  res.on('close', onClientClose);
  attempt(ctx);
}

function attempt(ctx: Attempt): void {
  const { route, req, res } = ctx;
  let pick = ctx.avoided ? route.pick(req, new Set([...ctx.avoided, ...(ctx.excluded ?? [])])) : undefined;
  pick ??= route.pick(req, ctx.excluded);
  if (!pick) {
    noBackend(res, route.env);
    return;
  }
  const { slot, backend } = pick;
  backend.acquire();
  ctx.n++;
  (ctx.body ? sendWithNode : sendWithUndici)(ctx, slot, backend);
}

function attemptFailed(ctx: Attempt, slot: ReleaseSlot, backend: BackendState, connectFailed: boolean): void {
  const { route, req, res } = ctx;
  slot.window.recordFailure();
  if (connectFailed) backend.eject(route.hasHealthChecks);
  const safe = connectFailed || (!ctx.body && IDEMPOTENT.has(req.method ?? ''));
  if (safe && ctx.n < MAX_ATTEMPTS) {
    // A refused backend is out for this request; one that dropped a connection is only avoided
    // (a stale pooled socket says nothing about the next one), so a lone backend is retried.
    if (connectFailed) {
      ctx.excluded ??= new Set();
      ctx.excluded.add(backend);
    } else {
      ctx.avoided ??= new Set();
      ctx.avoided.add(backend);
    }
    attempt(ctx);
    return;
  }
  if (res.headersSent) res.destroy();
  else {
    res.writeHead(502, { 'content-type': 'text/plain', 'x-request-id': ctx.requestId });
    res.end(`502 release "${slot.name}" did not answer\n`);
  }
}
