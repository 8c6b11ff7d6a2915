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
import { Agent } from 'node:http';
import { errors, Pool } from 'undici';
import type { Backend } from '../contract.ts';

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
  /** Origin URL of the backend, for undici. */
  readonly origin: string;
  /** Keep-alive pool for bodyless requests (undici) ... */
  readonly pool: Pool;
  private nodeAgent: Agent | undefined;
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
    this.origin = `http://${b.host.includes(':') ? `[${b.host}]` : b.host}:${b.port}`;
    // The 4 s idle timeout closes pooled sockets before node's default 5 s server keep-alive
    // does, so a request rarely meets a socket the backend is closing.
    this.pool = new Pool(this.origin, {
      connections: null,
      pipelining: 1,
      keepAliveTimeout: 4_000,
      connectTimeout: 2_000,
    });
  }

  /** ... and a node:http Agent for requests with a body, made on first use. */
  get agent(): Agent {
    this.nodeAgent ??= new Agent({
      keepAlive: true,
      maxSockets: Infinity,
      scheduling: 'lifo',
      timeout: 4_000,
    });
    return this.nodeAgent;
  }

  available(now: number): boolean {
    return this.healthy && !this.removed && (this.ejectedUntil === 0 || now >= this.ejectedUntil);
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
    if (this.removed && this.inflight === 0) this.closePools();
  }

  /** Removed from the routing: finish in-flight requests, then close the pools. */
  drain(): void {
    this.removed = true;
    if (this.inflight === 0) this.closePools();
  }

  private closePools(): void {
    this.nodeAgent?.destroy();
    void this.pool.close().catch(() => {});
  }

  /** One active check: a 2xx or 3xx answer within the timeout is healthy. */
  async check(path: string, timeoutMs: number): Promise<boolean> {
    const signal = AbortSignal.timeout(timeoutMs);
    let ok = await this.checkOnce(path, signal);
    // A pooled connection the backend closed while idle fails with no answer: that says nothing
    // about the backend, so such a check is repeated once (on a new connection) within the timeout.
    if (ok === undefined && !signal.aborted) ok = await this.checkOnce(path, signal);
    this.setHealth(ok === true);
    return ok === true;
  }

  /** True/false for an answer; undefined when the connection closed before any answer. */
  private async checkOnce(path: string, signal: AbortSignal): Promise<boolean | undefined> {
    try {
      const { statusCode, body } = await this.pool.request({ path, method: 'GET', signal });
      await body.dump();
      return statusCode < 400;
    } catch (err) {
      const closed = err instanceof errors.SocketError || (err as { code?: string }).code === 'ECONNRESET';
      return closed ? undefined : false;
    }
  }

  private setHealth(ok: boolean): void {
    this.healthy = ok;
    if (ok) this.ejectedUntil = 0;
  }
}
