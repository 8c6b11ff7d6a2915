import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_PROFILE, FAST_PROFILE } from './judges/defaults.ts';
import { rulesFromRollbackIf } from './rollback-if.ts';
import { validateRules } from './rules.ts';

test('nothing said: the profile defaults', () => {
  assert.deepEqual(rulesFromRollbackIf(), DEFAULT_PROFILE.rollback);
  assert.deepEqual(rulesFromRollbackIf({}, FAST_PROFILE), FAST_PROFILE.rollback);
});

test('overrides the named fields, keeps the rest, false turns a trigger off, adds a business metric', () => {
  const rules = rulesFromRollbackIf({
    errorRate: { above: 0.02 },
    latency: { p95AboveBaseline: 1.5, forMs: 120_000 },
    unhealthyInstances: false,
    businessMetric: { metric: 'checkout_rate', provider: 'prometheus' },
  });
  validateRules(rules);
  assert.deepEqual(
    rules.map((r) => r.name),
    [
      'error-rate',
      'latency-p95',
      'error-rate-sequential',
      'error-rate-vs-stable',
      'latency-p95-sequential',
      'latency-vs-stable',
      'checkout_rate-drop',
    ],
  );
  assert.deepEqual(rules[0], { ...DEFAULT_PROFILE.rollback[0], above: 0.02 });
  assert.deepEqual(rules[1], { ...DEFAULT_PROFILE.rollback[1], maxRatio: 1.5, forMs: 120_000 });
  // The sequential tests follow their trigger's limit.
  assert.deepEqual(
    [(rules[2] as { above: number }).above, (rules[4] as { maxRatio: number }).maxRatio],
    [0.02, 1.5],
  );
  // The typical-request test keeps 1.25× under a stricter p95 limit, and loosens with a looser one.
  assert.equal((rules[5] as { maxRatio: number }).maxRatio, 1.25);
  const loose = rulesFromRollbackIf({ latency: { p95AboveBaseline: 3 } }).find(
    (r) => r.name === 'latency-vs-stable',
  );
  assert.equal((loose as { maxRatio: number }).maxRatio, 1.875);
  assert.deepEqual(rules[6], {
    kind: 'drop',
    name: 'checkout_rate-drop',
    metric: 'checkout_rate',
    maxDrop: 0.2,
    windowMs: 600_000,
    provider: 'prometheus',
  });
});

test('rollbackIf test: two-proportion and mann-whitney pick the statistical judges for their rule', () => {
  const rules = rulesFromRollbackIf({
    errorRate: { above: 0.05, withinMs: 60_000, test: 'two-proportion' },
    latency: { p95AboveBaseline: 2, test: 'mann-whitney' },
  });
  const errorRate = rules.find((r) => r.name === 'error-rate');
  const latency = rules.find((r) => r.name === 'latency-p95');
  assert.deepEqual(
    [errorRate?.kind, errorRate?.kind === 'proportions' && errorRate.minEffect, errorRate?.windowMs],
    ['proportions', 0.05, 60_000],
  );
  assert.deepEqual([latency?.kind, latency?.metric], ['mann-whitney', 'latency']);
  assert.equal(validateRules(rules), rules);
  // A fixed-sample test replaces its trigger's sequential tests too.
  assert.deepEqual(
    rules.map((r) => r.name),
    ['error-rate', 'latency-p95', 'unhealthy-instances'],
  );
});

test("rollbackIf alpha sets the statistical judges' level", () => {
  const rules = rulesFromRollbackIf({
    errorRate: { test: 'two-proportion', alpha: 0.05 },
    latency: { test: 'mann-whitney', alpha: 0.001 },
  });
  assert.deepEqual(
    rules.map((r) => [r.name, 'alpha' in r ? r.alpha : undefined]),
    [
      ['error-rate', 0.05],
      ['latency-p95', 0.001],
      ['unhealthy-instances', undefined],
    ],
  );
});

test('rollbackIf test: threshold and ratio keep the fixed-window triggers alone', () => {
  const rules = rulesFromRollbackIf({ errorRate: { test: 'threshold' }, latency: { test: 'ratio' } });
  assert.deepEqual(
    rules.map((r) => [r.name, r.kind]),
    [
      ['error-rate', 'threshold'],
      ['latency-p95', 'ratio'],
      ['unhealthy-instances', 'threshold'],
    ],
  );
  // Only the error-rate test changed: the latency's sequential test stays.
  assert.deepEqual(
    rulesFromRollbackIf({ errorRate: { test: 'threshold' } }).map((r) => r.name),
    ['error-rate', 'latency-p95', 'unhealthy-instances', 'latency-p95-sequential', 'latency-vs-stable'],
  );
});

test('rollbackIf test: sequential-only drops the fixed error-rate limit; its test then decides pass or inconclusive', () => {
  const rules = rulesFromRollbackIf({ errorRate: { above: 0.05, test: 'sequential-only' } });
  assert.deepEqual(
    rules.map((r) => r.name),
    [
      'latency-p95',
      'unhealthy-instances',
      'error-rate-sequential',
      'error-rate-vs-stable',
      'latency-p95-sequential',
      'latency-vs-stable',
    ],
  );
  const seq = rules.find((r) => r.name === 'error-rate-sequential');
  assert.deepEqual(
    [seq?.kind === 'sequential' && seq.onlyFails, seq?.kind === 'sequential' && seq.minCount],
    [false, 50],
  );
});
