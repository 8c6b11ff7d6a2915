/**
 * Connections from the built-in router to one backend: raw TCP sockets reading HTTP/1.1
 * responses, kept alive in a pool between requests.
 *
 * A connection reads the response head, works out its framing and then hands the body's bytes to
 * its current user (a proxied request or a health check, an `UpstreamUser`) exactly as they
 * arrived, so the proxy can forward them unchanged. Listeners are attached once per socket and
 * dispatch to the current user: nothing is allocated per request here.
 */
import { connect, type OnReadOpts, type Socket } from 'node:net';
import { BodyTracker, responseFrame } from './http1/body.ts';
import {
  fieldList,
  headEnd,
  isHeadError,
  MAX_HEAD_BYTES,
  parseResponseHead,
  type ResponseHead,
  tokens,
} from './http1/head.ts';

/** Pooled connections idle this long (up to one 1 s sweep less) are closed, before node's default 5 s server keep-alive does. */
export const IDLE_MS = 4_000;
const CONNECT_TIMEOUT_MS = 2_000;
/** A backend silent this long while a request waits on it is cut (undici's default too). */
const ACTIVE_TIMEOUT_MS = 300_000;

/** Why a connection gave its user no complete response. */
export interface UpstreamFailure {
  /** No connection was made: nothing reached the backend. */
  readonly connectFailed: boolean;
  /** Some response bytes had arrived. */
  readonly responded: boolean;
  readonly reason: string;
}

export interface UpstreamUser {
  /** The connection is up (at once for a pooled one): the request may be written. */
  onConnect(conn: UpstreamConn): void;
  /**
   * The final response head (1xx are skipped) and the body bytes of the same read,
   * buf[bodyStart, bodyEnd); `head` is buf[0, headLength). The body may already be complete.
   */
  onHead(head: ResponseHead, buf: Buffer, headLength: number, bodyStart: number, bodyEnd: number): void;
  /** More body bytes, buf[start, end). */
  onBody(buf: Buffer, start: number, end: number): void;
  /** The response is complete; the connection has gone back to the pool or been closed. */
  onEnd(): void;
  onFail(failure: UpstreamFailure): void;
  /** The socket took all the request bytes written so far (after a write() returned false). */
  onDrain?(): void;
  /** For an upgrade: the backend switched protocols; the socket is the user's from now on. */
  onUpgrade?(head: ResponseHead, buf: Buffer, headLength: number, socket: Socket): void;
}

export class UpstreamConn {
  readonly socket: Socket;
  private readonly pool: UpstreamPool;
  user: UpstreamUser | null = null;
  connected = false;
  idleSince = 0;
  /** bytesRead + bytesWritten at the pool's last sweep, and since when they have not moved. */
  progress = 0;
  silentSince = 0;
  /** The method of the request in flight (a HEAD response has no body). */
  method = 'GET';
  /** An upgrade request is in flight: a 101 hands the socket over. */
  upgrade = false;
  /**
   * The whole request went out. A backend may answer before it has read the request's body
   * (a 413, say); the connection then carries half a request and cannot be reused.
   */
  requestSent = false;
  private head: ResponseHead | null = null;
  private partial: Buffer | null = null;
  private readonly body = new BodyTracker();
  private responded = false;
  private reusable = true;
  private lastError = '';
  /** Reads land in SHARED_READ: bytes kept past one read (a partial head, body parts sent on) are copied. */
  private readonly shared: boolean;

  /**
   * `tunnel`: the connection carries an upgrade request and may become a two-way pipe, so its
   * bytes arrive as stream 'data' events. Every other connection reads into the shared buffer.
   */
  constructor(pool: UpstreamPool, tunnel = false) {
    this.pool = pool;
    const socket = tunnel
      ? connect({ host: pool.host, port: pool.port, noDelay: true })
      : connect({ host: pool.host, port: pool.port, noDelay: true, onread: SHARED_READ });
    this.socket = socket;
    this.shared = !tunnel;
    socket.setTimeout(CONNECT_TIMEOUT_MS);
    socket.on('connect', onConnect);
    if (tunnel) socket.on('data', onData);
    socket.on('end', onEnd);
    socket.on('error', onError);
    socket.on('close', onClose);
    socket.on('timeout', onTimeout);
    socket.on('drain', onDrain);
    (socket as OwnedSocket)[kConn] = this;
    pool.track(this);
  }

  /** The response in flight is read until the backend closes: the client's connection must close too. */
  get untilClose(): boolean {
    return this.head !== null && this.body.untilClose;
  }

  /** Start a request/response exchange for `user` (who then writes the request). */
  begin(user: UpstreamUser, method: string, upgrade: boolean): void {
    this.user = user;
    this.requestSent = false;
    this.method = method;
    this.upgrade = upgrade;
    this.head = null;
    this.partial = null;
    this.responded = false;
    if (this.connected) user.onConnect(this);
  }

