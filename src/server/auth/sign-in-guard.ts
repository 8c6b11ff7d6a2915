/**
 * Limits on failed sign-ins (a bad or missing credential). Per client (the peer address): the
 * first `freeFailures` failures in `windowMs` cost nothing; after that the client must wait
 * `baseMs` doubling per further failure (up to `maxMs`) before its next try, and is answered
 * 429 TOO_MANY_ATTEMPTS at once, without its credential being looked at. Globally: past
 * `globalPerMinute` failures in a minute, every client that has failed lately waits too, while
 * clients that have not failed are let through (strangers cannot lock out the team).
 *
 * Behind a reverse proxy every client has the proxy's address: they share one budget.
 */
import { AppError } from '../../domain/errors.ts';

export interface SignInGuardOptions {
  readonly freeFailures?: number;
  readonly windowMs?: number;
  readonly baseMs?: number;
  readonly maxMs?: number;
  readonly globalPerMinute?: number;
  readonly now?: () => number;
}

interface Client {
  failures: number;
  last: number;
}

/** Most clients tracked at once; the oldest are forgotten first (bounded memory). */
const MAX_CLIENTS = 10_000;

export class SignInGuard {
  readonly #o: Required<SignInGuardOptions>;
  readonly #clients = new Map<string, Client>();
  #minute = 0;
  #global = 0;

  constructor(options: SignInGuardOptions = {}) {
    this.#o = {
      freeFailures: options.freeFailures ?? 10,
      windowMs: options.windowMs ?? 5 * 60_000,
      baseMs: options.baseMs ?? 1000,
      maxMs: options.maxMs ?? 60_000,
      globalPerMinute: options.globalPerMinute ?? 300,
      now: options.now ?? Date.now,
    };
  }

  #client(source: string, now: number): Client | undefined {
    const c = this.#clients.get(source);
    if (c && now - c.last > this.#o.windowMs) {
      this.#clients.delete(source);
      return undefined;
    }
    return c;
  }

  /** Throws TOO_MANY_ATTEMPTS while `source` must wait; call before looking at its credential. */
  check(source: string): void {
    const now = this.#o.now();
    const c = this.#client(source, now);
    if (!c) return;
    const over = c.failures - this.#o.freeFailures;
    const busy = this.#globalCount(now) > this.#o.globalPerMinute;
    if (over < 0 && !busy) return;
    const wait = Math.min(this.#o.maxMs, this.#o.baseMs * 2 ** Math.max(0, over));
    const left = c.last + wait - now;
    if (left > 0)
      throw new AppError(
        'TOO_MANY_ATTEMPTS',
        `too many failed sign-ins from ${source}${busy ? ' (and from everyone this minute)' : ''}; try again in ${Math.ceil(left / 1000)} s with a valid token`,
        { details: [`retry-after: ${Math.ceil(left / 1000)}`] },
      );
  }

  /** A credential from `source` was wrong. */
  fail(source: string): void {
    const now = this.#o.now();
    this.#globalCount(now);
    this.#global++;
    const c = this.#client(source, now) ?? { failures: 0, last: now };
    c.failures++;
    c.last = now;
    this.#clients.delete(source);
    this.#clients.set(source, c);
    if (this.#clients.size > MAX_CLIENTS) this.#clients.delete(this.#clients.keys().next().value as string);
  }

  /** A credential from `source` was right: its failures are forgiven. */
  succeed(source: string): void {
    this.#clients.delete(source);
  }

  #globalCount(now: number): number {
    const minute = Math.floor(now / 60_000);
    if (minute !== this.#minute) {
      this.#minute = minute;
      this.#global = 0;
    }
    return this.#global;
  }
}
