/**
 * One client connection to the built-in router: it reads requests one after the other (HTTP/1.1
 * keep-alive; pipelined requests wait their turn), hands each to an `Exchange`, forwards its body
 * as it arrives, and after the response decides whether the connection goes on.
 */
import type { OnReadOpts, Socket } from 'node:net';
import type { EnvRoute } from './env-route.ts';
import { Exchange } from './exchange.ts';
import { plainResponse } from './headers.ts';
import { BodyTracker, requestFrame } from './http1/body.ts';
import {
  field,
  fieldList,
  headEnd,
  isHeadError,
  MAX_HEAD_BYTES,
  parseRequestHead,
  tokens,
} from './http1/head.ts';
import { withSharedReads } from './shared-reads.ts';

/** How long clients may take; `new BuiltinRouter(limits)` overrides them. */
export interface ClientLimits {
  /** From the first byte of a request head to its end (node:http's headersTimeout): slow-loris clients. */
  readonly headTimeoutMs: number;
  /** A client connection idle this long, between requests or stalled mid-body, is closed. */
  readonly idleTimeoutMs: number;
  /**
   * Read client sockets as streams ('data' events) instead of into the shared buffer: what the
   * router falls back to when this Node does not allow shared reads (shared-reads.ts). Tests run
   * the router both ways.
   */
  readonly streamReads?: boolean;
}

export const DEFAULT_LIMITS: ClientLimits = { headTimeoutMs: 60_000, idleTimeoutMs: 65_000 };
/** Bytes buffered from a client while its previous request is answered, before reading pauses. */
const MAX_STASH = 64 * 1024;

/** What the connection is reading. */
const Reading = { Head: 0, Body: 1, Waiting: 2, Tunnel: 3, Closed: 4 } as const;
type Reading = (typeof Reading)[keyof typeof Reading];

export class ClientConn {
  readonly socket: Socket;
  readonly route: EnvRoute;
  readonly address: string;
  /** False once this connection must close after the response in flight. */
  keepAlive = true;
  exchange: Exchange | null = null;
  private state: Reading = Reading.Head;
  private pending: Buffer | null = null;
  private readonly body = new BodyTracker();
  private paused = false;
  /** Armed while a request head is arriving in pieces. */
  private headTimer: NodeJS.Timeout | undefined;
  /**
   * When the route's sweep last saw the client active (Date.now()); it closes connections idle
   * past `idleTimeoutMs`. A socket timeout would be re-armed on every read and write of every
   * request, and even a clock read per request costs: reads and answers only set `active`.
   */
  lastActive = Date.now();
  /** The client sent bytes or got its answer since the last sweep. */
  active = true;
  /** Upgraded to a tunnel: no longer subject to the idle timeout. */
  private tunneled = false;
  /**
   * Reads land in SHARED_READ (shared-reads.ts): bytes kept past one read (a partial head, a
   * stash, body parts sent on) are copied. Otherwise chunks come as stream 'data' events.
   */
  private readonly shared: boolean;
  /** With shared reads, an upgraded connection's client bytes go here (no stream to pipe). */
  private tunnelTo: Socket | null = null;

  /** `accepted`: from a server made with `pauseOnConnect: true`. */
  constructor(accepted: Socket, route: EnvRoute) {
    const adopted = route.limits.streamReads ? null : withSharedReads(accepted, SHARED_READ);
    const socket = adopted ?? accepted;
    this.socket = socket;
    this.shared = adopted !== null;
    this.route = route;
    this.address = socket.remoteAddress ?? '';
    if (!adopted) {
      socket.on('data', onData);
      socket.resume();
    }
    socket.on('error', noop);
    socket.on('close', onClose);
    socket.on('drain', onDrain);
    (socket as OwnedSocket)[kClient] = this;
    route.clients.add(this);
  }

  /** Between requests: nothing is read or answered right now. */
  get idle(): boolean {
    return this.state === Reading.Head && this.exchange === null && this.pending === null;
  }

  /**
   * Bytes from the client, chunk[0, length); with shared reads, valid during this call only (and
   * `chunk` is the whole shared buffer: no view is made per read).
   */
  data(chunk: Buffer, length: number): void {
    this.active = true;
    const transient = this.shared;
    if (this.state === Reading.Head) this.readHead(chunk, length, transient);
    else if (this.state === Reading.Body) this.readBody(chunk, 0, length, transient);
    else if (this.tunnelTo) this.toTunnel(this.tunnelTo, Buffer.copyBytesFrom(chunk, 0, length));
    else if (this.state !== Reading.Closed) this.stash(chunk.subarray(0, length), transient);
  }

