/** Environments side by side: which release where, since when, by whom; what differs. */
import { envRollbackButton } from './actions.ts';
import { api, type Permissions } from './api.ts';
import { dateTime, h } from './dom.ts';
import { type FlagRow, flagsSection } from './flags.ts';
import type { Detail, EnvRow, Release, RestoreSpeed, RollbackSpeed } from './types.ts';
import { envSentence, restoreSentence, rollbackSentence, STATUS_WORDS, truthSentence } from './words.ts';

type Keys = { env: string; keys: { key: string; kind: string }[] };

export async function environmentsView(perms: Permissions, refresh: () => void): Promise<HTMLElement> {
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
  const [speed, restore, details, keys, releases, flags] = await Promise.all([
    api<RollbackSpeed>('GET', '/api/rollback-speed').catch(() => null),
    api<RestoreSpeed>('GET', '/api/db-restore-speed').catch(() => null),
    Promise.all(
      environments.map((e) => (e.active ? api<Detail>('GET', `/api/deployments/${e.active.id}`) : null)),
    ),
    Promise.all(
      environments.map((e) =>
        api<Keys>('GET', `/api/environments/${encodeURIComponent(e.env)}/config-keys`).catch(() => null),
      ),
    ),
    Promise.all(
      apps.map((a) =>
        api<Release[]>('GET', `/api/releases?app=${encodeURIComponent(a)}&limit=50`).catch(() => []),
      ),
    ),
    Promise.all(
      environments.map((e) =>
        api<{ flags: FlagRow[] }>('GET', `/api/flags/${encodeURIComponent(e.env)}`)
          .then((r) => r.flags)
          .catch(() => null),
      ),
    ),
  ]);
  const notes = new Map(releases.flat().map((r) => [r.id, r.notes]));
  const cards = environments.map((row, i) => {
    const active = details[i] ?? null;
    const canApprove = allowed(row.env).includes('approve');
    return h(
      'section',
      { class: 'env card', 'data-env': row.env, 'aria-labelledby': `env-${row.env}` },
      h('h2', { id: `env-${row.env}` }, row.env, row.app && h('small', {}, ` · ${row.app}`)),
      h(
        'p',
        { class: 'version' },
        row.release ? `Version ${row.release.version}` : 'Nothing deployed',
        row.served && !row.served.reachable && h('small', {}, ' · not reachable'),
      ),
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
      h('p', { class: 'plain' }, envSentence(row, active, canApprove, environments, speed)),
      truthSentence(row) && h('p', { class: 'plain drift', role: 'alert' }, truthSentence(row) as string),
      active &&
        h(
          'p',
          {},
          h(
            'a',
            { href: `#/deployments/${active.deployment.id}`, class: 'button primary' },
            `${active.progress.plan[active.progress.step]?.kind === 'approval' ? 'Review' : 'Follow'} version ${active.release?.version ?? '?'} (${STATUS_WORDS[active.deployment.status] ?? active.deployment.status})`,
          ),
        ),
      !active &&
        row.release &&
        row.previousReleaseId &&
        allowed(row.env).includes('rollback') &&
        envRollbackButton(row.env, row.release.version, refresh),
      flagsSection(row.env, flags[i] ?? null, allowed(row.env).includes('rollback'), refresh),
    );
  });
  return h(
    'div',
    {},
    h('h1', {}, 'Environments'),
    h('p', { class: 'plain rollback-speed' }, rollbackSentence(speed)),
    ...(restoreSentence(restore)
      ? [h('p', { class: 'plain restore-speed' }, restoreSentence(restore) as string)]
      : []),
    h('div', { class: 'envs' }, cards),
    differences(environments, keys),
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
