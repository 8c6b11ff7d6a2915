/** Environments side by side: what visitors get, where to open it, acceptance, reverting. */
import { envRollbackButton } from './actions.ts';
import { api, type Permissions } from './api.ts';
import { acceptButtons, rehearseButton, revertNowButton } from './client-actions.ts';
import { deploymentSentence, headline, revertSentence, when } from './client-words.ts';
import { type ContractPending, contractSection } from './contract.ts';
import { dateTime, h } from './dom.ts';
import { type FlagRow, flagsSection } from './flags.ts';
import type { Mode } from './mode.ts';
import type { ClientDeployment, ClientEnvironment, Detail, EnvRow, Release, RestoreSpeed } from './types.ts';
import { envSentence, restoreSentence, STATUS_WORDS, truthSentence } from './words.ts';

type Keys = { env: string; keys: { key: string; kind: string }[] };

export async function environmentsView(
  perms: Permissions,
  refresh: () => void,
  mode: Mode = 'detailed',
): Promise<HTMLElement> {
  const listed = (await api<{ environments: EnvRow[] }>('GET', '/api/environments')).environments;
  // Environments of slipway.yaml never deployed to are not in the overview; show them empty.
  const app = listed[0]?.app ?? '';
  const environments = perms.environments
    .filter((e) => e.actions.includes('read'))
    .map(
      ({ env }) =>
        listed.find((r) => r.env === env) ?? {
          app,
          env,
          release: null,
          previousReleaseId: null,
          since: null,
          by: null,
          active: null,
        },
    );
  for (const r of listed) if (!environments.includes(r)) environments.push(r);
  const allowed = (env: string) => perms.environments.find((e) => e.env === env)?.actions ?? [];
  const apps = [...new Set(environments.map((e) => e.app))].filter((a) => a !== '');
  const enc = encodeURIComponent;
  const [infos, details, clients, keys, releases, restore, flags, contracts] = await Promise.all([
    Promise.all(
      environments.map((e) =>
        api<ClientEnvironment>('GET', `/api/environments/${enc(e.env)}/client`).catch(() => null),
      ),
    ),
    Promise.all(
      environments.map((e) => (e.active ? api<Detail>('GET', `/api/deployments/${e.active.id}`) : null)),
    ),
    Promise.all(
      environments.map((e) =>
        e.active
          ? api<ClientDeployment>('GET', `/api/deployments/${e.active.id}/client`).catch(() => null)
          : null,
      ),
    ),
    mode === 'detailed'
      ? Promise.all(
          environments.map((e) =>
            api<Keys>('GET', `/api/environments/${enc(e.env)}/config-keys`).catch(() => null),
          ),
        )
      : [],
    Promise.all(
      apps.map((a) => api<Release[]>('GET', `/api/releases?app=${enc(a)}&limit=50`).catch(() => [])),
    ),
    api<RestoreSpeed>('GET', '/api/db-restore-speed').catch(() => null),
    Promise.all(
      environments.map((e) =>
        api<{ flags: FlagRow[] }>('GET', `/api/flags/${enc(e.env)}`)
          .then((r) => r.flags)
          .catch(() => null),
      ),
    ),
    mode === 'detailed'
      ? Promise.all(
          environments.map((e) =>
            api<ContractPending>('GET', `/api/environments/${enc(e.env)}/migrations/contract`).catch(
              () => null,
            ),
          ),
        )
      : [],
  ]);
  const notes = new Map(releases.flat().map((r) => [r.id, r.notes]));
  const versions = new Map(releases.flat().map((r) => [r.id, r.version]));
  const cards = environments.map((row, i) => {
    const active = details[i] ?? null;
    const client = clients[i] ?? null;
    const info = infos[i] ?? null;
    const canApprove = allowed(row.env).includes('approve');
    const replacing = active ? (active.release?.version ?? null) : null;
    const line = headline({
      env: row.env,
      versions,
      served: row.served?.reachable ? row.served.releases : null,
      recorded: row.release?.version ?? null,
      replacing,
    });
    const waiting = client?.waiting ?? null;
    const previous = row.previousReleaseId ? versions.get(row.previousReleaseId) : undefined;
    const revertWhat =
      info?.revert.kind === 'in-flight'
        ? `The rollout of version ${replacing} stops and every visitor goes back to version ${row.release?.version ?? 'the one before'}.`
        : `Every visitor goes back to version ${previous ?? 'the one before'}.`;
    return h(
      'section',
      { class: 'env card', 'data-env': row.env, 'aria-labelledby': `env-${row.env}` },
      h(
        'h2',
        { id: `env-${row.env}` },
        row.env,
        mode === 'detailed' && row.app && h('small', {}, ` · ${row.app}`),
      ),
      mode === 'detailed' &&
        h(
          'p',
          { class: 'version' },
          row.release ? `Version ${row.release.version}` : 'Nothing recorded yet',
          row.served && !row.served.reachable && h('small', {}, ' · not reachable'),
        ),
      h('p', { class: 'headline' }, line),
      info?.url &&
        h(
          'p',
          {},
          h(
            'a',
            { href: info.url, class: 'button open', target: '_blank', rel: 'noopener noreferrer' },
            `Open ${row.env}`,
          ),
        ),
      mode === 'detailed' &&
        h(
          'dl',
          {},
          h('dt', {}, 'Since'),
          h('dd', {}, dateTime(row.since)),
          h('dt', {}, 'By'),
          h('dd', {}, row.by ?? '—'),
        ),
      row.release &&
        notes.get(row.release.id) &&
        h('p', { class: 'notes' }, notes.get(row.release.id) as string),
      row.release && info?.acceptance && acceptance(row, info, refresh),
      mode === 'detailed' && client?.waiting !== 'window'
        ? h('p', { class: 'plain' }, envSentence(row, active, canApprove, environments))
        : active &&
            client &&
            h(
              'p',
              { class: 'plain' },
              deploymentSentence(
                client,
                row.env,
                active.progress.weight,
                active.deployment.status === 'paused',
                canApprove,
              ),
            ),
      info && (row.release || active) && h('p', { class: 'plain revert-time' }, revertSentence(info)),
      truthSentence(row) && h('p', { class: 'plain drift', role: 'alert' }, truthSentence(row) as string),
      active &&
        h(
          'p',
          {},
          h(
            'a',
            { href: `#/deployments/${active.deployment.id}`, class: 'button primary' },
            mode === 'client'
              ? `${waiting === 'approval' ? 'Review' : 'Follow'} version ${active.release?.version ?? '?'}`
              : `${active.progress.plan[active.progress.step]?.kind === 'approval' ? 'Review' : 'Follow'} version ${active.release?.version ?? '?'} (${STATUS_WORDS[active.deployment.status] ?? active.deployment.status})`,
          ),
        ),
      info?.mayRevert &&
        info.revert.kind &&
        !waiting &&
        (mode === 'client' || !allowed(row.env).includes('rollback')) &&
        revertNowButton(row.env, `${revertWhat} ${revertSentence(info)}`, refresh),
      info?.mayRehearse &&
        info.revert.kind === 'switch' &&
        row.release &&
        previous &&
        rehearseButton(row.env, { now: row.release.version, previous }, refresh),
      mode === 'detailed' &&
        !active &&
        row.release &&
        row.previousReleaseId &&
        allowed(row.env).includes('rollback') &&
        envRollbackButton(row.env, row.release.version, refresh),
      flagsSection(row.env, flags[i] ?? null, allowed(row.env).includes('rollback'), refresh),
      mode === 'detailed' && contractSection(contracts[i] ?? null, canApprove, refresh),
    );
  });
  const restored = restoreSentence(restore);
  return h(
    'div',
    {},
    h('h1', {}, 'Environments'),
    ...(restored ? [h('p', { class: 'plain restore-speed' }, restored)] : []),
    h('div', { class: 'envs' }, cards),
    mode === 'detailed' && differences(environments, keys),
  );
}