  /** `transient`: `chunk` is a view of the shared read buffer (copied if kept). */
  private stash(chunk: Buffer, transient: boolean): void {
    if (this.pending) this.pending = Buffer.concat([this.pending, chunk]);
    else this.pending = transient ? Buffer.copyBytesFrom(chunk) : chunk;
    if (this.pending.length > MAX_STASH) this.pauseReading();
  }

  /** The bytes are chunk[0, length). */
  private readHead(chunk: Buffer | null, length: number, transient: boolean): void {
    let buf = chunk ?? EMPTY;
    let len = length;
    if (this.pending) {
      buf = chunk ? Buffer.concat([this.pending, chunk.subarray(0, length)]) : this.pending;
      len = buf.length;
      transient = false;
    }
    this.pending = null;
    // RFC 9112 §2.2: empty lines before a request line are ignored.
    let start = 0;
    while (start + 1 < len && buf[start] === 13 && buf[start + 1] === 10) start += 2;
    const end = headEnd(buf, start, len);
    if (end < 0) {
      if (len - start > MAX_HEAD_BYTES) {
        this.refuse(431, 'request head too large');
        return;
      }
      if (buf.subarray(0, len).indexOf('\n\n', start, 'latin1') >= 0) {
        this.refuse(400, 'lines must end with CRLF');
        return;
      }
      if (start < len) {
        const rest = start === 0 && len === buf.length ? buf : buf.subarray(start, len);
        this.pending = transient ? Buffer.copyBytesFrom(rest) : rest;
        this.headTimer ??= setTimeout(onHeadTimeout, this.route.limits.headTimeoutMs, this);
      }
      return;
    }
    this.clearHeadTimer();
    if (end - start > MAX_HEAD_BYTES) {
      this.refuse(431, 'request head too large');
      return;
    }
    const head = parseRequestHead(buf, start, end - 4);
    if (isHeadError(head)) {
      this.refuse(head.error, head.reason);
      return;
    }
    if (head.method === 'CONNECT') {
      this.refuse(501, 'CONNECT is not proxied');
      return;
    }
    const frame = requestFrame(head);
    if (typeof frame === 'string') {
      this.refuse(400, frame);
      return;
    }

    const connection = tokens(fieldList(head, 'connection'));
    const upgrade = connection.includes('upgrade') && field(head, 'upgrade') !== undefined;
    this.keepAlive = head.minor === 1 && !connection.includes('close') && !this.route.closing;
    this.body.reset(frame);
    if (!this.body.done && field(head, 'expect')?.toLowerCase() === '100-continue')
      this.socket.write('HTTP/1.1 100 Continue\r\n\r\n');
    const ex = new Exchange(this, head, !this.body.done, upgrade);
    this.exchange = ex;
    if (this.body.done) {
      this.state = upgrade ? Reading.Tunnel : Reading.Waiting;
      if (end < len) this.stash(buf.subarray(end, len), transient);
    } else {
      this.state = Reading.Body;
      if (end < len) this.readBody(buf, end, len, transient);
    }
    ex.start();
  }

  /** The bytes are buf[from, len). */
  private readBody(buf: Buffer, from: number, len: number, transient: boolean): void {
    const end = this.body.feed(buf, from, len);
    if (end < 0) {
      // A chunked body we cannot follow: the request cannot be completed or framed upstream.
      this.exchange?.clientGone();
      this.socket.destroy();
      return;
    }
    if (end > from) {
      // A write may keep the buffer until the socket takes it: a shared read's bytes are copied.
      const part = transient
        ? Buffer.copyBytesFrom(buf, from, end - from)
        : from === 0 && end === buf.length
          ? buf
          : buf.subarray(from, end);
      this.exchange?.sendBody(part);
    }
    if (!this.body.done) return;
    this.exchange?.endBody();
    // (An exchange that answered before its body was read closed the connection: see exchangeDone.)
    this.state = Reading.Waiting;
    if (end < len) this.stash(buf.subarray(end, len), transient);
  }

  /** The exchange in flight has answered the client. */
  exchangeDone(ex: Exchange): void {
    if (this.exchange !== ex) return;
    this.exchange = null;
    this.active = true;
    if (this.state === Reading.Body || this.state === Reading.Tunnel) {
      // Answered before the request's body was all read (or an upgrade refused): the rest of
      // the bytes cannot be told apart from a next request.
      this.close();
      return;
    }
    if (!this.keepAlive || this.route.closing) {
      this.close();
      return;
    }
    this.state = Reading.Head;
    this.next();
  }

