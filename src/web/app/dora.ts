/**
 * DORA's four keys for one environment over a period (GET /api/metrics/dora), with charts by week
 * and the failures behind the change failure rate, each linked to its deployment and, for a
 * rolled-back or failed one, its post-mortem draft. Numbers, dates and durations in the reader's
 * locale; the charts have a table beside them for readers who cannot see a canvas.
 */
import { api } from './api.ts';
import { dateTimeShort, weekStart } from './dates.ts';
import { h } from './dom.ts';
import type { DoraReport } from './types.ts';

export const PERIODS = ['14d', '30d', '90d', '180d', '365d'];

const nf = (x: number, digits = 1) => x.toLocaleString(undefined, { maximumFractionDigits: digits });
const percent = (x: number | null) =>
  x === null ? '—' : x.toLocaleString(undefined, { style: 'percent', maximumFractionDigits: 1 });

/** 45 minutes, 5.5 hours, 3 days: the unit's name in the reader's language. */
export function duration(ms: number | null): string {
  if (ms === null) return '—';
  const [value, unit] =
    ms < 3_600_000
      ? [ms / 60_000, 'minute']
      : ms < 48 * 3_600_000
        ? [ms / 3_600_000, 'hour']
        : [ms / 86_400_000, 'day'];
  return value.toLocaleString(undefined, {
    style: 'unit',
    unit,
    unitDisplay: 'long',
    maximumFractionDigits: 1,
  });
}

const HOW: Record<string, string> = {
  rolled_back: 'rolled back',
  failed: 'failed',
  reverted: 'reverted by a rollback',
  fixed: 'followed by a fix',
};

export async function doraView(envs: string[], query: URLSearchParams): Promise<HTMLElement> {
  const env = query.get('env') ?? envs.at(-1) ?? 'production';
  const since = PERIODS.includes(query.get('since') ?? '') ? (query.get('since') as string) : '90d';
  const r = await api<DoraReport>('GET', `/api/metrics/dora?${new URLSearchParams({ env, since })}`);
  const form = h(
    'form',
    {
      class: 'filters',
      onsubmit: (e: Event) => {
        e.preventDefault();
        const data = new FormData(e.target as HTMLFormElement);
        location.hash = `#/dora?${new URLSearchParams({ env: String(data.get('env')), since: String(data.get('since')) })}`;
      },
    },
    h(
      'label',
      {},
      'Environment ',
      h(
        'select',
        { name: 'env' },
        envs.map((o) => h('option', { value: o, selected: env === o }, o)),
      ),
    ),
    h(
      'label',
      {},
      'Period ',
      h(
        'select',
        { name: 'since' },
        PERIODS.map((p) => h('option', { value: p, selected: since === p }, `${parseInt(p, 10)} days`)),
      ),
    ),
    h('button', { type: 'submit' }, 'Show'),
  );
  const key = (name: string, value: string, from: string, id: string) =>
    h(
      'div',
      { class: 'key', 'data-key': id },
      h('dt', {}, name),
      h('dd', {}, h('strong', {}, value), h('small', {}, from)),
    );
  const keys = h(
    'dl',
    { class: 'keys' },
    key(
      'Deployment frequency',
      `${nf(r.perWeek)} / week`,
      `${nf(r.deployments, 0)} succeeded changes in ${nf(r.days)} days`,
      'frequency',
    ),
    key(
      'Lead time for changes (median)',
      duration(r.leadTime.medianMs),
      `p90 ${duration(r.leadTime.p90Ms)}, from release registration to live`,
      'lead',
    ),
    key(
      'Change failure rate',
      percent(r.changeFailure.rate),
      `${nf(r.changeFailure.failed, 0)} of ${nf(r.changeFailure.changes, 0)} changes${
        r.fixWithinMs ? `; a fix within ${duration(r.fixWithinMs)} counts` : ''
      }`,
      'failure',
    ),
    key(
      'Recovery time (median)',
      duration(r.recovery.medianMs),
      `${nf(r.recovery.recovered, 0)} recovered, ${nf(r.recovery.open, 0)} open`,
      'recovery',
    ),
  );
  const charts = h('div', { class: 'charts' });
  if (r.weeks.length > 0) {
    // uPlot comes with this page, not with the overview.
    const { weekBars } = await import('./dora-chart.ts');
    charts.append(weekBars(r.weeks, Math.max(260, Math.min(720, window.innerWidth - 48))));
  }
  const weeks = h(
    'table',
    { class: 'weeks' },
    h('caption', {}, 'By week (weeks start on Monday, UTC)'),
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        ['Week of', 'Succeeded changes', 'Failed changes'].map((t) => h('th', { scope: 'col' }, t)),
      ),
    ),
    h(
      'tbody',
      {},
      r.weeks.map((w) =>
        h(
          'tr',
          { 'data-week': w.week },
          h('td', {}, weekStart(w.week)),
          h('td', {}, nf(w.deployments, 0)),
          h('td', {}, nf(w.failed, 0)),
        ),
      ),
    ),
  );
  const failures = h(
    'ul',
    { class: 'failures' },
    r.failures
      .slice(-50)
      .reverse()
      .map((f) =>
        h(
          'li',
          { 'data-how': f.how },
          h('a', { href: `#/deployments/${encodeURIComponent(f.deploymentId)}` }, f.deploymentId),
          ` ${HOW[f.how] ?? f.how} at ${dateTimeShort(Date.parse(f.startedAt))}; `,
          f.recoveredAt === null ? h('strong', {}, 'still open') : `recovered in ${duration(f.recoveryMs)}`,
          (f.how === 'rolled_back' || f.how === 'failed') && [
            ' · ',
            h(
              'a',
              { href: `#/deployments/${encodeURIComponent(f.deploymentId)}/postmortem` },
              'post-mortem draft',
            ),
          ],
        ),
      ),
  );
  return h(
    'div',
    { class: 'dora', 'data-env': env, 'data-since': since },
    h('h1', {}, `Delivery on ${env}`),
    form,
    r.changeFailure.changes === 0
      ? h('p', { class: 'empty' }, `No finished deployments to ${env} in this period.`)
      : null,
    keys,
    h('section', { class: 'card' }, h('h2', {}, 'By week'), charts, weeks),
    h(
      'section',
      { class: 'card' },
      h('h2', {}, 'Failed changes'),
      r.failures.length === 0 ? h('p', {}, 'None in this period.') : failures,
      r.failures.length > 50
        ? h('p', { class: 'meta' }, `The newest 50 of ${nf(r.failures.length, 0)}.`)
        : null,
    ),
  );
}
