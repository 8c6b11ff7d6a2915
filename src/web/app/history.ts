/** Deployment history with filters: environment, result, who. */
import { api } from './api.ts';
import { h } from './dom.ts';
import type { Deployment } from './types.ts';
import { STATUS_WORDS } from './words.ts';

const shortDate = (iso: string) =>
  new Date(iso).toLocaleString([], { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });

export async function historyView(envs: string[], query: URLSearchParams): Promise<HTMLElement> {
  const params = new URLSearchParams();
  for (const k of ['env', 'status', 'by']) {
    const v = query.get(k);
    if (v) params.set(k, v);
  }
  params.set('limit', '100');
  const { deployments } = await api<{ deployments: Deployment[] }>('GET', `/api/deployments?${params}`);
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
          ['When', 'Where', 'Release', 'Result', 'Who'].map((t) => h('th', { scope: 'col' }, t)),
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
            h('td', {}, d.releaseId.slice(0, 12)),
            h('td', {}, STATUS_WORDS[d.status] ?? d.status),
            h('td', {}, d.createdBy),
          ),
        ),
      ),
    ),
    deployments.length === 0 && h('p', {}, 'No deployments match.'),
  );
}
