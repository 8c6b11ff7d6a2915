import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  approvalConsequences,
  clientSteps,
  deploymentSentence,
  headline,
  healthSentence,
  revertSentence,
  STATE_WORDS,
  timelineWords,
  when,
} from './app/client-words.ts';
import { clockSeconds, clockTime, dateTimeSeconds, dayTime, weekday } from './app/dates.ts';
import type { ClientDeployment, Detail, EnvRow } from './app/types.ts';
import { envSentence, restoreSentence, truthSentence } from './app/words.ts';
import { engineerWordsIn } from './engineer-words.ts';

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
  const text = envSentence(production, waiting, true, [staging, production]);
  const clock = new Date(since).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  assert.equal(
    text,
    `Nothing has been deployed to production yet. Version 1.4.2 has been on staging since ${clock}. All checks passed there. It is waiting for your approval to go live on production.`,
  );
  assert.match(envSentence(production, waiting, false, [staging]), /waiting for an approval/);
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

const waitingDeployment = (over: Partial<ClientDeployment> = {}): ClientDeployment => ({
  id: 'dep-0a1b2c3d4e5f',
  version: '1.1.0',
  fromVersion: '1.0.0',
  waiting: 'approval',
  goesLiveAt: null,
  remainingMs: 35 * 60_000,
  acceptance: {
    env: 'staging',
    decision: 'accept',
    by: 'carol',
    at: '2026-12-06T09:00:00Z',
    version: '1.1.0',
    digest: `sha256:${'ab'.repeat(32)}`,
    reason: null,
    required: true,
  },
  approvedBy: [],
  rejectedBy: null,
  ...over,
});

test('the client view tells what visitors get now, and what replaces it', () => {
  const versions = new Map([
    ['rel-1', '1.0.0'],
    ['rel-2', '1.1.0'],
  ]);
  const served = [
    { release: 'rel-1', weight: 0 },
    { release: 'rel-2', weight: 100 },
  ];
  // During the watch every visitor gets 1.1.0 although the record still says 1.0.0.
  assert.equal(
    headline({ env: 'production', versions, served, recorded: '1.0.0', replacing: '1.1.0' }),
    'Visitors get version 1.1.0.',
  );
  assert.equal(
    headline({
      env: 'production',
      versions,
      served: [
        { release: 'rel-1', weight: 95 },
        { release: 'rel-2', weight: 5 },
      ],
      recorded: '1.0.0',
      replacing: '1.1.0',
    }),
    'Visitors get version 1.0.0, being replaced by 1.1.0.',
  );
  // A first deployment that already serves everyone is not "nothing deployed".
  assert.equal(
    headline({
      env: 'staging',
      versions,
      served: [{ release: 'rel-2', weight: 100 }],
      recorded: null,
      replacing: '1.1.0',
    }),
    'Visitors get version 1.1.0.',
  );
  assert.equal(
    headline({ env: 'staging', versions, served: [], recorded: null, replacing: '1.1.0' }),
    'Nothing is live on staging yet; version 1.1.0 is on its way.',
  );
});

test('an approval says when it goes live, how long it takes, and that it stays; a window wait says so', () => {
  const now = Date.parse('2026-12-06T12:00:00Z'); // a Sunday
  const tuesday = '2026-12-08T10:00:00Z';
  const text = approvalConsequences(waitingDeployment({ goesLiveAt: tuesday }), 'production', now);
  // The reader's locale and zone (here the test process's), as the page formats every date.
  const local = `${weekday(Date.parse(tuesday))} ${clockTime(Date.parse(tuesday))}`;
  assert.equal(
    text,
    `If you approve version 1.1.0, it goes live on production on ${local}, when the deploy window opens; it takes about 35 minutes to finish. Your decision is recorded with your name and cannot be withdrawn; the release can only be reverted afterwards.`,
  );
  assert.match(
    approvalConsequences(waitingDeployment(), 'production', now),
    /goes live on production right away/,
  );
  assert.equal(
    deploymentSentence(
      waitingDeployment({ waiting: 'window', goesLiveAt: tuesday, approvedBy: ['carol'] }),
      'production',
      0,
      false,
      true,
      now,
    ),
    `Version 1.1.0 is approved by carol; it goes live on ${local}.`,
  );
  assert.match(
    deploymentSentence(waitingDeployment(), 'production', 0, false, true, now),
    /waits for your approval to go live on production\. It was accepted on staging by carol on .*\. Once approved it goes live right away\./,
  );
});

