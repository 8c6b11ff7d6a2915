import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  type ChecklistFacts,
  checklistItems,
  evaluateChecklist,
  openRequired,
  SEED_CHECKLIST,
  tickable,
} from './checklist.ts';

const facts: ChecklistFacts = {
  ci: 'passed',
  previous: { env: 'staging', withinMs: 86_400_000, succeededAt: '2026-03-25T09:00:00.000Z' },
  rollbackTo: '1.3.0',
  migrationsDeclared: false,
  drift: { previous: 'staging', warnings: [] },
  flags: { previous: 'staging', differences: [] },
  monitoring: true,
  smoke: true,
};
const tick = (item: string, user = 'bob') => ({
  deploymentId: 'dep-1',
  item,
  user,
  note: null,
  at: '2026-03-25T10:00:00.000Z',
});

test('no checklist: block means no checklist; the seed template is the default', () => {
  assert.deepEqual(checklistItems(undefined), []);
  const items = checklistItems({ template: 'seed', previousWithin: 1 });
  assert.deepEqual(
    items.map((i) => `${i.phase}:${i.id}`),
    SEED_CHECKLIST.map((i) => `${i.phase}:${i.id}`),
  );
  // The seeds' 16 items plus the config drift check and the flag drift check.
  assert.equal(items.length, 18);
});

test('the template is edited by skip and add; an added item replaces a seed one of the same id', () => {
  const items = checklistItems({
    template: 'seed',
    previousWithin: 1,
    skip: ['stakeholders-notified', 'runbook-updated'],
    add: [
      { id: 'db-backup', text: 'Database backup taken', phase: 'pre', required: true },
      { id: 'on-call-available', text: 'Pager handed over', phase: 'pre', required: false },
    ],
  });
  assert.deepEqual(
    items.filter((i) => i.phase === 'pre').map((i) => [i.id, i.required]),
    [
      ['ci-passed', true],
      ['previous-succeeded', true],
      ['migrations-tested', true],
      ['rollback-plan', true],
      ['config-drift', true],
      ['flags-match', false],
      ['monitoring-ready', true],
      ['db-backup', true],
      ['on-call-available', false],
    ],
  );
  assert.deepEqual(checklistItems({ template: 'none', previousWithin: 1 }), []);
});

test('automated items are judged from facts; manual items wait for a named tick', () => {
  const items = checklistItems({ template: 'seed', previousWithin: 1 });
  const states = evaluateChecklist(items, facts, [tick('stakeholders-notified')]);
  assert.deepEqual(
    states.filter((s) => s.phase === 'pre').map((s) => [s.id, s.done, s.detail, s.by ?? null]),
    [
      ['ci-passed', true, 'CI result: passed', null],
      ['previous-succeeded', true, 'succeeded in staging at 2026-03-25T09:00:00.000Z', null],
      ['migrations-tested', true, 'none declared', null],
      ['rollback-plan', true, 'previous release 1.3.0 is warm or redeployable', null],
      ['config-drift', true, 'no drift from staging', null],
      ['flags-match', true, 'flags as in staging', null],
      ['stakeholders-notified', true, 'ticked', 'bob'],
      ['monitoring-ready', true, 'rollbackIf/metrics configured; slipway measures the release', null],
      ['on-call-available', false, 'open', null],
    ],
  );
  assert.deepEqual(
    openRequired(states).map((s) => s.id),
    ['on-call-available'],
  );
});

test('failed automated items stay open even when ticked; declared migrations can be ticked', () => {
  const items = checklistItems({ template: 'seed', previousWithin: 1 });
  const bad: ChecklistFacts = {
    ...facts,
    ci: 'failed',
    previous: { env: 'staging', withinMs: 7_200_000, succeededAt: null },
    migrationsDeclared: true,
    drift: null,
    monitoring: false,
  };
  const states = evaluateChecklist(items, bad, [
    tick('ci-passed'),
    tick('on-call-available'),
    tick('stakeholders-notified'),
  ]);
  assert.deepEqual(
    openRequired(states).map((s) => [s.id, s.detail]),
    [
      ['ci-passed', 'CI result: failed'],
      ['previous-succeeded', 'no success of this digest in staging within the last 2 h'],
      [
        'migrations-tested',
        'not rehearsed: run `slipway migrations rehearse --env ENV --release VERSION` on a copy of the database',
      ],
      ['config-drift', 'the preflight has not checked the configuration yet'],
      ['monitoring-ready', 'no rollbackIf or metrics configured for this environment'],
    ],
  );
  const gone = evaluateChecklist(items, { ...facts, rollbackRunnable: false }, []);
  assert.equal(
    gone.find((s) => s.id === 'rollback-plan')?.detail,
    'the files of previous release 1.3.0 are gone; it could not be started again',
  );
  const ticked = evaluateChecklist(items, bad, [tick('migrations-tested', 'carol')]);
  assert.equal(ticked.find((s) => s.id === 'migrations-tested')?.by, 'carol');
});

test('"migrations tested" is done by a passing rehearsal of the release, open after a failed one', () => {
  const items = checklistItems({ template: 'seed', previousWithin: 1 });
  const rehearsal = {
    ok: true,
    env: 'production',
    by: 'alice',
    at: '2026-12-06T10:00:00Z',
    detail: 'passed, longest ACCESS EXCLUSIVE 12 ms (budget 2000 ms)',
  };
  const passed = evaluateChecklist(
    items,
    { ...facts, migrationsDeclared: true, migrationsRehearsed: rehearsal },
    [],
  );
  const item = passed.find((s) => s.id === 'migrations-tested');
  assert.equal(item?.done, true);
  assert.equal(
    item?.detail,
    'rehearsal on a copy of production by alice at 2026-12-06T10:00:00Z: passed, longest ACCESS EXCLUSIVE 12 ms (budget 2000 ms)',
  );
  const failed = evaluateChecklist(
    items,
    {
      ...facts,
      migrationsDeclared: true,
      migrationsRehearsed: { ...rehearsal, ok: false, detail: 'over the lock budget' },
    },
    [],
  );
  assert.equal(failed.find((s) => s.id === 'migrations-tested')?.done, false);
});

test('only manual items (and declared migrations) can be ticked; unknown ids are listed', () => {
  const items = checklistItems({ template: 'seed', previousWithin: 1 });
  assert.equal((tickable(items, 'on-call-available') as { id: string }).id, 'on-call-available');
  assert.equal(
    tickable(items, 'ci-passed'),
    '"ci-passed" is checked by slipway itself (ci); fix what it reports instead of ticking it',
  );
  assert.match(
    tickable(items, 'oncall') as string,
    /^no checklist item "oncall" \(items: ci-passed, previous-succeeded, /,
  );
  assert.equal(
    tickable([], 'x'),
    'no checklist item "x" (items: none; the environment declares no checklist:)',
  );
});

test('flags set differently from the previous environment leave the flag item open, naming them', () => {
  const items = checklistItems({ template: 'seed', previousWithin: 1 });
  const drifted = {
    ...facts,
    flags: {
      previous: 'staging',
      differences: ['new-checkout (state "ENABLED" in staging, "DISABLED" in production)'],
    },
  };
  const item = evaluateChecklist(items, drifted, []).find((s) => s.id === 'flags-match');
  assert.deepEqual(
    [item?.done, item?.detail],
    [
      false,
      '1 flag(s) differ from staging: new-checkout (state "ENABLED" in staging, "DISABLED" in production)',
    ],
  );
  assert.equal(
    openRequired(evaluateChecklist(items, drifted, [])).some((s) => s.id === 'flags-match'),
    false,
  );
});
