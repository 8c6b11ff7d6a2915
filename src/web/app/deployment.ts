/**
 * One deployment, live: steps on a time line, the current weight, error rate and latency of the new
 * release against its baseline (charts fed by the server-sent event stream), analysis verdicts
 * with their numbers, approvals, audit entries, and the actions the user may take.
 */
import { actionButtons, overrideWindowButton } from './actions.ts';
import { api, type Permissions } from './api.ts';
import { approvalConsequences } from './client-words.ts';
import { announce, dateTime, h, mount } from './dom.ts';
import type { Analysis, ClientDeployment, Detail, Progress } from './types.ts';
import { STATUS_WORDS } from './words.ts';

type Audit = { seq: number; at: string; actor: string; action: string; data: unknown };

const pct = (x: number | null | undefined) =>
  x === null || x === undefined ? '—' : `${(x * 100).toFixed(2)}%`;
const ms = (x: number | null | undefined) => (x === null || x === undefined ? '—' : `${Math.round(x)} ms`);

export async function deploymentView(
  id: string,
  perms: Permissions,
  onLeave: (stop: () => void) => void,
): Promise<HTMLElement> {
  const [detail, client] = await Promise.all([
    api<Detail>('GET', `/api/deployments/${encodeURIComponent(id)}`),
    api<ClientDeployment>('GET', `/api/deployments/${encodeURIComponent(id)}/client`).catch(() => null),
  ]);
  const d = detail.deployment;
  const version = detail.release?.version ?? d.releaseId;
  const allowed = perms.environments.find((e) => e.env === d.env)?.actions ?? [];
  const width = Math.max(260, Math.min(560, window.innerWidth - 48));
  // uPlot is loaded with the first deployment view, not with the environments view.
  const { liveChart } = await import('./chart.ts');
  const errors = liveChart('Error rate', '%', width);
  const latency = liveChart('Latency (p95)', ' ms', width);
  const status = h('p', { class: 'status', role: 'status' });
  const steps = h('ol', { class: 'steps' });
  const verdict = h('div', { class: 'verdict' });
  const timeline = h('ol', { class: 'timeline' });
  const actions = h('div', {});
  const approvals = h('ul', {});
  const audit = h('ol', { class: 'audit' });

  let overridden = false;
  const renderProgress = (p: Progress, st: string) => {
    status.textContent = `${STATUS_WORDS[st] ?? st} · ${p.weight}% of traffic on version ${version}`;
    status.dataset.status = st;
    status.dataset.weight = String(p.weight);
    mount(
      steps,
      ...p.plan.map((s, i) =>
        h(
          'li',
          {
            class: i < p.step || st === 'succeeded' ? 'done' : i === p.step ? 'current' : '',
            'aria-current': i === p.step && st !== 'succeeded' ? 'step' : null,
          },
          s.description,
        ),
      ),
    );
    mount(
      actions,
      actionButtons({
        id: d.id,
        version,
        env: d.env,
        status: st,
        step: p.plan[p.step]?.kind,
        allowed,
        done: () => announce('done'),
        ...(client && { texts: { approve: approvalConsequences(client, d.env) } }),
      }),
      // Waiting for the window (as of opening this page): an admin may let it go now.
      client?.waiting === 'window' &&
        !overridden &&
        allowed.includes('admin') &&
        (st === 'running' || st === 'paused') &&
        overrideWindowButton(d.id, version, d.env, () => {
          overridden = true;
        }),
    );
  };
  const renderAnalysis = (a: Analysis | null) => {
    if (!a) return mount(verdict, h('p', {}, 'No measurements yet.'));
    const n = a.numbers ?? {};
    mount(
      verdict,
      h(
        'p',
        { class: `badge ${a.verdict}` },
        a.verdict === 'pass'
          ? 'Checks pass'
          : a.verdict === 'fail'
            ? 'A check failed'
            : 'Not enough data yet',
      ),
      h('p', {}, a.reason),
      h(
        'table',
        { class: 'numbers' },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            h('th', {}, ''),
            h('th', { scope: 'col' }, 'new'),
            h('th', { scope: 'col' }, 'baseline'),
          ),
        ),
        h(
          'tbody',
          {},
          h(
            'tr',
            {},
            h('th', { scope: 'row' }, 'Error rate'),
            h('td', {}, pct(n.errorRate)),
            h('td', {}, pct(n.baselineErrorRate)),
          ),
          h(
            'tr',
            {},
            h('th', { scope: 'row' }, 'Latency p95'),
            h('td', {}, ms(n.p95)),
            h('td', {}, ms(n.baselineP95)),
          ),
        ),
      ),
      a.rule &&
        h(
          'p',
          { class: 'rule' },
          `Rule ${a.rule}: observed ${a.observed ?? '—'}, threshold ${a.threshold ?? '—'}`,
        ),
    );
  };
  const addTimeline = (at: string, what: string) =>
    timeline.append(h('li', {}, h('time', { datetime: at }, dateTime(at)), ' ', what));
  const renderApprovals = (list: Detail['approvals']) =>
    list.length === 0
      ? mount(approvals, h('li', {}, 'No decisions yet.'))
      : mount(
          approvals,
          ...list.map((a) =>
            h(
              'li',
              {},
              `${a.decision === 'approve' ? 'Approved' : 'Rejected'} by ${a.user} at ${dateTime(a.at)}`,
              a.reason ? ` — ${a.reason}` : '',
            ),
          ),
        );
  const loadAudit = async () => {
    const list = await api<Audit[]>('GET', `/api/deployments/${encodeURIComponent(id)}/audit`).catch(
      () => [],
    );
    mount(
      audit,
      ...list.map((a) =>
        h('li', {}, h('time', { datetime: a.at }, dateTime(a.at)), ` ${a.actor}: ${a.action}`),
      ),
    );
  };

  const refreshDecisions = async () => {
    const fresh = await api<Detail>('GET', `/api/deployments/${encodeURIComponent(id)}`).catch(() => null);
    if (fresh) renderApprovals(fresh.approvals);
    void loadAudit();
  };
  renderProgress(detail.progress, d.status);
  renderAnalysis(detail.analysis);
  renderApprovals(detail.approvals);
  void loadAudit();
  const pushNumbers = (a: Analysis | null) => {
    const n = a?.numbers;
    if (!n) return;
    const now = Date.now();
    errors.push(
      now,
      n.errorRate == null ? null : n.errorRate * 100,
      n.baselineErrorRate == null ? null : n.baselineErrorRate * 100,
    );
    latency.push(now, n.p95 ?? null, n.baselineP95 ?? null);
  };
  pushNumbers(detail.analysis);

  const source = new EventSource(`/api/deployments/${encodeURIComponent(id)}/events`);
  source.addEventListener('timeline', (e) => {
    const t = JSON.parse((e as MessageEvent).data) as { at: string; what: string };
    addTimeline(t.at, t.what);
    // The audit list follows the time line live.
    if (/^(approved|rejected) by /.test(t.what)) void refreshDecisions();
    else void loadAudit();
  });
  source.addEventListener('state', (e) => {
    const s = JSON.parse((e as MessageEvent).data) as Progress & {
      status: string;
      analysis: Analysis | null;
    };
    renderProgress(s, s.status);
    renderAnalysis(s.analysis);
    pushNumbers(s.analysis);
  });
  source.addEventListener('end', async (e) => {
    const s = JSON.parse((e as MessageEvent).data) as { status: string; reason: string | null };
    source.close();
    status.textContent = `${STATUS_WORDS[s.status] ?? s.status}${s.reason ? `: ${s.reason}` : ''}`;
    status.dataset.status = s.status;
    announce(status.textContent);
    mount(actions);
    await refreshDecisions();
  });
  onLeave(() => source.close());

  return h(
    'div',
    { class: 'deployment', 'data-id': d.id },
    h('p', {}, h('a', { href: '#/' }, '← Environments')),
    h('h1', {}, `Version ${version} → ${d.env}`),
    h(
      'p',
      { class: 'meta' },
      `${d.strategy} · started by ${d.createdBy} at ${dateTime(d.createdAt)} · ${d.id}`,
    ),
    status,
    // A blameless draft for the team, from what slipway recorded (README, "Post-mortem drafts").
    (d.status === 'rolled_back' || d.status === 'failed') &&
      h(
        'p',
        {},
        h(
          'a',
          { href: `#/deployments/${encodeURIComponent(d.id)}/postmortem`, 'data-action': 'postmortem' },
          'Post-mortem draft',
        ),
      ),
    actions,
    h('section', { class: 'card' }, h('h2', {}, 'Steps'), steps),
    h(
      'section',
      { class: 'card' },
      h('h2', {}, 'Checks'),
      verdict,
      h('div', { class: 'charts' }, errors.el, latency.el),
    ),
    h('section', { class: 'card' }, h('h2', {}, 'Decisions'), approvals),
    h('section', { class: 'card' }, h('h2', {}, 'Time line'), timeline),
    h('section', { class: 'card' }, h('h2', {}, 'Audit entries'), audit),
  );
}
