/**
 * Which `slipway server` leads: the one holding the store's `control-plane:leader` lock, a lease
 * row renewed every `pollMs` with a deadline of `ttlMs` (src/store/sql/sql-store.ts). A lease row
 * rather than a PostgreSQL advisory lock because the same row works on SQLite and PostgreSQL, and
 * the store already recovers it from a holder that expired or whose process is gone on this host.
 * Only the leader drives deployments; the others serve the API and the dashboard and write what
 * they are asked (a deploy, an approval, an abort) to the store, where the leader picks it up.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { AppError } from '../domain/errors.ts';
import type { LockOwner, Store } from '../store/contract.ts';

export const LEADER_LOCK = 'control-plane:leader';

export interface LeadershipOptions {
  /** How this server is named in logs, `/api/health` and deployment timelines; default host:pid. */
  readonly name?: string;
  /** The lease's deadline: a leader silent this long is replaced; default 5 s. */
  readonly ttlMs?: number;
  /** How often the leader renews and a follower tries to lead; default 1 s. */
  readonly pollMs?: number;
}

export interface LeaderView {
  readonly role: 'leader' | 'follower';
  readonly server: string;
  /** The leading server's name (this one when leading), when known. */
  readonly leader: string | null;
  /** Since when this server has had its role (ISO time). */
  readonly since: string;
}

export interface LeadershipDeps extends LeadershipOptions {
  readonly store: Store;
  readonly log: (line: string) => void;
  /** Called when this server starts leading; `from` is the leader it replaced, if it died. */
  readonly onLead: (from: LockOwner | undefined) => Promise<void> | void;
  /** Called when this server stops leading (its lease was lost). */
  readonly onFollow: () => Promise<void> | void;
}

/** The server name carried in the lock owner's id: `server:<name>#<nonce>`. */
export function serverName(owner: Pick<LockOwner, 'id'>): string {
  return owner.id.replace(/^server:/, '').replace(/#[0-9a-f]+$/, '');
}

export class Leadership {
  readonly #deps: LeadershipDeps;
  readonly #owner: LockOwner;
  readonly name: string;
  #role: 'leader' | 'follower' = 'follower';
  #leader: string | null = null;
  #since = new Date().toISOString();
  #renewedAt = 0;
  #timer: NodeJS.Timeout | undefined;
  #tick: Promise<void> = Promise.resolve();
  #closed = false;

  constructor(deps: LeadershipDeps) {
    this.#deps = deps;
    this.name = deps.name ?? `${hostname()}:${process.pid}`;
    // The nonce keeps two servers in one process (tests) apart.
    this.#owner = {
      id: `server:${this.name}#${randomBytes(4).toString('hex')}`,
      pid: process.pid,
      host: hostname(),
    };
  }

  get ttlMs(): number {
    return this.#deps.ttlMs ?? 5000;
  }

  get view(): LeaderView {
    return { role: this.#role, server: this.name, leader: this.#leader, since: this.#since };
  }

  get leading(): boolean {
    return this.#role === 'leader';
  }

  /**
   * Try to lead once, then keep trying (or renewing) every `pollMs`. On SQLite one server is the
   * leader by definition: a second one on the same store is refused.
   */
  async start(): Promise<void> {
    await this.#attempt();
    if (!this.leading && this.#deps.store.dialect === 'sqlite')
      throw new AppError(
        'SERVER_ALREADY_RUNNING',
        `another slipway server (${this.#leader}) already serves this SQLite store; run one server per SQLite store, or put the store on PostgreSQL (--store postgres://…) to run several with one leading`,
      );
    this.#timer = setInterval(() => {
      this.#tick = this.#tick.then(() => this.#attempt()).catch(() => undefined);
    }, this.#deps.pollMs ?? 1000);
  }

  async #attempt(): Promise<void> {
    if (this.#closed) return;
    const { store } = this.#deps;
    const now = Date.now();
    if (this.leading) {
      const kept = await store.renewLock(LEADER_LOCK, this.#owner, this.ttlMs).catch(() => null);
      if (kept) this.#renewedAt = now;
      // Lost for sure (another took it), or not confirmed before the deadline: step down, since
      // the others may already lead.
      if (kept === false || now - this.#renewedAt >= this.ttlMs) await this.#follow(null);
      return;
    }
    const result = await store.acquireLock(LEADER_LOCK, this.#owner, this.ttlMs).catch(() => null);
    if (!result) return;
    if (!result.acquired) {
      const leader = `${serverName(result.holder)} (pid ${result.holder.pid} on ${result.holder.host})`;
      if (leader !== this.#leader) this.#deps.log(`following ${leader}, which leads`);
      this.#leader = leader;
      return;
    }
    this.#role = 'leader';
    this.#leader = this.name;
    this.#renewedAt = now;
    this.#since = new Date(now).toISOString();
    const from = result.recoveredFrom;
    this.#deps.log(
      from
        ? `leading since ${this.#since}: took over from ${serverName(from)} (pid ${from.pid} on ${from.host}), whose lease ran out`
        : `leading since ${this.#since}`,
    );
    await this.#deps.onLead(from);
  }

  async #follow(leader: string | null): Promise<void> {
    this.#role = 'follower';
    this.#leader = leader;
    this.#since = new Date().toISOString();
    this.#deps.log(`stopped leading at ${this.#since}: the lease was lost; following`);
    await this.#deps.onFollow();
  }

  /** Stop trying; a leader lets go so a follower leads at once. */
  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#timer);
    await this.#tick;
    if (this.leading) await this.#deps.store.releaseLock(LEADER_LOCK, this.#owner).catch(() => undefined);
  }
}
