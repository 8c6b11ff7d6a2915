/**
 * What gets queued: a deployment event becomes one delivery per subscription that wants it. The
 * id is derived from (subscription, deployment, event), so queuing twice — the hook and the sweep
 * after a crash — leaves one delivery. Payloads carry versions, names and reasons, never secrets.
 */
import { createHash } from 'node:crypto';
import type {
  DashboardConfig,
  NotificationEvent,
  NotificationSubscription,
} from '../config/notifications.ts';
import type { Deployment } from '../domain/types.ts';
import { storedStateOrUndefined } from '../engine/stored-state.ts';
import type { Store } from '../store/contract.ts';
import { issueApproveLink } from './approve-link.ts';
import type { NewDelivery } from './contract.ts';

/** What a payload may add for one event: the approve link and what approval needs. */
export interface PayloadExtra {
  readonly approveUrl?: string;
  readonly approveUrlExpires?: string;
  readonly approval?: { readonly required: number; readonly role: string };
}

/** Reasons can be long (a failing command's output): clipped so a payload stays small. */
const REASON_MAX = 4000;
const clip = (s: string | null | undefined) =>
  s && s.length > REASON_MAX
    ? `${s.slice(0, REASON_MAX)}… (${s.length - REASON_MAX} more characters)`
    : (s ?? null);

const EVENT_OF: Readonly<Record<string, NotificationEvent>> = {
  running: 'deployment.started',
  succeeded: 'deployment.succeeded',
  rolled_back: 'deployment.rolled_back',
  failed: 'deployment.failed',
};

/** The event a deployment's status announces, if any (aborted, paused… announce none). */
export function eventOfStatus(status: string): NotificationEvent | undefined {
  return EVENT_OF[status];
}

export function deliveryId(subscription: string, deploymentId: string, event: string): string {
  return `msg_${createHash('sha256').update(`${subscription}\0${deploymentId}\0${event}`).digest('hex').slice(0, 32)}`;
}

/** The Standard Webhooks payload shape: `{ type, timestamp, data }`. */
export function deploymentPayload(
  event: NotificationEvent,
  d: Deployment,
  at: string,
  extra: PayloadExtra = {},
): string {
  const state = storedStateOrUndefined(d);
  const rollback = state?.rollback;
  return JSON.stringify({
    type: event,
    timestamp: at,
    data: {
      app: d.app,
      env: d.env,
      deployment: d.id,
      release: state?.ctx.release.version ?? d.releaseId,
      previousRelease: state?.ctx.stable?.version ?? null,
      strategy: d.strategy,
      status: d.status,
      reason: clip(d.reason ?? state?.engine.outcome?.reason),
      startedBy: d.createdBy,
      startedAt: d.createdAt,
      finishedAt: d.finishedAt,
      ...(rollback && { rollback: { kind: rollback.kind, reason: clip(rollback.reason) } }),
      ...extra,
    },
  });
}

export const wants = (s: NotificationSubscription, event: NotificationEvent, env: string): boolean =>
  s.events.includes(event) && (!s.environments || s.environments.includes(env));

export function deliveriesFor(
  subscriptions: readonly NotificationSubscription[],
  event: NotificationEvent,
  d: Deployment,
  at: string,
  extra: PayloadExtra = {},
): NewDelivery[] {
  const payload = deploymentPayload(event, d, at, extra);
  return subscriptions
    .filter((s) => wants(s, event, d.env))
    .map((s) => ({
      id: deliveryId(s.name, d.id, event),
      subscription: s.name,
      event,
      app: d.app,
      env: d.env,
      deploymentId: d.id,
      payload,
    }));
}

/** Queue the event `d`'s status announces, for every subscription that wants it. */
export async function enqueueDeployment(
  store: Store,
  subscriptions: readonly NotificationSubscription[] | undefined,
  d: Deployment,
  event: NotificationEvent | undefined = eventOfStatus(d.status),
  extra: PayloadExtra = {},
): Promise<number> {
  if (!subscriptions?.length || !event) return 0;
  return store.notifications.enqueue(deliveriesFor(subscriptions, event, d, new Date().toISOString(), extra));
}

/**
 * Queue "waiting for approval" with what approving needs; with `dashboard:` set, a signed,
 * single-use approve link (issued only when some subscription wants the event).
 */
export async function enqueueWaitingApproval(
  store: Store,
  subscriptions: readonly NotificationSubscription[] | undefined,
  d: Deployment,
  approval: { readonly required: number; readonly role: string } | undefined,
  dashboard: DashboardConfig | undefined,
): Promise<number> {
  const event = 'deployment.waiting_approval';
  if (!subscriptions?.some((s) => wants(s, event, d.env))) return 0;
  const link = dashboard
    ? await issueApproveLink(store.approveLinks, dashboard.url, d.id, dashboard.approveLinkTtl)
    : undefined;
  return enqueueDeployment(store, subscriptions, d, event, {
    ...(approval && { approval: { required: approval.required, role: approval.role } }),
    ...(link && { approveUrl: link.url, approveUrlExpires: link.expiresAt }),
  });
}

/**
 * Queue what the recent deployments should have announced (started, and how each ended). Closes
 * the gap of a process killed between recording a deployment and queuing its event; ids make it a
 * no-op for what is already queued.
 */
export async function sweepRecent(
  store: Store,
  app: string,
  subscriptions: readonly NotificationSubscription[] | undefined,
  limit = 200,
): Promise<number> {
  if (!subscriptions?.length) return 0;
  let queued = 0;
  for (const d of await store.listDeployments({ app, limit })) {
    queued += await enqueueDeployment(store, subscriptions, d, 'deployment.started');
    const end = eventOfStatus(d.status);
    if (end && end !== 'deployment.started') queued += await enqueueDeployment(store, subscriptions, d, end);
  }
  return queued;
}
