/**
 * Notifications: events about deployments, queued in the store and delivered by a Notifier. The
 * queue is at-least-once: a delivery is claimed under a lease, and a claim whose process died is
 * taken again when the lease runs out; receivers dedupe by the delivery id (Standard Webhooks
 * `webhook-id`).
 */
import type { NotificationEvent, NotificationSubscription } from '../config/notifications.ts';

export const DELIVERY_STATUSES = ['pending', 'delivered', 'dead'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/** One event for one subscription. `payload` never holds a secret: it is stored as queued. */
export interface NewDelivery {
  /** Stable for (subscription, deployment, event): queuing the same one twice is a no-op. */
  readonly id: string;
  readonly subscription: string;
  readonly event: NotificationEvent;
  readonly app: string;
  readonly env: string;
  readonly deploymentId: string | null;
  /** The exact JSON text that is sent (and signed). */
  readonly payload: string;
}

export interface Delivery extends NewDelivery {
  readonly status: DeliveryStatus;
  /** Tries so far (a claim counts as one, also when its process died mid-delivery). */
  readonly attempts: number;
  readonly nextAttemptAt: string;
  readonly lastError: string | null;
  readonly createdAt: string;
  readonly deliveredAt: string | null;
}

/** A delivery that failed: tried again at `retryAt`, or (null) dead. */
export interface FailedDelivery {
  readonly id: string;
  readonly error: string;
  readonly retryAt: string | null;
}

export interface NotificationQueue {
  /** Queue deliveries; ids already queued are skipped. Returns how many were new. */
  enqueue(rows: readonly NewDelivery[]): Promise<number>;
  /**
   * Claim up to `limit` pending deliveries that are due and not leased by a live claim, for
   * `leaseMs`, counting an attempt on each. Two processes never hold the same delivery at once.
   */
  claim(owner: string, limit: number, leaseMs: number): Promise<readonly Delivery[]>;
  /** The receivers accepted these (one statement for a batch). */
  markDelivered(ids: string | readonly string[]): Promise<void>;
  /** It failed: try again at `retryAt`, or (null) move it to the dead-letter list. */
  markFailed(id: string, error: string, retryAt: string | null): Promise<void>;
  /**
   * A batch's outcomes in one transaction: `markDelivered` of the delivered, `markFailed` of each
   * failure. One commit (one disk flush) per batch instead of one per failed delivery.
   */
  settle(outcomes: {
    readonly delivered: readonly string[];
    readonly failed: readonly FailedDelivery[];
  }): Promise<void>;
  /** Newest first. */
  list(filter: { readonly status?: DeliveryStatus; readonly limit?: number }): Promise<readonly Delivery[]>;
  counts(): Promise<Record<DeliveryStatus, number>>;
}

/** A secret named in slipway.yaml (`{ env, key }`), read from the secret store at delivery. */
export type SecretReader = (ref: {
  readonly env: string;
  readonly key: string;
}) => Promise<string | undefined>;

/**
 * A way to deliver one notification: a signed webhook, a Slack-compatible incoming webhook, an
 * email. `send` throws on any failure (the dispatcher retries); it resolves once the receiver
 * accepted the delivery. Every notifier passes `contract.case.test.ts`.
 *
 * @example
 * const notifier = createNotifier({ secret: (ref) => secrets.get(ref.env, ref.key) });
 * await notifier.send(delivery, subscription);
 */
export interface Notifier {
  readonly name: string;
  send(delivery: Delivery, subscription: NotificationSubscription): Promise<void>;
}

/**
 * A failure that no retry can fix (the receiver refused the message as too large): the
 * dispatcher moves the delivery to the dead-letter list at once, with this message.
 */
export class PermanentDeliveryError extends Error {
  override readonly name = 'PermanentDeliveryError';
}

/** Timeouts for a notifier's network calls. */
export interface NotifierTimeouts {
  /** A receiver that answers slower than this failed; default 10 s. */
  readonly timeoutMs?: number;
}
