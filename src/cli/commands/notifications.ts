/**
 * `slipway notifications list` (the queue, its dead-letter list) and `slipway notifications
 * deliver` (send what is due: once, or `--watch` as a long-running sender; the server runs the
 * same dispatcher by itself).
 */
import type { Command } from 'commander';
import type { SlipwayConfig } from '../../config/schema.ts';
import { AppError } from '../../domain/errors.ts';
import { DELIVERY_STATUSES, type DeliveryStatus } from '../../notify/contract.ts';
import { Dispatcher } from '../../notify/dispatcher.ts';
import { watchEvents } from '../../notify/events.ts';
import { createNotifier } from '../../notify/notifiers.ts';
import { sweepRecent } from '../../notify/outbox.ts';
import { tickStakeholdersNotified } from '../../notify/stakeholders.ts';
import type { SecretStore } from '../../secrets/contract.ts';
import type { Store } from '../../store/contract.ts';
import { duration, integer, limit } from '../args.ts';
import type { Act, Context } from '../context.ts';
import { table } from '../io.ts';

/** The dispatcher for a project: its subscriptions, signing secrets from its secret store. */
export function projectDispatcher(
  config: SlipwayConfig,
  store: Store,
  secrets: () => SecretStore,
  options: {
    backoffMs?: number;
    leaseMs?: number;
    batch?: number;
    log?: (line: string, fields?: Record<string, unknown>) => void;
  } = {},
): Dispatcher {
  const subscriptions = config.notifications ?? [];
  return new Dispatcher({
    store,
    subscriptions,
    notifier: createNotifier({ secret: (ref) => secrets().get(ref.env, ref.key) }),
    sweep: () => sweepRecent(store, config.app, subscriptions),
    watch: () => watchEvents(store, config),
    onDelivered: async (d) => {
      await tickStakeholdersNotified(store, config, d);
    },
    ...(options.backoffMs !== undefined && { backoffMs: options.backoffMs }),
    ...(options.leaseMs !== undefined && { leaseMs: options.leaseMs }),
    ...(options.batch !== undefined && { batch: options.batch }),
    ...(options.log && { log: options.log }),
  });
}

export function registerNotifications(program: Command, ctx: () => Context, act: Act): void {
  const n = program
    .command('notifications')
    .description('The notification queue: what was sent, what waits, what gave up.');
  n.command('list')
    .description(
      'Deliveries, newest first, with tries and the last error; --dead shows the dead-letter list.',
    )
    .option('--dead', 'only deliveries that gave up after their last try')
    .option('--status <status>', `only this status (${DELIVERY_STATUSES.join(', ')})`)
    .option('--limit <n>', 'how many, 1 to 1000', limit(), 50)
    .action(
      act(async (opts: { dead?: boolean; status?: string; limit: number }) => {
        const c = ctx();
        c.config();
        const status = opts.dead ? 'dead' : opts.status;
        if (status !== undefined && !DELIVERY_STATUSES.includes(status as DeliveryStatus))
          throw new AppError(
            'USAGE',
            `--status: expected one of ${DELIVERY_STATUSES.join(', ')}, found ${JSON.stringify(status)}`,
          );
        const store = await c.store();
        const rows = await store.notifications.list({
          limit: opts.limit,
          ...(status && { status: status as DeliveryStatus }),
        });
        if (c.io.json) {
          c.io.data({ counts: await store.notifications.counts(), deliveries: rows });
          return 0;
        }
        const counts = await store.notifications.counts();
        c.io.out(`${counts.pending} pending, ${counts.delivered} delivered, ${counts.dead} dead`);
        if (rows.length === 0) return 0;
        c.io.out(
          table([
            ['ID', 'SUBSCRIPTION', 'EVENT', 'ENV', 'DEPLOYMENT', 'STATUS', 'TRIES', 'QUEUED', 'LAST ERROR'],
            ...rows.map((d) => [
              d.id,
              d.subscription,
              d.event,
              d.env,
              d.deploymentId ?? '',
              d.status,
              String(d.attempts),
              d.createdAt.slice(0, 19).replace('T', ' '),
              (d.status === 'delivered' ? '' : (d.lastError ?? '')).slice(0, 80),
            ]),
          ]),
        );
        return 0;
      }),
    );
  n.command('deliver')
    .description('Send the deliveries that are due (the server does this by itself); --watch keeps sending.')
    .option('--watch', 'keep delivering until stopped (SIGINT/SIGTERM)')
    .option(
      '--backoff <duration>',
      'first retry delay, doubled per try up to 10m',
      duration('--backoff'),
      1000,
    )
    .option(
      '--lease <duration>',
      'how long a delivery in progress is held before another sender may retry it',
      duration('--lease'),
      30_000,
    )
    .option(
      '--batch <n>',
      'deliveries claimed per batch (two batches in flight), 1 to 256',
      integer('--batch', 1, 256),
      8,
    )
    .action(
      act(async (opts: { watch?: boolean; backoff: number; lease: number; batch: number }) => {
        const c = ctx();
        const { config } = c.config();
        if (!config.notifications?.length)
          throw new AppError(
            'USAGE',
            'slipway.yaml has no notifications: to deliver; add a subscription first',
          );
        const store = await c.store();
        const log = (line: string, fields?: Record<string, unknown>) =>
          c.io.out(c.redact(`${line}${fields ? ` ${JSON.stringify(fields)}` : ''}`));
        const dispatcher = projectDispatcher(config, store, () => c.secrets(), {
          backoffMs: opts.backoff,
          leaseMs: opts.lease,
          batch: opts.batch,
          log,
        });
        if (!opts.watch) {
          await dispatcher.sweepNow();
          let total = { delivered: 0, retried: 0, dead: 0 };
          for (;;) {
            const r = await dispatcher.tick();
            total = {
              delivered: total.delivered + r.delivered,
              retried: total.retried + r.retried,
              dead: total.dead + r.dead,
            };
            if (r.delivered + r.retried + r.dead === 0) break;
          }
          const left = (await store.notifications.counts()).pending;
          c.io.out(`${total.delivered} delivered, ${total.dead} dead, ${left} pending`);
          return 0;
        }
        dispatcher.start();
        log('delivering notifications; stop with Ctrl-C');
        await new Promise<void>((resolve) => {
          process.once('SIGINT', resolve);
          process.once('SIGTERM', resolve);
        });
        await dispatcher.stop();
        return 0;
      }),
    );
}
