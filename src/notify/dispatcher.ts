/**
 * Delivers queued notifications: claims due ones under a lease, sends each through its Notifier,
 * and records the outcome — delivered, retried later (exponential backoff with jitter), or dead
 * after the subscription's `attempts`. Runs beside deployments and never blocks one: deployments
 * only queue.
 */
import { randomBytes } from 'node:crypto';
import type { NotificationSubscription } from '../config/notifications.ts';
import type { Store } from '../store/contract.ts';
import { backoffMs } from './backoff.ts';
import { type Delivery, type FailedDelivery, type Notifier, PermanentDeliveryError } from './contract.ts';

/** A failed delivery and what its log line says. */
interface Failed extends FailedDelivery {
  readonly log: Record<string, unknown>;
}

export interface DispatcherOptions {
  readonly store: Store;
  readonly notifier: Notifier;
  readonly subscriptions: readonly NotificationSubscription[];
  /** First retry delay; default 1 s, doubling per try up to `maxBackoffMs` (default 10 min). */
  readonly backoffMs?: number;
  readonly maxBackoffMs?: number;
  /** How long a claim holds a delivery; a process killed mid-delivery frees it after this. Default 30 s. */
  readonly leaseMs?: number;
  /** Deliveries claimed per batch; default 8. */
  readonly batch?: number;
  /**
   * Batches in flight at once; default 2. A batch waits for its slowest receiver and then for its
   * commit; a second one keeps sending meanwhile. Claims never share a delivery (see `claim`).
   */
  readonly lanes?: number;
  /** How often to look for due deliveries when idle; default 500 ms. */
  readonly pollMs?: number;
  readonly random?: () => number;
  /** Queue what recent deployments should have announced (outbox.ts sweepRecent); run at start and every `sweepMs` (default 60 s). */
  readonly sweep?: () => Promise<number>;
  readonly sweepMs?: number;
  /** Find events that are not a deployment's (events.ts watchEvents); run every `watchMs` (default 5 s). */
  readonly watch?: () => Promise<number>;
  readonly watchMs?: number;
  readonly log?: (line: string, fields?: Record<string, unknown>) => void;
  /** After a delivery is accepted (the checklist's "stakeholders notified"); a failure here is only logged. */
  readonly onDelivered?: (d: Delivery) => Promise<void>;
}

export interface TickResult {
  readonly delivered: number;
  readonly retried: number;
  readonly dead: number;
}

export class Dispatcher {
  readonly #o: DispatcherOptions;
  readonly #owner = `dispatch-${process.pid}-${randomBytes(4).toString('hex')}`;
  readonly #timers: (NodeJS.Timeout | undefined)[] = [];
  readonly #running: Promise<void>[] = [];
  #stopped = false;
  #sweptAt = 0;
  #watchedAt = 0;

  constructor(options: DispatcherOptions) {
    this.#o = options;
  }

  /**
   * Claim and send one batch of due deliveries, then record every outcome in one transaction (a
   * process killed before that commit sends the batch again once the lease runs out: at least once).
   */
  async tick(): Promise<TickResult> {
    const { store } = this.#o;
    const claimed = await store.notifications.claim(
      this.#owner,
      this.#o.batch ?? 8,
      this.#o.leaseMs ?? 30_000,
    );
    const outcomes = await Promise.all(claimed.map((d) => this.#deliver(d)));
    const accepted = claimed.filter((_, i) => outcomes[i] === undefined);
    const failed = outcomes.filter((o): o is Failed => o !== undefined);
    await store.notifications.settle({ delivered: accepted.map((d) => d.id), failed });
    for (const f of failed) this.#o.log?.(f.retryAt ? 'notification retry' : 'notification dead', f.log);
    for (const d of accepted) {
      this.#o.log?.('notification delivered', { id: d.id, subscription: d.subscription, event: d.event });
      await this.#o
        .onDelivered?.(d)
        .catch((error: Error) =>
          this.#o.log?.('notification delivered; recording it failed', { id: d.id, error: error.message }),
        );
    }
    return {
      delivered: accepted.length,
      retried: failed.filter((f) => f.retryAt !== null).length,
      dead: failed.filter((f) => f.retryAt === null).length,
    };
  }

  /** Sends one delivery: undefined when accepted, else what to record. */
  async #deliver(d: Delivery): Promise<Failed | undefined> {
    const { notifier } = this.#o;
    const sub = this.#o.subscriptions.find((s) => s.name === d.subscription);
    if (!sub) {
      const error = `subscription "${d.subscription}" is no longer in slipway.yaml (notifications)`;
      return { id: d.id, error, retryAt: null, log: { id: d.id, subscription: d.subscription, error } };
    }
    try {
      await notifier.send(d, sub);
      return undefined;
    } catch (error) {
      const message = (error as Error).message;
      const last = d.attempts >= sub.attempts || error instanceof PermanentDeliveryError;
      const retryAt = last
        ? null
        : new Date(
            Date.now() +
              backoffMs(
                d.attempts,
                this.#o.backoffMs ?? 1000,
                this.#o.maxBackoffMs ?? 600_000,
                this.#o.random,
              ),
          ).toISOString();
      return {
        id: d.id,
        error: message,
        retryAt,
        log: {
          id: d.id,
          subscription: d.subscription,
          attempts: d.attempts,
          error: message,
          ...(retryAt && { retryAt }),
        },
      };
    }
  }

  /** Run the sweep once (a no-op without one). */
  async sweepNow(): Promise<number> {
    this.#sweptAt = Date.now();
    this.#watchedAt = Date.now();
    return ((await this.#o.sweep?.()) ?? 0) + ((await this.#o.watch?.()) ?? 0);
  }

  /** Deliver in the background until `stop()` (`lanes` loops); a failing store is logged and tried again. */
  start(): void {
    const loop = async (lane: number) => {
      if (this.#stopped) return;
      let busy = false;
      try {
        // Sweeps and watches are the first lane's: the others only deliver.
        if (lane === 0 && Date.now() - this.#sweptAt >= (this.#o.sweepMs ?? 60_000)) await this.sweepNow();
        if (lane === 0 && this.#o.watch && Date.now() - this.#watchedAt >= (this.#o.watchMs ?? 5000)) {
          this.#watchedAt = Date.now();
          await this.#o.watch();
        }
        const r = await this.tick();
        busy = r.delivered + r.retried + r.dead > 0;
      } catch (error) {
        this.#o.log?.('notification queue unavailable', { error: (error as Error).message });
      }
      if (!this.#stopped)
        this.#timers[lane] = setTimeout(
          () => (this.#running[lane] = loop(lane)),
          busy ? 0 : (this.#o.pollMs ?? 500),
        );
    };
    const lanes = Math.max(1, this.#o.lanes ?? 2);
    for (let lane = 0; lane < lanes; lane++) this.#running[lane] = loop(lane);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    for (const t of this.#timers) clearTimeout(t);
    await Promise.all(this.#running);
  }
}
