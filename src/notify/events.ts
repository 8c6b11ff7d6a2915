/**
 * Events that are not a deployment's status: a migration run (queued when the deployment's
 * migrate step ends), a flag killed and a freeze starting (both found by `watchEvents`, which the
 * dispatcher runs every few seconds: a kill by the CLI, the API or an automatic rollback is a
 * stored flag version, a freeze is a date in slipway.yaml). Ids are stable per event, so finding
 * one again queues nothing.
 */
import { createHash } from 'node:crypto';
import { DateTime } from 'luxon';
import type { NotificationEvent, NotificationSubscription } from '../config/notifications.ts';
import type { SlipwayConfig } from '../config/schema.ts';
import { windowPolicy } from '../gates/windows.ts';
import type { Store } from '../store/contract.ts';
import type { NewDelivery } from './contract.ts';
import { wants } from './outbox.ts';

/** Queue `event` (about `key`, unique per occurrence) for every subscription that wants it. */
export async function enqueueEvent(
  store: Store,
  subscriptions: readonly NotificationSubscription[] | undefined,
  event: NotificationEvent,
  what: {
    app: string;
    env: string;
    key: string;
    deploymentId?: string | null;
    data: Record<string, unknown>;
  },
  at = new Date(),
): Promise<number> {
  const subs = (subscriptions ?? []).filter((s) => wants(s, event, what.env));
  if (subs.length === 0) return 0;
  const payload = JSON.stringify({
    type: event,
    timestamp: at.toISOString(),
    data: { app: what.app, env: what.env, ...what.data },
  });
  const rows: NewDelivery[] = subs.map((s) => ({
    id: `msg_${createHash('sha256').update(`${s.name}\0${event}\0${what.key}`).digest('hex').slice(0, 32)}`,
    subscription: s.name,
    event,
    app: what.app,
    env: what.env,
    deploymentId: what.deploymentId ?? null,
    payload,
  }));
  return store.notifications.enqueue(rows);
}

/** How long before a freeze starts it is announced. */
export const FREEZE_NOTICE_MS = 24 * 3_600_000;
/** A kill older than this when first seen (a dispatcher that was down for long) is not announced. */
export const KILL_RECENT_MS = 15 * 60_000;

/** Find kills and coming freezes and queue them; returns how many deliveries were new. */
export async function watchEvents(
  store: Store,
  config: Pick<SlipwayConfig, 'app' | 'environments' | 'notifications'>,
  now = Date.now(),
): Promise<number> {
  const subs = config.notifications ?? [];
  const wanted = (event: NotificationEvent) => subs.some((s) => s.events.includes(event));
  let queued = 0;
  for (const [env, envConfig] of Object.entries(config.environments)) {
    if (wanted('flag.killed'))
      for (const f of await store.flags.listFlags(config.app, env)) {
        if (f.action !== 'kill' || now - Date.parse(f.at) > KILL_RECENT_MS) continue;
        queued += await enqueueEvent(store, subs, 'flag.killed', {
          app: config.app,
          env,
          key: `${env}/${f.key}@${f.version}`,
          data: { flag: f.key, version: f.version, by: f.by, reason: f.reason, at: f.at },
        });
      }
    const policy = wanted('freeze.starting') ? windowPolicy(envConfig.windows) : null;
    for (const range of policy?.freeze ?? []) {
      const start = DateTime.fromISO(range.from, { zone: policy?.zone ?? 'UTC' });
      const ms = start.toMillis();
      if (ms <= now || ms - now > FREEZE_NOTICE_MS) continue;
      const end = DateTime.fromISO(range.to, { zone: policy?.zone ?? 'UTC' }).plus({ days: 1 });
      queued += await enqueueEvent(store, subs, 'freeze.starting', {
        app: config.app,
        env,
        key: `${env}/${range.from}/${range.to}`,
        data: { startsAt: start.toISO(), endsAt: end.toISO(), zone: policy?.zone ?? 'UTC' },
      });
    }
  }
  return queued;
}
