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
import { type Delivery, type Notifier, PermanentDeliveryError } from './contract.ts';

export interface DispatcherOptions {
  readonly store: Store;
  readonly notifier: Notifier;
  readonly subscriptions: readonly NotificationSubscription[];
  /** First retry delay; default 1 s, doubling per try up to `maxBackoffMs` (default 10 min). */
  readonly backoffMs?: number;
  readonly maxBackoffMs?: number;
  /** How long a claim holds a delivery; a process killed mid-delivery frees it after this. Default 30 s. */
  readonly leaseMs?: number;
  /** Deliveries sent at once; default 8. */
  readonly batch?: number;
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
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #stopped = false;
  #sweptAt = 0;
  #watchedAt = 0;

  constructor(options: DispatcherOptions) {
    this.#o = options;
  }

  /** Claim and send one batch of due deliveries; the accepted ones are marked in one statement. */
  async tick(): Promise<TickResult> {
    const { store } = this.#o;
    const claimed = await store.notifications.claim(
      this.#owner,
      this.#o.batch ?? 8,
      this.#o.leaseMs ?? 30_000,
    );
    const outcomes = await Promise.all(claimed.map((d) => this.#deliver(d)));
    const accepted = claimed.filter((_, i) => outcomes[i] === 'delivered');
    await store.notifications.markDelivered(accepted.map((d) => d.id));
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
      retried: outcomes.filter((o) => o === 'retried').length,
      dead: outcomes.filter((o) => o === 'dead').length,
    };
  }

  async #deliver(d: Delivery): Promise<'delivered' | 'retried' | 'dead'> {
    const { store, notifier } = this.#o;
    const sub = this.#o.subscriptions.find((s) => s.name === d.subscription);
    if (!sub) {
      await store.notifications.markFailed(
        d.id,
        `subscription "${d.subscription}" is no longer in slipway.yaml (notifications)`,
        null,
      );
      return 'dead';
    }
    try {
      await notifier.send(d, sub);
      return 'delivered';
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
      await store.notifications.markFailed(d.id, message, retryAt);
      this.#o.log?.(last ? 'notification dead' : 'notification retry', {
        id: d.id,
        subscription: d.subscription,
        attempts: d.attempts,
        error: message,
        ...(retryAt && { retryAt }),
      });
      return last ? 'dead' : 'retried';
    }
  }

  /** Run the sweep once (a no-op without one). */
  async sweepNow(): Promise<number> {
    this.#sweptAt = Date.now();
    this.#watchedAt = Date.now();
    return ((await this.#o.sweep?.()) ?? 0) + ((await this.#o.watch?.()) ?? 0);
  }

  /** Deliver in the background until `stop()`; a failing store is logged and tried again. */
  start(): void {
    const loop = async () => {
      if (this.#stopped) return;
      let busy = false;
      try {
        if (Date.now() - this.#sweptAt >= (this.#o.sweepMs ?? 60_000)) await this.sweepNow();
        if (this.#o.watch && Date.now() - this.#watchedAt >= (this.#o.watchMs ?? 5000)) {
          this.#watchedAt = Date.now();
          await this.#o.watch();
        }
        const r = await this.tick();
        busy = r.delivered + r.retried + r.dead > 0;
      } catch (error) {
        this.#o.log?.('notification queue unavailable', { error: (error as Error).message });
      }
      if (!this.#stopped)
        this.#timer = setTimeout(() => (this.#running = loop()), busy ? 0 : (this.#o.pollMs ?? 500));
    };
    this.#running = loop();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    await this.#running;
  }
}