  private next(): void {
    if (this.paused) {
      this.paused = false;
      this.socket.resume();
    }
    if (this.pending) this.readHead(null, 0, false);
  }

  /** The backend switched protocols: from now on the two sockets are one pipe. */
  becomeTunnel(upstream: Socket, firstBytes: Buffer): void {
    this.state = Reading.Closed;
    this.exchange = null;
    const socket = this.socket;
    this.tunneled = true;
    this.route.tunnels.add(socket);
    socket.write(firstBytes);
    if (this.pending) upstream.write(this.pending);
    this.pending = null;
    if (this.paused) socket.resume();
    if (this.shared) {
      // No readable stream to pipe: data() hands the client's bytes over, with backpressure.
      this.tunnelTo = upstream;
      socket.on('end', () => upstream.end());
      upstream.pipe(socket);
    } else {
      socket.removeListener('data', onData);
      socket.pipe(upstream).pipe(socket);
    }
    const end = () => {
      socket.destroy();
      upstream.destroy();
    };
    upstream.on('error', end).on('close', end);
    socket.on('close', end);
  }

  private toTunnel(upstream: Socket, bytes: Buffer): void {
    if (upstream.write(bytes)) return;
    this.socket.pause();
    upstream.once('drain', () => this.socket.resume());
  }

  pauseReading(): void {
    if (this.paused) return;
    this.paused = true;
    this.socket.pause();
  }

  resumeReading(): void {
    if (!this.paused || this.state === Reading.Waiting) return;
    this.paused = false;
    this.socket.resume();
  }

  private clearHeadTimer(): void {
    if (this.headTimer === undefined) return;
    clearTimeout(this.headTimer);
    this.headTimer = undefined;
  }

  headTimedOut(): void {
    this.headTimer = undefined;
    if (this.state !== Reading.Head || this.pending === null) return;
    this.refuse(408, `the request head took longer than ${this.route.limits.headTimeoutMs} ms`);
  }

  /** A request the router will not forward: answer it and close the connection. */
  private refuse(status: number, reason: string): void {
    this.clearHeadTimer();
    this.state = Reading.Closed;
    this.pending = null;
    this.socket.end(plainResponse(status, `${status} ${reason}\n`, true));
  }

  close(): void {
    this.state = Reading.Closed;
    this.pending = null;
    this.socket.end();
  }

  closed(): void {
    this.clearHeadTimer();
    this.state = Reading.Closed;
    this.route.clients.delete(this);
    this.route.tunnels.delete(this.socket);
    const ex = this.exchange;
    this.exchange = null;
    ex?.clientGone();
  }

  /** EnvRoute's sweep: `limit` is the latest lastActive that is idle too long. */
  sweep(now: number, limit: number): void {
    if (this.active) {
      this.active = false;
      this.lastActive = now;
    } else if (this.lastActive <= limit) this.timedOut();
  }

  /** Idle past the limit. */
  timedOut(): void {
    // Waiting on the backend is the backend's timeout to judge; anything else is a stalled client.
    if (this.state !== Reading.Waiting && !this.tunneled) this.socket.destroy();
  }

  drained(): void {
    this.exchange?.clientDrained();
  }
}

const kClient = Symbol('client-conn');
type OwnedSocket = Socket & { [kClient]: ClientConn };
const EMPTY = Buffer.alloc(0);

/**
 * One read buffer for every client socket (see shared-reads.ts). Reads are handled one at a time
 * and synchronously; what must outlive one is copied.
 */
const SHARED_READ: OnReadOpts = {
  buffer: Buffer.allocUnsafe(64 * 1024),
  // net calls it with the socket as `this`.
  callback(this: unknown, length: number, buffer: Uint8Array): boolean {
    (this as OwnedSocket)[kClient].data(buffer as Buffer, length);
    return true;
  },
};

function noop(): void {}
function onHeadTimeout(client: ClientConn): void {
  client.headTimedOut();
}
function onData(this: OwnedSocket, chunk: Buffer): void {
  this[kClient].data(chunk, chunk.length);
}
function onClose(this: OwnedSocket): void {
  this[kClient].closed();
}
function onDrain(this: OwnedSocket): void {
  this[kClient].drained();
}