  /** The user gives up on the exchange (its client left): the connection cannot be reused. */
  abandon(): void {
    this.user = null;
    this.socket.destroy();
  }

  markConnected(): void {
    this.connected = true;
    // The pool's sweep judges a silent backend from here on: a socket timeout is refreshed on
    // every read and write (~0.5 µs each, two a request).
    this.socket.setTimeout(0);
    this.user?.onConnect(this);
  }

  /** Bytes from the backend: chunk[0, length). With the shared buffer they are valid during this call only. */
  data(chunk: Buffer, length: number): void {
    const user = this.user;
    if (!user) {
      this.socket.destroy(); // bytes nobody asked for: this connection is out of step
      return;
    }
    this.responded = true;
    if (this.head) {
      const end = this.body.feed(chunk, 0, length);
      if (end < 0) {
        this.protocolError('a chunked body broke its framing');
        return;
      }
      if (end > 0) {
        if (this.shared) user.onBody(Buffer.copyBytesFrom(chunk, 0, end), 0, end);
        else user.onBody(chunk, 0, end);
      }
      if (this.body.done) this.complete(end < length);
      return;
    }
    const partial = this.partial;
    this.partial = null;
    if (partial) {
      const joined = Buffer.concat([partial, chunk.subarray(0, length)]);
      this.readHead(user, joined, joined.length, false);
    } else this.readHead(user, chunk, length, this.shared);
  }

  /**
   * The bytes are buf[0, len) (no view made of the shared buffer per read). `inShared`: `buf` is
   * the shared read buffer (copied if kept).
   */
  private readHead(user: UpstreamUser, buf: Buffer, len: number, inShared: boolean): void {
    for (;;) {
      const end = headEnd(buf, 0, len);
      if (end < 0) {
        if (len > MAX_HEAD_BYTES) {
          this.protocolError('response head too large');
          return;
        }
        this.partial = inShared ? Buffer.copyBytesFrom(buf, 0, len) : buf.subarray(0, len);
        return;
      }
      const head = parseResponseHead(buf, 0, end - 4);
      if (isHeadError(head)) {
        this.protocolError(head.reason);
        return;
      }
      if (head.status === 101 && this.upgrade && user.onUpgrade) {
        this.detach();
        user.onUpgrade(head, len === buf.length ? buf : buf.subarray(0, len), end, this.socket);
        return;
      }
      if (head.status < 200) {
        // 1xx informational: the final answer follows.
        buf = buf.subarray(end, len);
        len = buf.length;
        if (len === 0) return;
        continue;
      }
      const frame = responseFrame(head, this.method);
      if (typeof frame === 'string') {
        this.protocolError(frame);
        return;
      }
      this.body.reset(frame);
      this.head = head;
      if (this.body.untilClose || this.upgrade || hasClose(head)) this.reusable = false;
      const bodyEnd = this.body.feed(buf, end, len);
      if (bodyEnd < 0) {
        this.protocolError('a chunked body broke its framing');
        return;
      }
      user.onHead(head, buf, end, end, bodyEnd);
      if (this.body.done && this.user === user) this.complete(bodyEnd < len);
      return;
    }
  }

  private complete(extraBytes: boolean): void {
    const user = this.user!;
    this.user = null;
    this.head = null;
    if (extraBytes || !this.requestSent) this.reusable = false;
    if (this.reusable) this.pool.put(this);
    else this.socket.destroy();
    user.onEnd();
  }

  private protocolError(reason: string): void {
    const user = this.user;
    this.user = null;
    this.reusable = false;
    this.socket.destroy();
    user?.onFail({ connectFailed: false, responded: this.responded, reason: `bad response: ${reason}` });
  }

  ended(): void {
    // The backend closed its side: a body read until close is complete now.
    if (this.user && this.head && this.body.untilClose) {
      this.body.done = true;
      this.complete(false);
    }
  }

  closed(): void {
    this.pool.forget(this);
    const user = this.user;
    if (!user) return;
    this.user = null;
    if (this.head && this.body.untilClose) {
      user.onEnd();
      return;
    }
    user.onFail({
      connectFailed: !this.connected,
      responded: this.responded,
      reason: this.lastError || 'connection closed',
    });
  }

  error(err: Error): void {
    this.lastError = (err as { code?: string }).code ?? err.message;
  }

  timeout(): void {
    this.lastError = this.connected ? 'the backend stopped answering' : 'connect timeout';
    this.socket.destroy();
  }

  /** The pool's sweep: a request in flight that has moved no byte either way for too long is cut. */
  checkSilence(now: number): void {
    const s = this.socket;
    const progress = s.bytesRead + s.bytesWritten;
    if (progress !== this.progress || this.user === null) {
      this.progress = progress;
      this.silentSince = now;
    } else if (now - this.silentSince >= ACTIVE_TIMEOUT_MS) this.timeout();
  }

