/**
 * One proxied request: the backend `EnvRoute.pick()` chose, the forwarded head and body, the
 * response streamed back to the client byte for byte, and the retries.
 *
 * Retries: an attempt whose connection could not be made is retried on another backend (the
 * body is written only once the connection is up, so nothing was consumed). An attempt whose
 * connection closed before any response byte (a backend killed mid-request, or a pooled
 * keep-alive socket the backend was closing) is retried too, but only for a bodyless idempotent
 * request (GET/HEAD/OPTIONS): HAProxy's "empty-response" retry, allowed by RFC 9110 §9.2.2.
 * A request with a body that reached a backend is never replayed.
 */
import type { Socket } from 'node:net';
import type { BackendState } from './backend-state.ts';
import type { ClientConn } from './client-conn.ts';
import type { ReleaseSlot } from './env-route.ts';
import { clientResponse, type ForwardedHead, forwardHead, plainResponse } from './headers.ts';
import { field, type RequestHead, type ResponseHead } from './http1/head.ts';
import type { UpstreamConn, UpstreamFailure, UpstreamUser } from './upstream.ts';

const MAX_ATTEMPTS = 3;
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS']);
/** Body bytes held while the connection to the backend is being made, before the client is paused. */
const MAX_EARLY = 64 * 1024;

export class Exchange implements UpstreamUser {
  readonly client: ClientConn;
  readonly head: RequestHead;
  readonly forwarded: ForwardedHead;
  private readonly started = performance.now();
  private readonly hasBody: boolean;
  private readonly upgrade: boolean;
  private slot: ReleaseSlot | null = null;
  private backend: BackendState | null = null;
  private conn: UpstreamConn | null = null;
  /** Body bytes that arrived before the head could be written upstream. */
  private early: Buffer[] | null = null;
  private earlyBytes = 0;
  private sent = false;
  /** The client has sent the request's whole body (or it has none). */
  private bodyComplete: boolean;
  private responded = false;
  private status = 0;
  /** The answer's `x-slipway-flag` header: the flag variants the app served (per-variant metrics). */
  private variants: string | undefined;
  private finished = false;
  private excluded: Set<BackendState> | null = null;
  private avoided: Set<BackendState> | null = null;
  private attempts = 0;

  constructor(client: ClientConn, head: RequestHead, hasBody: boolean, upgrade: boolean) {
    this.client = client;
    this.head = head;
    this.hasBody = hasBody;
    this.upgrade = upgrade;
    this.bodyComplete = !hasBody;
    this.forwarded = forwardHead(head, client.address, upgrade);
  }

  start(): void {
    const route = this.client.route;
    let pick = this.avoided
      ? route.pick(this.head, new Set([...this.avoided, ...(this.excluded ?? [])]))
      : undefined;
    pick ??= route.pick(this.head, this.excluded);
    if (!pick) {
      this.answer(502, `502 no healthy backend for env "${route.env}"\n`);
      return;
    }
    this.slot = pick.slot;
    this.backend = pick.backend;
    pick.backend.acquire();
    this.attempts++;
    this.sent = false;
    const conn = pick.backend.pool.take(this.upgrade, this.upgrade);
    this.conn = conn;
    conn.begin(this, this.head.method, this.upgrade);
  }

  onConnect(conn: UpstreamConn): void {
    const socket = conn.socket;
    const early = this.early;
    if (early) socket.cork();
    socket.write(this.forwarded.text, 'latin1');
    if (early) {
      for (const part of early) socket.write(part);
      socket.uncork();
      this.early = null;
      this.earlyBytes = 0;
      this.client.resumeReading();
    }
    this.sent = true;
    conn.requestSent = this.bodyComplete;
  }

  /** The client's request body is complete. */
  endBody(): void {
    this.bodyComplete = true;
    if (this.sent && this.conn) this.conn.requestSent = true;
  }