/** The acceptance of what an environment runs: who decided and when, or the buttons to decide. */
function acceptance(row: EnvRow, info: ClientEnvironment, refresh: () => void): HTMLElement {
  const version = row.release?.version ?? '';
  const a = info.accepted;
  if (a)
    return h(
      'p',
      { class: `acceptance ${a.decision}` },
      a.decision === 'accept'
        ? `Accepted by ${a.by} on ${when(a.at)}.`
        : `Rejected by ${a.by} on ${when(a.at)}: ${a.reason ?? ''}`,
    );
  if (!info.mayAccept)
    return h('p', { class: 'acceptance' }, `Version ${version} waits for acceptance by the client.`);
  return h(
    'div',
    { class: 'acceptance' },
    h(
      'p',
      {},
      // A release is offered for acceptance only once its deployment here succeeded: every step passed.
      `Version ${version} is ready for you to try: it went live on ${row.env}${row.since ? ` on ${when(row.since)}` : ''} and passed every check there. Open ${row.env}, then accept it or say what is wrong.`,
    ),
    acceptButtons(row.env, version, refresh),
  );
}

/** Release and config keys that differ between neighbouring environments of an app. */
function differences(rows: EnvRow[], keys: (Keys | null)[]): HTMLElement | null {
  if (rows.length < 2) return null;
  const tables = [];
  for (let i = 1; i < rows.length; i++) {
    const a = rows[i - 1] as EnvRow;
    const b = rows[i] as EnvRow;
    if (a.app !== b.app) continue;
    const ka = new Map((keys[i - 1]?.keys ?? []).map((k) => [k.key, k.kind]));
    const kb = new Map((keys[i]?.keys ?? []).map((k) => [k.key, k.kind]));
    const all = [...new Set([...ka.keys(), ...kb.keys()])].sort();
    const diff = all.filter((k) => ka.get(k) !== kb.get(k));
    tables.push(
      h(
        'table',
        { class: 'diff' },
        h('caption', {}, `What differs between ${a.env} and ${b.env}`),
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            h('th', { scope: 'col' }, ''),
            h('th', { scope: 'col' }, a.env),
            h('th', { scope: 'col' }, b.env),
          ),
        ),
        h(
          'tbody',
          {},
          h(
            'tr',
            { class: a.release?.id === b.release?.id ? '' : 'differs' },
            h('th', { scope: 'row' }, 'Version'),
            h('td', {}, a.release?.version ?? '—'),
            h('td', {}, b.release?.version ?? '—'),
          ),
          diff.map((k) =>
            h(
              'tr',
              { class: 'differs' },
              h('th', { scope: 'row' }, h('code', {}, k)),
              h('td', {}, ka.get(k) ?? 'not set'),
              h('td', {}, kb.get(k) ?? 'not set'),
            ),
          ),
          diff.length === 0 &&
            h(
              'tr',
              {},
              h('th', { scope: 'row' }, 'Config keys'),
              h('td', { colspan: 2 }, `the same ${all.length} key(s)`),
            ),
        ),
      ),
    );
  }
  return h('section', { class: 'card' }, h('h2', {}, 'Differences'), tables);
}