const noDrill = { rehearsed: null, drillable: false };

test('the revert sentence quotes only what was measured on that environment, the way it would revert now', () => {
  const at = '2026-12-06T10:04:00Z';
  assert.equal(
    revertSentence({ env: 'production', revert: { kind: 'redeploy', measured: null, ...noDrill } }),
    'If something goes wrong, reverting means starting the previous version again; how long that takes is not yet measured here.',
  );
  assert.equal(
    revertSentence({
      env: 'production',
      revert: {
        kind: 'switch',
        measured: { kind: 'switch', ms: 6.2, at, deployment: 'dep-1', by: 'carol' },
        ...noDrill,
      },
    }),
    `If something goes wrong, reverting means switching back to the previous version, which is still running: it took 6 ms here (measured ${when(at)}).`,
  );
  assert.match(
    revertSentence({
      env: 'production',
      revert: {
        kind: 'in-flight',
        measured: { kind: 'in-flight', ms: 21_400, at, deployment: 'd', by: 'slipway' },
        ...noDrill,
      },
    }),
    /stopping the rollout and sending every visitor back to the previous version: it took 21 seconds here/,
  );
  assert.equal(
    revertSentence({ env: 'dev', revert: { kind: null, measured: null, ...noDrill } }),
    'There is no earlier version on dev to go back to.',
  );
  // A rehearsal is quoted as one, and named where it ran; never as a revert that happened.
  const drill = {
    env: 'staging',
    ms: 4.2,
    backMs: 3,
    at,
    by: 'carol',
    version: '2.0.0',
    previousVersion: '1.0.0',
  };
  assert.equal(
    revertSentence({
      env: 'production',
      revert: { kind: 'switch', measured: null, rehearsed: drill, drillable: false },
    }),
    `If something goes wrong, reverting means switching back to the previous version, which is still running; it was not yet needed here, but a rehearsal on staging took 4 ms (${when(at)}).`,
  );
  assert.match(
    revertSentence({
      env: 'staging',
      revert: { kind: 'switch', measured: null, rehearsed: drill, drillable: true },
    }),
    /; it was not yet needed here, but a rehearsal here took 4 ms/,
  );
  // A switch rehearsal says nothing of how long a redeploy takes.
  assert.doesNotMatch(
    revertSentence({
      env: 'production',
      revert: { kind: 'redeploy', measured: null, rehearsed: drill, drillable: false },
    }),
    /rehearsal/,
  );
});

test('steps read as a visitor would notice them, with the time left on the watch', () => {
  const plan = [
    { kind: 'preflight' },
    { kind: 'approval' },
    { kind: 'start', count: 2 },
    { kind: 'smoke' },
    { kind: 'shift', weight: 5 },
    { kind: 'analysis', durationMs: 60_000 },
    { kind: 'shift', weight: 100 },
    { kind: 'watch', durationMs: 1_800_000 },
    { kind: 'finalize' },
  ];
  const steps = clientSteps(plan, 7, 'running', 25 * 60_000);
  assert.deepEqual(
    steps.map((s) => `${s.state}: ${s.text}`),
    [
      'done: Checking the new version',
      'done: Waiting for approval',
      'done: Checking the new version',
      'done: Showing it to 5% of visitors',
      'done: Watching for problems',
      'done: Showing it to all visitors',
      'current: Watching for problems (25 min left)',
      'next: Done',
    ],
  );
});

