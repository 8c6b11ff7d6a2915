/** The state machine, Given/When/Then: each scenario checks the exact states and actions. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { advance, type EngineEvent, type EngineState, initialState, next } from './machine.ts';
import type { PlanStep } from './plan.ts';

const plan: PlanStep[] = [
  { kind: 'preflight' },
  { kind: 'start', count: 2 },
  { kind: 'shift', weight: 10 },
  { kind: 'pause', durationMs: null },
  { kind: 'shift', weight: 100 },
  { kind: 'watch', durationMs: 5000 },
  { kind: 'finalize' },
];

function given(events: EngineEvent[]): EngineState {
  return events.reduce(advance, initialState(plan, 0));
}
const ok = (at: number): EngineEvent[] => [
  { type: 'step-began', at },
  { type: 'step-succeeded', at },
];

test('a deployment walks its steps; begin is recorded before the step runs', () => {
  let s = initialState(plan, 0);
  assert.deepEqual(next(s, 0), { kind: 'begin', step: { kind: 'preflight' }, index: 0 });
  s = advance(s, { type: 'step-began', at: 1 });
  assert.deepEqual(next(s, 5), { kind: 'run', step: { kind: 'preflight' }, index: 0, elapsedMs: 4 });
  s = advance(s, { type: 'step-succeeded', at: 6 });
  assert.equal(s.step, 1);
  assert.equal(s.stepStartedAt, null);
  s = [...ok(7), ...ok(8)].reduce(advance, s);
  assert.equal(s.weight, 10);
  assert.equal(s.status, 'running');
});

test('pause until resumed: the step waits for a person, and resume ends it', () => {
  const s = given([...ok(1), ...ok(2), ...ok(3), { type: 'step-began', at: 4 }]);
  assert.equal(next(s, 100).kind, 'run');
  const paused = advance(s, { type: 'pause', at: 5, by: 'alice' });
  assert.deepEqual(next(paused, 6), { kind: 'idle' });
  const resumed = advance(paused, { type: 'resume', at: 50, by: 'bob' });
  assert.equal(resumed.status, 'running');
  assert.equal(resumed.step, 4, 'the pause step is over');
  assert.deepEqual(
    resumed.timeline.slice(-3).map((t) => t.what),
    ['paused by alice', 'resumed by bob', 'done: pause until resumed'],
  );
});

test('time paused inside a timed step does not count toward it', () => {
  let s = given([...ok(1), ...ok(2), ...ok(3), ...ok(4), ...ok(5), { type: 'step-began', at: 1000 }]);
  s = advance(s, { type: 'pause', at: 2000, by: 'a' });
  s = advance(s, { type: 'resume', at: 9000, by: 'a' });
  const action = next(s, 10_000);
  assert.deepEqual(action, {
    kind: 'run',
    step: { kind: 'watch', durationMs: 5000 },
    index: 5,
    elapsedMs: 2000,
  });
});

test('an unhealthy verdict after traffic moved rolls back, with the rule and numbers kept', () => {
  const s = given([
    ...ok(1),
    ...ok(2),
    ...ok(3),
    {
      type: 'unhealthy',
      at: 9,
      outcome: { reason: 'error rate 12% > 5%', rule: 'error-rate', observed: 0.12, threshold: 0.05 },
    },
  ]);
  assert.equal(s.status, 'rolling_back');
  assert.deepEqual(next(s, 10), { kind: 'rollback', endAs: 'rolled_back' });
  const done = advance(s, { type: 'rollback-done', at: 11 });
  assert.equal(done.status, 'rolled_back');
  assert.equal(done.weight, 0);
  assert.deepEqual(done.outcome, {
    reason: 'error rate 12% > 5%',
    rule: 'error-rate',
    observed: 0.12,
    threshold: 0.05,
  });
  assert.deepEqual(next(done, 12), { kind: 'done', status: 'rolled_back' });
  assert.deepEqual(
    advance(done, { type: 'resume', at: 13, by: 'x' }),
    done,
    'a finished deployment never changes',
  );
});

test('a failure before any traffic moved is a failed deployment, not a rollback', () => {
  const s = given([
    ...ok(1),
    { type: 'step-began', at: 2 },
    { type: 'step-failed', at: 3, outcome: { reason: 'instance 0 never became healthy' } },
  ]);
  assert.deepEqual(next(s, 4), { kind: 'rollback', endAs: 'failed' });
  assert.equal(advance(s, { type: 'rollback-done', at: 5 }).status, 'failed');
});

test('abort and manual rollback need no analysis and name who and why', () => {
  const aborted = given([...ok(1), { type: 'abort', at: 2, by: 'carol', reason: 'wrong build' }]);
  assert.deepEqual(aborted.outcome, { reason: 'wrong build', by: 'carol' });
  assert.equal(advance(aborted, { type: 'rollback-done', at: 3 }).status, 'aborted');
  const rolled = given([
    ...ok(1),
    ...ok(2),
    ...ok(3),
    { type: 'rollback', at: 4, by: 'dave', reason: 'customers complain' },
  ]);
  assert.deepEqual(next(rolled, 5), { kind: 'rollback', endAs: 'rolled_back' });
  assert.equal(
    advance(rolled, { type: 'unhealthy', at: 6, outcome: { reason: 'late' } }).outcome?.reason,
    'customers complain',
    'the first reason stays',
  );
});

test('the last step succeeding ends the deployment', () => {
  const before = given([...ok(1), ...ok(2), ...ok(3), ...ok(4), ...ok(5), ...ok(6)]);
  assert.equal(before.status, 'running');
  assert.deepEqual(next(before, 7), { kind: 'begin', step: { kind: 'finalize' }, index: 6 });
  const end = given([
    ...ok(1),
    ...ok(2),
    ...ok(3),
    { type: 'step-began', at: 4 },
    { type: 'pause', at: 4, by: 'a' },
    { type: 'resume', at: 5, by: 'a' },
    ...ok(6),
    ...ok(7),
    ...ok(8),
  ]);
  assert.equal(end.status, 'succeeded');
  assert.equal(end.weight, 100);
  assert.deepEqual(next(end, 9), { kind: 'done', status: 'succeeded' });
});
