import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Detail, EnvRow } from './app/types.ts';
import { envSentence, restoreSentence, rollbackSentence, truthSentence } from './app/words.ts';

test('the rollback sentence quotes the last measured switch, and says when none was measured', () => {
  assert.equal(
    rollbackSentence({ env: 'staging', switchMs: 14.2, at: '2026-11-22T10:00:00Z' }),
    'If anything goes wrong, switching back takes under a second (last measured: 14 ms).',
  );
  assert.equal(
    rollbackSentence({ env: 'staging', switchMs: 0.4, at: '2026-11-22T10:00:00Z' }),
    'If anything goes wrong, switching back takes under a second (last measured: 0.40 ms).',
  );
  assert.match(
    rollbackSentence({ env: 'x', switchMs: 2500, at: '' }),
    /took 2\.5 seconds \(last measured: 2500 ms\)/,
  );
  assert.equal(
    rollbackSentence({ env: null, switchMs: null, at: null }),
    'Switching back to the previous version has not been measured here yet.',
  );
});

test('a release waiting for approval is described in plain words, naming where it has been', () => {
  const since = '2026-11-22T10:02:00Z';
  const staging: EnvRow = {
    app: 'shop',
    env: 'staging',
    release: { id: 'r142', version: '1.4.2', digest: 'd' },
    previousReleaseId: null,
    since,
    by: 'dev',
    active: null,
  };
  const production: EnvRow = { ...staging, env: 'production', release: null, since: null };
  const waiting = {
    deployment: { id: 'dep-1', env: 'production', releaseId: 'r142', status: 'running' },
    release: { id: 'r142', version: '1.4.2', digest: 'd' },
    progress: {
      status: 'running',
      step: 1,
      weight: 0,
      plan: [{ kind: 'preflight' }, { kind: 'approval' }],
      outcome: null,
    },
    analysis: null,
  } as unknown as Detail;
  const text = envSentence(production, waiting, true, [staging, production], {
    env: 'staging',
    switchMs: 14,
    at: since,
  });
  const clock = new Date(since).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  assert.equal(
    text,
    `Nothing has been deployed to production yet. Version 1.4.2 has been on staging since ${clock}. All checks passed there. It is waiting for your approval to go live on production. If anything goes wrong, switching back takes under a second (last measured: 14 ms).`,
  );
  assert.match(envSentence(production, waiting, false, [staging], null), /waiting for an approval/);
});

test('drift, an unreachable agent and an interrupted rollout are said in plain words', () => {
  const row: EnvRow = {
    app: 'shop',
    env: 'production',
    release: { id: 'r1', version: '1.0.0', digest: 'd' },
    previousReleaseId: null,
    since: null,
    by: 'dev',
    active: null,
    served: { reachable: true, line: '1.0.0 at 100% (2/2 healthy)', releases: [] },
    drift: null,
  };
  assert.equal(truthSentence(row), null);
  assert.match(
    truthSentence({ ...row, served: { reachable: false, line: 'agent not reachable', releases: [] } }) ?? '',
    /cannot reach the service that runs production right now, so it cannot tell which version/,
  );
  assert.match(
    truthSentence({ ...row, drift: 'the record says 1.0.0, the agent serves 2.0.0 at 100%' }) ?? '',
    /differs from the record: the record says 1\.0\.0, the agent serves 2\.0\.0 at 100%\./,
  );
  assert.match(
    truthSentence({
      ...row,
      active: {
        id: 'dep-1',
        status: 'running',
        releaseId: 'r2',
        state: 'interrupted',
        line: 'interrupted at step 4/8 (pause 4s), traffic at 25%',
      },
    }) ?? '',
    /stopped half-way \(interrupted at step 4\/8 \(pause 4s\), traffic at 25%\); someone needs to resume or abort it/,
  );
});

test('the database restore sentence quotes the last measured restore, and is absent when none was', () => {
  assert.equal(
    restoreSentence({ env: 'production', totalMs: 95_400, rows: 8_589_936, at: '2026-12-06T18:40:00Z' }),
    'Restoring a database backup on production took 1.6 minutes (last measured, 8,589,936 rows checked).',
  );
  assert.equal(
    restoreSentence({ env: 'staging', totalMs: 481, rows: null, at: '' }),
    'Restoring a database backup on staging took 0.5 seconds (last measured).',
  );
  assert.equal(restoreSentence({ env: null, totalMs: null, rows: null, at: null }), null);
});
