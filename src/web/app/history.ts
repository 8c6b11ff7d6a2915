/** Deployment history with filters: environment, result, who. */
import { api } from './api.ts';
import { historyState, when } from './client-words.ts';
import { dateTimeShort } from './dates.ts';
import { h } from './dom.ts';
import type { Mode } from './mode.ts';
import type { ClientHistoryRow, Deployment } from './types.ts';
import { STATUS_WORDS } from './words.ts';

const shortDate = (iso: string) => dateTimeShort(Date.parse(iso));

/** History as a client reads it: versions, what became of each, who decided; reverts included. */
async function clientHistoryView(envs: string[], query: URLSearchParams): Promise<HTMLElement> {
  const env = query.get('env');
  const q = new URLSearchParams({ limit: '100', ...(env && { env }) });
  const { rows } = await api<{ rows: ClientHistoryRow[] }>('GET', `/api/client/history?${q}`);
  const form = h(
    'form',
    {
      class: 'filters',
      onsubmit: (e: Event) => {
        e.preventDefault();
        const v = new FormData(e.target as HTMLFormElement).get('env');
        location.hash = `#/history${typeof v === 'string' && v ? `?env=${encodeURIComponent(v)}` : ''}`;
      },
    },
    h(
      'label',
      {},
      'Environment ',
      h(
        'select',
        { name: 'env' },
        h('option', { value: '' }, 'all'),
        envs.map((o) => h('option', { value: o, selected: env === o }, o)),
      ),
    ),
    h('button', { type: 'submit' }, 'Show'),
  );
  return h(
    'div',
    {},
    h('h1', {}, 'History'),
    form,
    h(
      'table',
      { class: 'history client', 'data-filter': q.toString() },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ['When', 'Where', 'What', 'Now', 'Decided by'].map((t) => h('th', { scope: 'col' }, t)),
        ),
      ),
      h(
        'tbody',
        {},
        rows.map((r) =>
          h(
            'tr',
            { 'data-state': r.state },
            h('td', {}, h('a', { href: `#/deployments/${r.id}` }, when(r.at))),
            h('td', {}, r.env),
            h('td', {}, r.revert ? `Revert to version ${r.version}` : `Version ${r.version}`),
            h('td', {}, historyState(r)),
            h('td', {}, r.decidedBy ?? '—'),
          ),
        ),
      ),
    ),
    rows.length === 0 && h('p', {}, 'Nothing has happened here yet.'),
  );
}

export async function historyView(
  envs: string[],
  query: URLSearchParams,
  mode: Mode = 'detailed',
): Promise<HTMLElement> {
  if (mode === 'client') return clientHistoryView(envs, query);
  const params = new URLSearchParams();
  for (const k of ['env', 'status', 'by']) {
    const v = query.get(k);
    if (v) params.set(k, v);
  }
  params.set('limit', '100');
  const [{ deployments }, releases] = await Promise.all([
    api<{ deployments: Deployment[] }>('GET', `/api/deployments?${params}`),
    api<{ id: string; version: string }[]>('GET', '/api/releases?limit=500').catch(() => []),
  ]);
  const versions = new Map(releases.map((r) => [r.id, r.version]));
  const select = (name: string, label: string, options: string[], words: Record<string, string> = {}) =>
    h(
      'label',
      {},
      label,
      h(
        'select',
        { name },
        h('option', { value: '' }, 'all'),
        options.map((o) => h('option', { value: o, selected: query.get(name) === o }, words[o] ?? o)),
      ),
    );
  const form = h(
    'form',
    {
      class: 'filters',
      onsubmit: (e: Event) => {
        e.preventDefault();
        const data = new FormData(e.target as HTMLFormElement);
        const q = new URLSearchParams();
        for (const [k, v] of data) if (typeof v === 'string' && v) q.set(k, v);
        location.hash = `#/history?${q}`;
      },
    },
    select('env', 'Environment ', envs),
    select('status', 'Result ', Object.keys(STATUS_WORDS), STATUS_WORDS),
    h(
      'label',
      {},
      'Who ',
      h('input', { name: 'by', value: query.get('by') ?? '', size: 10, autocomplete: 'off' }),
    ),
    h('button', { type: 'submit' }, 'Filter'),
  );
  return h(
    'div',
    {},
    h('h1', {}, 'History'),
    form,
    h(
      'table',
      // The filter it shows, so a reader (or a test) can tell it from the table it replaces.
      { class: 'history', 'data-filter': params.toString() },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ['When', 'Where', 'Version', 'Result', 'Who'].map((t) => h('th', { scope: 'col' }, t)),
        ),
      ),
      h(
        'tbody',
        {},
        deployments.map((d) =>
          h(
            'tr',
            {},
            h('td', {}, h('a', { href: `#/deployments/${d.id}` }, shortDate(d.createdAt))),
            h('td', {}, d.env),
            h('td', {}, versions.get(d.releaseId) ?? d.releaseId.slice(0, 12)),
            h('td', {}, STATUS_WORDS[d.status] ?? d.status),
            h('td', {}, d.createdBy),
          ),
        ),
      ),
    ),
    deployments.length === 0 && h('p', {}, 'No deployments match.'),
  );
}
