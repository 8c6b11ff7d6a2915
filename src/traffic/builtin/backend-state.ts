/**
 * One backend as the built-in router sees it: its keep-alive connection pool, its health (active
 * checks plus passive ejection on connection errors) and its in-flight count, which lets a backend
 * removed by apply() drain: it takes no new requests, and its pool closes when the last one ends.
 *
 * Active checks go through the same pool as the traffic. A release at weight 0 (the green side
 * of a blue-green switch) thus keeps a kept-alive connection to each backend, so the first
 * request after the switch does not pay for a TCP connect and a fresh connection on a backend
 * that has served no request yet (measured in bench/README.md).
 */
import { statusMatches } from '../../domain/health-status.ts';
import type { Backend } from '../contract.ts';
import { type UpstreamConn, type UpstreamFailure, UpstreamPool, type UpstreamUser } from './upstream.ts';

/** Without active health checks, a backend that refused a connection rests this long. */
const EJECT_MS = 2_000;

export function backendKey(b: Backend): string {
  return `${b.id}@${b.host}:${b.port}`;
}

export class BackendState {
  readonly key: string;
  readonly id: string;
  readonly host: string;
  readonly port: number;
  /** Kept-alive connections, shared by the traffic and the active health checks. */
  readonly pool: UpstreamPool;
  /** Result of the last active health check (true until a check says otherwise). */
  healthy = true;
  /** Passive ejection: not picked before this time (ms since epoch); 0 when not ejected. */
  ejectedUntil = 0;
  inflight = 0;
  removed = false;

  constructor(b: Backend) {
    this.key = backendKey(b);
    this.id = b.id;
    this.host = b.host;
    this.port = b.port;
    this.pool = new UpstreamPool(b.host, b.port);
  }

  /** Reads the clock only for an ejected backend: this runs for every request. */
  available(): boolean {
    return this.healthy && !this.removed && (this.ejectedUntil === 0 || Date.now() >= this.ejectedUntil);
  }

  /** A connection to the backend failed: stop picking it until a health check passes (or EJECT_MS). */
  eject(hasActiveChecks: boolean): void {
    this.ejectedUntil = hasActiveChecks ? Number.POSITIVE_INFINITY : Date.now() + EJECT_MS;
  }

  acquire(): void {
    this.inflight++;
  }

  release(): void {
    this.inflight--;
    if (this.removed && this.inflight === 0) this.pool.close();
  }

  /** Removed from the routing: finish in-flight requests, then close the pool. */
  drain(): void {
    this.removed = true;
    if (this.inflight === 0) this.pool.close();
  }

  /** One active check: an answer meeting `expect` (default 2xx or 3xx) within the timeout is healthy. */
  async check(path: string, timeoutMs: number, expect?: number | string): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    let ok = await this.checkOnce(path, timeoutMs, false, expect);
    // A pooled connection the backend closed while idle fails with no answer: that says nothing
    // about the backend, so such a check is repeated once (on a new connection) within the timeout.
    if (ok === undefined && Date.now() < deadline)
      ok = await this.checkOnce(path, deadline - Date.now(), true, expect);
    this.setHealth(ok === true);
    return ok === true;
  }

  /** True/false for an answer; undefined when the connection closed before any answer. */
  private checkOnce(
    path: string,
    timeoutMs: number,
    fresh: boolean,
    expect: number | string | undefined,
  ): Promise<boolean | undefined> {
    return new Promise((resolve) => {
      const conn = this.pool.take(fresh);
      const check = new HealthCheck(
        `GET ${path} HTTP/1.1\r\nhost: ${this.host}:${this.port}\r\n\r\n`,
        resolve,
        expect,
      );
      check.timer = setTimeout(() => {
        conn.abandon();
        check.settle(false);
      }, timeoutMs);
      conn.begin(check, 'GET', false);
    });
  }

  private setHealth(ok: boolean): void {
    this.healthy = ok;
    if (ok) this.ejectedUntil = 0;
  }
}

class HealthCheck implements UpstreamUser {
  timer: NodeJS.Timeout | undefined;
  private status = 0;
  private done = false;
  private readonly request: string;
  private readonly resolve: (ok: boolean | undefined) => void;
  private readonly expect: number | string | undefined;

  constructor(
    request: string,
    resolve: (ok: boolean | undefined) => void,
    expect: number | string | undefined,
  ) {
    this.request = request;
    this.resolve = resolve;
    this.expect = expect;
  }

  settle(ok: boolean | undefined): void {
    if (this.done) return;
    this.done = true;
    clearTimeout(this.timer);
    this.resolve(ok);
  }

  onConnect(conn: UpstreamConn): void {
    conn.socket.write(this.request, 'latin1');
    conn.requestSent = true;
  }

  onHead(head: { status: number }): void {
    this.status = head.status;
  }

  onBody(): void {}

  onEnd(): void {
    this.settle(statusMatches(this.status, this.expect));
  }

  onFail(f: UpstreamFailure): void {
    this.settle(f.connectFailed || f.responded ? false : undefined);
  }
}