test('no engineer word reaches the client view', () => {
  const now = Date.parse('2026-12-06T12:00:00Z');
  const m = { kind: 'switch' as const, ms: 6, at: '2026-12-06T10:00:00Z', deployment: 'dep-1', by: 'c' };
  const sentences = [
    headline({ env: 'production', versions: new Map(), served: [], recorded: '1.0.0', replacing: '1.1.0' }),
    approvalConsequences(waitingDeployment({ goesLiveAt: '2026-12-08T10:00:00Z' }), 'production', now),
    deploymentSentence(waitingDeployment(), 'production', 0, false, false, now),
    deploymentSentence(
      waitingDeployment({ waiting: 'window', goesLiveAt: null }),
      'production',
      0,
      false,
      true,
      now,
    ),
    deploymentSentence(waitingDeployment({ waiting: null }), 'production', 5, false, true, now),
    deploymentSentence(waitingDeployment({ waiting: null }), 'production', 5, true, true, now),
    ...(['switch', 'in-flight', 'redeploy'] as const).flatMap((kind) => [
      revertSentence({ env: 'production', revert: { kind, measured: null, ...noDrill } }),
      revertSentence({ env: 'production', revert: { kind, measured: { ...m, kind }, ...noDrill } }),
      revertSentence({
        env: 'production',
        revert: {
          kind,
          measured: { ...m, kind },
          rehearsed: {
            env: 'staging',
            ms: 4,
            backMs: 3,
            at: m.at,
            by: 'carol',
            version: '2',
            previousVersion: '1',
          },
          drillable: false,
        },
      }),
    ]),
    healthSentence({ verdict: 'pass', numbers: { errorRate: 0.001 } }, null),
    healthSentence({ verdict: 'fail', numbers: { errorRate: 0.2 } }, null),
    healthSentence({ verdict: 'inconclusive' }, null),
    healthSentence(null, 'rolled_back'),
    healthSentence(null, 'succeeded'),
    ...clientSteps(
      [
        { kind: 'preflight' },
        { kind: 'approval' },
        { kind: 'shift', weight: 5 },
        { kind: 'watch', durationMs: 60_000 },
        { kind: 'finalize' },
      ],
      3,
      'running',
      30_000,
    ).map((s) => s.text),
    ...[
      'deployment created',
      'began: preflight',
      'done: preflight',
      'waiting: deploy window: outside Tue-Thu 10:00-14:00; next opening 2026-12-08T10:00:00.000Z',
      'waiting: waiting for approval: 0 of 1 from role approver; approve with `slipway approve dep-1a2b`',
      'approved by carol',
      'began: shift 5% of traffic',
      'began: analysis 60s',
      'began: watch 1800s',
      'rollback by carol: checkout broken',
      'traffic back on the stable release; new instances stopped',
      'done: finalize',
    ].map((w) => timelineWords(w) ?? ''),
    ...Object.values(STATE_WORDS),
    when('2026-12-06T10:00:00Z'),
  ];
  for (const s of sentences) assert.deepEqual(engineerWordsIn(s), [], s);
  // The list itself catches what the issue found in the client's view.
  for (const bad of [
    'preflight',
    'watch 1800s',
    'Latency p95',
    'all 3 rules passed',
    'dep-1a2b3c',
    'gate.window.wait',
    '2026-12-06T03:53:00Z',
    'slipway approve',
  ])
    assert.notDeepEqual(engineerWordsIn(bad), [], bad);
});

test("dates follow the reader's locale and time zone, the same in every view and chart", () => {
  const t = Date.parse('2026-12-08T10:00:05Z'); // a Tuesday
  const gb = { locale: 'en-GB', timeZone: 'Asia/Kolkata' }; // UTC+5:30
  const us = { locale: 'en-US', timeZone: 'America/New_York' }; // UTC-5
  assert.equal(dayTime(t, gb), 'Tue 8 Dec, 15:30');
  assert.equal(dayTime(t, us), 'Tue, Dec 8, 05:00 AM');
  assert.equal(weekday(t, gb), 'Tuesday');
  assert.equal(clockTime(t, us), '05:00 AM');
  // The chart's axis and legend: uPlot's own defaults would be US dates in any locale.
  assert.equal(clockSeconds(t, gb), '15:30:05');
  assert.equal(dateTimeSeconds(t, { locale: 'de-DE', timeZone: 'Europe/Berlin' }), '8. Dez., 11:00:05');
  // With nothing pinned, the process's (the browser's) own locale and zone.
  assert.equal(
    dayTime(t),
    new Date(t).toLocaleString(undefined, {
      weekday: 'short',
      day: 'numeric',
      month: 'short',
      hour: '2-digit',
      minute: '2-digit',
    }),
  );
});