  /** Request body bytes from the client, in order. */
  sendBody(part: Buffer): void {
    if (this.finished) return;
    if (this.sent && this.conn) {
      if (!this.conn.socket.write(part)) this.client.pauseReading();
      return;
    }
    this.early ??= [];
    this.early.push(part);
    this.earlyBytes += part.length;
    if (this.earlyBytes > MAX_EARLY) this.client.pauseReading();
  }

  onDrain(): void {
    this.client.resumeReading();
  }

  onHead(head: ResponseHead, buf: Buffer, _headLength: number, bodyStart: number, bodyEnd: number): void {
    this.responded = true;
    this.status = head.status;
    this.variants = field(head, 'x-slipway-flag');
    const client = this.client;
    if (this.conn?.untilClose || this.upgrade) client.keepAlive = false;
    this.toClient(clientResponse(head, buf, bodyStart, bodyEnd, this.forwarded.requestId, !client.keepAlive));
  }

  onBody(buf: Buffer, start: number, end: number): void {
    this.toClient(start === 0 && end === buf.length ? buf : buf.subarray(start, end));
  }

  private toClient(part: Buffer): void {
    // Backpressure: stop reading the backend until the client has taken the data.
    if (!this.client.socket.write(part)) this.conn?.socket.pause();
  }

  clientDrained(): void {
    this.conn?.socket.resume();
  }

  onEnd(): void {
    if (this.finished) return;
    this.finished = true;
    this.conn = null;
    const end = performance.now();
    const latencyMs = end - this.started;
    this.slot!.window.recordResponseAt(this.status, latencyMs, end);
    if (this.variants !== undefined)
      this.client.route.recordVariants(this.slot!.name, this.variants, this.status, latencyMs);
    this.backend!.release();
    this.client.exchangeDone(this);
  }

  onFail(failure: UpstreamFailure): void {
    if (this.finished) return;
    const slot = this.slot!;
    const backend = this.backend!;
    this.conn = null;
    backend.release();
    slot.window.recordFailure();
    if (failure.connectFailed) backend.eject(this.client.route.hasHealthChecks);
    if (this.responded) {
      // Part of the response went out: the client can only learn of the failure by a cut.
      this.finished = true;
      this.client.socket.destroy();
      return;
    }
    const idempotent = !this.hasBody && IDEMPOTENT.has(this.head.method);
    const safe = failure.connectFailed || (!failure.responded && idempotent);
    if (safe && this.attempts < MAX_ATTEMPTS) {
      // A refused backend is out for this request; one that dropped a connection is only avoided
      // (a stale pooled socket says nothing about the next one), so a lone backend is retried.
      if (failure.connectFailed) {
        this.excluded ??= new Set();
        this.excluded.add(backend);
      } else {
        this.avoided ??= new Set();
        this.avoided.add(backend);
      }
      this.start();
      return;
    }
    this.answer(502, `502 release "${slot.name}" did not answer\n`);
  }

  onUpgrade(head: ResponseHead, buf: Buffer, _headLength: number, socket: Socket): void {
    this.finished = true;
    this.conn = null;
    this.slot!.window.recordResponse(head.status, performance.now() - this.started);
    const backend = this.backend!;
    socket.once('close', () => backend.release());
    this.client.becomeTunnel(socket, buf);
  }

  /** The router answers the client itself. */
  private answer(status: number, body: string): void {
    this.finished = true;
    const client = this.client;
    if (this.hasBody) client.keepAlive = false;
    client.socket.write(plainResponse(status, body, !client.keepAlive, this.forwarded.requestId));
    client.exchangeDone(this);
  }

  /** The client connection closed: stop the upstream side (its connection cannot be reused). */
  clientGone(): void {
    if (this.finished) return;
    this.finished = true;
    const conn = this.conn;
    this.conn = null;
    if (conn) {
      conn.abandon();
      this.backend!.release();
    }
  }
}
