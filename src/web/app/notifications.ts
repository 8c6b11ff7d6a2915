/**
 * Notifications on the dashboard: the approve link's landing (`#/approve/ID?t=TOKEN`: used once,
 * then the deployment's page, where approving goes through the gates as always) and the
 * dead-letter panel under the environments.
 */
import { api } from './api.ts';
import { dateTimeShort } from './dates.ts';
import { h } from './dom.ts';

interface DeliveryRow {
  id: string;
  subscription: string;
  event: string;
  env: string;
  deploymentId: string | null;
  attempts: number;
  lastError: string | null;
  createdAt: string;
}

/** Use the link, then show the deployment (replacing the link in history, so Back does not reuse it). */
export async function approveLinkView(id: string, token: string): Promise<HTMLElement> {
  try {
    await api('POST', '/api/approve-links/redeem', { deployment: id, token });
    sessionStorage.setItem('slipway.fromApproveLink', id);
    location.replace(`#/deployments/${encodeURIComponent(id)}`);
    return h('p', {}, 'Opening the approval page…');
  } catch (e) {
    return h(
      'section',
      { class: 'card', 'data-panel': 'approve-link' },
      h('h1', {}, 'This approve link cannot be used'),
      h('p', { class: 'error', role: 'alert' }, (e as Error).message),
      h('p', {}, h('a', { href: `#/deployments/${encodeURIComponent(id)}` }, `Open deployment ${id}`)),
    );
  }
}

/** The dead-letter list, newest first; nothing when no delivery gave up. */
export async function deadLetterPanel(): Promise<HTMLElement | null> {
  const { counts, deliveries } = await api<{
    counts: { pending: number; delivered: number; dead: number };
    deliveries: DeliveryRow[];
  }>('GET', '/api/notifications?status=dead&limit=10');
  if (deliveries.length === 0) return null;
  return h(
    'section',
    { class: 'card', 'data-panel': 'dead-letters' },
    h('h2', {}, 'Notifications that gave up'),
    h(
      'p',
      {},
      `${counts.dead} gave up after their last try (${counts.pending} waiting). \`slipway notifications list --dead\` lists them all.`,
    ),
    h(
      'table',
      {},
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ...['Queued', 'To', 'Event', 'Environment', 'Tries', 'Last error'].map((t) => h('th', {}, t)),
        ),
      ),
      h(
        'tbody',
        {},
        ...deliveries.map((d) =>
          h(
            'tr',
            {},
            h('td', {}, dateTimeShort(Date.parse(d.createdAt))),
            h('td', {}, d.subscription),
            h('td', {}, d.event),
            h('td', {}, d.env),
            h('td', {}, String(d.attempts)),
            h('td', {}, d.lastError ?? ''),
          ),
        ),
      ),
    ),
  );
}
