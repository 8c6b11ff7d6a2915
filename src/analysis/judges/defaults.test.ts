import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { validateRules } from '../rules.ts';
import { businessDrop, DEFAULT_PROFILE, FAST_PROFILE, PROFILES } from './defaults.ts';

describe('default rollback triggers', () => {
  test('are the seed table, as data', () => {
    const byName = Object.fromEntries(DEFAULT_PROFILE.rollback.map((r) => [r.name, r]));
    assert.deepEqual(Object.keys(byName), [
      'error-rate',
      'latency-p95',
      'unhealthy-instances',
      'error-rate-sequential',
      'error-rate-vs-stable',
      'latency-p95-sequential',
      'latency-vs-stable',
    ]);
    // beside them, sequential tests that fail early, sharing α = 1%: a third for each error-rate
    // test, a sixth for each latency test
    assert.deepEqual(
      ['error-rate-sequential', 'error-rate-vs-stable', 'latency-p95-sequential', 'latency-vs-stable'].map(
        (n) => {
          const r = byName[n] as { kind: string; alpha: number; above?: number; maxRatio?: number };
          return [r.kind, Number(r.alpha.toFixed(6)), r.above ?? r.maxRatio ?? null];
        },
      ),
      [
        ['sequential', 0.003333, 0.05],
        ['sequential-vs-baseline', 0.003333, null],
        ['sequential-latency', 0.001667, 2],
        ['sequential-latency-pairs', 0.001667, 1.25],
      ],
    );
    // error rate above 5% within 10 minutes
    assert.deepEqual(byName['error-rate'], {
      kind: 'threshold',
      name: 'error-rate',
      metric: 'error_rate',
      above: 0.05,
      windowMs: 600_000,
      minCount: 50,
      shownAt: 0.999,
      unit: 'ratio',
    });
    // p95 above 2× baseline for 5 minutes
    assert.deepEqual(
      [
        byName['latency-p95']?.kind,
        (byName['latency-p95'] as { maxRatio: number }).maxRatio,
        byName['latency-p95']?.forMs,
      ],
      ['ratio', 2, 300_000],
    );
    // more than 30% of instances failing health checks
    assert.deepEqual(
      [(byName['unhealthy-instances'] as { above: number }).above, byName['unhealthy-instances']?.provider],
      [0.3, 'runtime'],
    );
  });

  test('watch warnings: error rate 1.5×, latency 1.3×, both warn-only', () => {
    assert.deepEqual(
      DEFAULT_PROFILE.watch.map((r) => [r.name, r.severity, (r as { maxRatio: number }).maxRatio]),
      [
        ['watch-error-rate', 'warn', 1.5],
        ['watch-latency-p95', 'warn', 1.3],
      ],
    );
  });

  test('business drop: more than 20% below baseline', () => {
    assert.deepEqual(businessDrop('checkout_rate', { provider: 'prometheus' }), {
      kind: 'drop',
      name: 'checkout_rate-drop',
      metric: 'checkout_rate',
      maxDrop: 0.2,
      windowMs: 600_000,
      provider: 'prometheus',
    });
  });

  test('fast profile: same rules, 10 s windows, 1 s interval', () => {
    assert.equal(FAST_PROFILE.intervalMs, 1000);
    assert.deepEqual(
      FAST_PROFILE.rollback.map((r) => r.name),
      DEFAULT_PROFILE.rollback.map((r) => r.name),
    );
    const errorRate = FAST_PROFILE.rollback.find((r) => r.name === 'error-rate');
    const p95 = FAST_PROFILE.rollback.find((r) => r.name === 'latency-p95');
    assert.deepEqual([errorRate?.windowMs, p95?.forMs], [10_000, 10_000]);
  });

  test('every profile passes rule validation', () => {
    for (const p of Object.values(PROFILES)) {
      validateRules(p.rollback);
      validateRules(p.watch);
      validateRules([...p.rollback, businessDrop('orders')]);
    }
  });
});
