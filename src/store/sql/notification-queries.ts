/** The notification queue over SQL (NotificationQueue of src/notify/contract.ts), one table for both backends. */
import { type ExpressionBuilder, type Kysely, type Selectable, sql } from 'kysely';
import type { NotificationEvent } from '../../config/notifications.ts';
import {
  DELIVERY_STATUSES,
  type Delivery,
  type DeliveryStatus,
  type FailedDelivery,
  type NewDelivery,
  type NotificationQueue,
} from '../../notify/contract.ts';
import type { Tables } from './tables.ts';

type Db = Kysely<Tables>;
type Row = Selectable<Tables['notification_deliveries']>;

const toDelivery = (r: Row): Delivery => ({
  id: r.id,
  subscription: r.subscription,
  event: r.event as NotificationEvent,
  app: r.app,
  env: r.env,
  deploymentId: r.deployment_id,
  payload: r.payload,
  status: r.status as DeliveryStatus,
  attempts: Number(r.attempts),
  nextAttemptAt: r.next_attempt_at,
  lastError: r.last_error,
  createdAt: r.created_at,
  deliveredAt: r.delivered_at,
});

export class SqlNotificationQueue implements NotificationQueue {
  readonly #db: Db;
  readonly #now: () => Date;
  readonly #postgres: boolean;

  constructor(db: Db, now: () => Date, dialect: 'sqlite' | 'postgres') {
    this.#db = db;
    this.#now = now;
    this.#postgres = dialect === 'postgres';
  }

  async enqueue(rows: readonly NewDelivery[]): Promise<number> {
    // 14 values a row: chunks stay under SQLite's 32,766 bound variables (and PostgreSQL's 65,535).
    let n = 0;
    for (let i = 0; i < rows.length; i += 1000) n += await this.#enqueue(rows.slice(i, i + 1000));
    return n;
  }

  async #enqueue(rows: readonly NewDelivery[]): Promise<number> {
    if (rows.length === 0) return 0;
    const at = this.#now().toISOString();
    const result = await this.#db
      .insertInto('notification_deliveries')
      .values(
        rows.map((r) => ({
          id: r.id,
          subscription: r.subscription,
          event: r.event,
          app: r.app,
          env: r.env,
          deployment_id: r.deploymentId,
          payload: r.payload,
          status: 'pending',
          attempts: 0,
          next_attempt_at: at,
          lease_owner: null,
          lease_until: null,
          last_error: null,
          created_at: at,
          delivered_at: null,
        })),
      )
      .onConflict((oc) => oc.column('id').doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0);
  }

  async claim(owner: string, limit: number, leaseMs: number): Promise<readonly Delivery[]> {
    const now = this.#now();
    const at = now.toISOString();
    const until = new Date(now.getTime() + leaseMs).toISOString();
    const free = (eb: ExpressionBuilder<Tables, 'notification_deliveries'>) =>
      eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', at)]);
    // One statement: the due ids, then only those still free (re-checked per row under its lock on
    // PostgreSQL, under the write lock on SQLite), so two claimers never share a delivery.
    // RETURNING gives the claimed rows at once: reading them back by owner would scan every
    // pending row (no index on the lease), once per batch.
    const rows = await this.#db
      .updateTable('notification_deliveries')
      .set({ lease_owner: owner, lease_until: until, attempts: sql`attempts + 1` })
      .where('id', 'in', (qb) => {
        const due = qb
          .selectFrom('notification_deliveries')
          .select('id')
          .where('status', '=', 'pending')
          .where('next_attempt_at', '<=', at)
          .where(free)
          .orderBy('next_attempt_at')
          .limit(limit);
        // PostgreSQL: rows another claimer is taking are passed over, not waited for (and then lost
        // to the re-check), so concurrent claimers share the due work. SQLite has one writer.
        return this.#postgres ? due.forUpdate().skipLocked() : due;
      })
      // The re-check is not written `status = 'pending'`: SQLite would then walk every pending row
      // through the status index testing each against the ids, instead of seeking the ids (a
      // claim cost O(queue): 90 ms of CPU with 200,000 queued, bench/notify-fanout.ts).
      .where(sql<string>`status || ''`, '=', 'pending')
      .where(free)
      .returningAll()
      .execute();
    return rows.map(toDelivery).sort((a, b) => a.nextAttemptAt.localeCompare(b.nextAttemptAt));
  }

  async markDelivered(ids: string | readonly string[]): Promise<void> {
    await markDelivered(this.#db, typeof ids === 'string' ? [ids] : ids, this.#now());
  }

  async markFailed(id: string, error: string, retryAt: string | null): Promise<void> {
    await markFailed(this.#db, { id, error, retryAt });
  }

  async settle(outcomes: { delivered: readonly string[]; failed: readonly FailedDelivery[] }): Promise<void> {
    const { delivered, failed } = outcomes;
    if (delivered.length + failed.length === 0) return;
    const now = this.#now();
    await this.#db.transaction().execute(async (trx) => {
      await markDelivered(trx, delivered, now);
      for (const f of failed) await markFailed(trx, f);
    });
  }

  async list(filter: { status?: DeliveryStatus; limit?: number }): Promise<readonly Delivery[]> {
    let q = this.#db.selectFrom('notification_deliveries').selectAll();
    if (filter.status) q = q.where('status', '=', filter.status);
    const rows = await q
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(filter.limit ?? 50)
      .execute();
    return rows.map(toDelivery);
  }

  async counts(): Promise<Record<DeliveryStatus, number>> {
    const rows = await this.#db
      .selectFrom('notification_deliveries')
      .select(['status', (eb) => eb.fn.countAll<number>().as('n')])
      .groupBy('status')
      .execute();
    const out = Object.fromEntries(DELIVERY_STATUSES.map((s) => [s, 0])) as Record<DeliveryStatus, number>;
    for (const r of rows) out[r.status as DeliveryStatus] = Number(r.n);
    return out;
  }
}

async function markDelivered(db: Db, ids: readonly string[], now: Date): Promise<void> {
  if (ids.length === 0) return;
  await db
    .updateTable('notification_deliveries')
    .set({ status: 'delivered', delivered_at: now.toISOString(), lease_owner: null, lease_until: null })
    .where('id', 'in', ids)
    .execute();
}

async function markFailed(db: Db, { id, error, retryAt }: FailedDelivery): Promise<void> {
  // Only a pending delivery: one already delivered (by an earlier claim whose lease ran out) stays so.
  await db
    .updateTable('notification_deliveries')
    .set({
      status: retryAt === null ? 'dead' : 'pending',
      ...(retryAt !== null && { next_attempt_at: retryAt }),
      last_error: error.slice(0, 1000),
      lease_owner: null,
      lease_until: null,
    })
    .where('id', '=', id)
    .where('status', '=', 'pending')
    .execute();
}
