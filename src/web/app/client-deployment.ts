/**
 * One deployment in the client view: what it waits for and when it goes live, the steps as a
 * visitor notices them, "No problems found so far" with the one number that matters, the people
 * who decided, and what happened — live from the server's event stream; no ids, no commands.
 */
import { actionButtons } from './actions.ts';
import { api, type Permissions } from './api.ts';
import {
  approvalConsequences,
  clientSteps,
  deploymentSentence,
  healthSentence,
  opening,
  revertSentence,
  timelineWords,
  when,
} from './client-words.ts';
import { announce, h, mount } from './dom.ts';
import type { Analysis, ClientDeployment, ClientEnvironment, Detail, Progress } from './types.ts';

const END_WORDS: Record<string, string> = {
  succeeded: 'is live',
  rolled_back: 'was reverted',
  aborted: 'was stopped',
  failed: 'did not go live',
};

export async function clientDeploymentView(
  id: string,
  perms: Permissions,
  onLeave: (stop: () => void) => void,
): Promise<HTMLElement> {
  const enc = encodeURIComponent(id);
  const [detail, first] = await Promise.all([
    api<Detail>('GET', `/api/deployments/${enc}`),
    api<ClientDeployment>('GET', `/api/deployments/${enc}/client`),
  ]);
  const d = detail.deployment;
  const env = await api<ClientEnvironment>(
    'GET',
    `/api/environments/${encodeURIComponent(d.env)}/client`,
  ).catch(() => null);
  const allowed = perms.environments.find((e) => e.env === d.env)?.actions ?? [];
  let client = first;
  let progress: Progress = detail.progress;
  let status = d.status;
  let analysis = detail.analysis;
  let ended: string | null = ['running', 'paused'].includes(status) ? null : status;

  const sentence = h('p', { class: 'status plain', role: 'status' });
  const actions = h('div', {});
  const steps = h('ol', { class: 'steps' });
  const health = h('p', { class: 'health plain' });
  const decisions = h('ul', { class: 'decisions' });
  const happened = h('ol', { class: 'timeline' });

  const render = () => {
    sentence.dataset.status = status;
    sentence.dataset.weight = String(progress.weight);
    sentence.textContent = ended
      ? `Version ${client.version} ${END_WORDS[ended] ?? ended} on ${d.env}.`
      : deploymentSentence(client, d.env, progress.weight, status === 'paused', allowed.includes('approve'));
    mount(
      steps,
      ...clientSteps(progress.plan as never, progress.step, ended ?? status, client.remainingMs).map((s) =>
        h(
          'li',
          { class: s.state === 'next' ? '' : s.state, 'aria-current': s.state === 'current' ? 'step' : null },
          // While the deploy window is closed, the current step is the wait for it.
          s.state === 'current' && client.waiting === 'window'
            ? `Waiting for the deploy window${client.goesLiveAt ? ` (opens ${opening(client.goesLiveAt)})` : ''}`
            : s.text,
        ),
      ),
    );
    health.textContent = healthSentence(analysis, ended);
    const lines = [
      client.acceptance &&
        `${client.acceptance.decision === 'accept' ? 'Accepted' : 'Rejected'} on ${client.acceptance.env} by ${client.acceptance.by} on ${when(client.acceptance.at)}`,
      ...client.approvedBy.map((u) => `Approved by ${u}`),
      client.rejectedBy && `Rejected by ${client.rejectedBy}`,
    ].filter((x): x is string => typeof x === 'string');
    mount(decisions, ...(lines.length ? lines : ['No decisions yet.']).map((t) => h('li', {}, t)));
    const consequences = `${approvalConsequences(client, d.env)}${env ? ` ${revertSentence(env)}` : ''}`;
    mount(
      actions,
      ended
        ? null
        : actionButtons({
            id: d.id,
            version: client.version,
            env: d.env,
            status,
            step: client.waiting === 'approval' ? 'approval' : progress.plan[progress.step]?.kind,
            // The client view offers the go/no-go; the engineer's controls are in the detailed view.
            allowed: allowed.filter((a) => a === 'approve' || a === 'reject'),
            done: () => void refresh(),
            texts: { approve: consequences },
          }),
    );
  };
  const addHappened = (at: string, what: string) => {
    const words = timelineWords(what);
    if (words) happened.append(h('li', {}, h('time', { datetime: at }, when(at)), ` ${words}`));
  };
  const refresh = async () => {
    const fresh = await api<ClientDeployment>('GET', `/api/deployments/${enc}/client`).catch(() => null);
    if (fresh) client = fresh;
    render();
  };
  render();
  for (const t of detail.timeline) addHappened(t.at, t.what);

  const source = new EventSource(`/api/deployments/${enc}/events`);
  const seen = new Set(detail.timeline.map((t) => `${t.at} ${t.what}`));
  source.addEventListener('timeline', (e) => {
    const t = JSON.parse((e as MessageEvent).data) as { at: string; what: string };
    if (seen.has(`${t.at} ${t.what}`)) return;
    seen.add(`${t.at} ${t.what}`);
    addHappened(t.at, t.what);
    void refresh();
  });
  source.addEventListener('state', (e) => {
    const s = JSON.parse((e as MessageEvent).data) as Progress & { analysis: Analysis | null };
    progress = s;
    status = s.status === 'rolling_back' ? status : s.status;
    analysis = s.analysis;
    render();
  });
  source.addEventListener('end', async (e) => {
    const s = JSON.parse((e as MessageEvent).data) as { status: string };
    source.close();
    status = s.status;
    ended = s.status;
    await refresh();
    announce(sentence.textContent ?? '');
  });
  // The time left on a watch counts down between events.
  const tick = setInterval(() => void refresh(), 30_000);
  onLeave(() => {
    source.close();
    clearInterval(tick);
  });

  return h(
    'div',
    { class: 'deployment client', 'data-id': d.id },
    h('p', {}, h('a', { href: '#/' }, '← Environments')),
    h('h1', {}, `Version ${client.version} → ${d.env}`),
    h('p', { class: 'meta' }, `Started by ${d.createdBy} on ${when(d.createdAt)}`),
    sentence,
    actions,
    h('section', { class: 'card' }, h('h2', {}, 'Steps'), steps),
    h('section', { class: 'card' }, h('h2', {}, 'Health'), health),
    h('section', { class: 'card' }, h('h2', {}, 'Decisions'), decisions),
    h('section', { class: 'card' }, h('h2', {}, 'What happened'), happened),
  );
}