  private detach(): void {
    const s = this.socket;
    s.removeListener('data', onData);
    s.removeListener('end', onEnd);
    s.removeListener('error', onError);
    s.removeListener('close', onClose);
    s.removeListener('timeout', onTimeout);
    s.removeListener('drain', onDrain);
    s.setTimeout(0);
    this.pool.forget(this);
    this.user = null;
  }
}

const kConn = Symbol('upstream-conn');
type OwnedSocket = Socket & { [kConn]: UpstreamConn };

function onConnect(this: OwnedSocket): void {
  this[kConn].markConnected();
}
function onData(this: OwnedSocket, chunk: Buffer): void {
  this[kConn].data(chunk, chunk.length);
}
/**
 * One read buffer for every upstream socket that is not a tunnel (net's `onread`): no buffer is
 * allocated per read and the bytes skip the readable stream. Reads are handled one at a time
 * and synchronously; what must outlive one (a partial head, body bytes written to a client that
 * may hold them in its queue) is copied. The response head is copied anyway (exchange.ts).
 */
const SHARED_READ: OnReadOpts = {
  buffer: Buffer.allocUnsafe(64 * 1024),
  // net calls it with the socket as `this`.
  callback(this: unknown, length: number, buffer: Uint8Array): boolean {
    (this as OwnedSocket)[kConn].data(buffer as Buffer, length);
    return true;
  },
};
function onEnd(this: OwnedSocket): void {
  this[kConn].ended();
}
function onError(this: OwnedSocket, err: Error): void {
  this[kConn].error(err);
}
function onClose(this: OwnedSocket): void {
  this[kConn].closed();
}
function onTimeout(this: OwnedSocket): void {
  this[kConn].timeout();
}
function onDrain(this: OwnedSocket): void {
  this[kConn].user?.onDrain?.();
}

/** The backend closes the connection after this response (RFC 9112 §9.3). */
function hasClose(head: ResponseHead): boolean {
  const connection = tokens(fieldList(head, 'connection'));
  return head.minor === 0 ? !connection.includes('keep-alive') : connection.includes('close');
}

/** Kept-alive connections to one backend, newest first (LIFO keeps few of them warm). */
export class UpstreamPool {
  readonly host: string;
  readonly port: number;
  private readonly idle: UpstreamConn[] = [];
  /** Every open connection, idle or in use, for the sweep. */
  private readonly open = new Set<UpstreamConn>();
  private sweeper: NodeJS.Timeout | undefined;
  /** Date.now() at the last sweep (or when the sweeper started). */
  private lastSweep = 0;
  private closed = false;

  constructor(host: string, port: number) {
    this.host = host;
    this.port = port;
  }

  /** A pooled connection when one is idle, else a new one (connecting). */
  take(fresh = false, tunnel = false): UpstreamConn {
    if (!fresh) {
      for (;;) {
        const conn = this.idle.pop();
        if (!conn) break;
        if (!conn.socket.destroyed && !conn.socket.readableEnded) return conn;
      }
    }
    return new UpstreamConn(this, tunnel);
  }

  put(conn: UpstreamConn): void {
    if (this.closed) {
      conn.socket.destroy();
      return;
    }
    // The last sweep's time, not a clock read per request: a connection is closed 3-4 s after it
    // went idle, still before node's 5 s keep-alive.
    conn.idleSince = this.lastSweep;
    this.idle.push(conn);
  }

  track(conn: UpstreamConn): void {
    this.open.add(conn);
    if (!this.sweeper) {
      this.lastSweep = Date.now();
      this.sweeper = setInterval(() => this.sweep(), 1_000);
      this.sweeper.unref();
    }
  }

  forget(conn: UpstreamConn): void {
    this.open.delete(conn);
    const i = this.idle.indexOf(conn);
    if (i >= 0) this.idle.splice(i, 1);
  }

  get idleCount(): number {
    return this.idle.length;
  }

  private sweep(): void {
    const now = Date.now();
    this.lastSweep = now;
    const limit = now - IDLE_MS;
    // Oldest first: the pool is a stack, so the stale ones are at the bottom.
    while (this.idle.length > 0 && this.idle[0]!.idleSince <= limit) this.idle.shift()!.socket.destroy();
    for (const conn of this.open) if (conn.connected) conn.checkSilence(now);
    if (this.open.size === 0) {
      clearInterval(this.sweeper);
      this.sweeper = undefined;
    }
  }

  /** Close the idle connections; those in use close when their exchange ends. */
  close(): void {
    this.closed = true;
    for (const conn of this.idle.splice(0)) conn.socket.destroy();
    // The sweep goes on (unref'd) while connections in use remain: it times out a silent backend.
    if (this.open.size === 0) {
      clearInterval(this.sweeper);
      this.sweeper = undefined;
    }
  }
}
