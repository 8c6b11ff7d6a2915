import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type AnalysisResult, analyze, snapshotBaseline } from './analyze.ts';
import type { MetricProvider } from './contract.ts';
import { DEFAULT_PROFILE, FAST_PROFILE } from './judges/defaults.ts';
import { createFakeProvider } from './metrics/fake-provider.ts';
import type { AnalysisRule } from './rules.ts';

const NOW = Date.UTC(2026, 10, 22, 10, 0, 0);
const ok = (value: number, count = 1000) => ({ phase: 'ok', value, count }) as const;

function healthy() {
  return createFakeProvider({
    'v2/error_rate': ok(0.01),
    'v1/error_rate': ok(0.01),
    'v2/p95': ok(150),
    'v1/p95': ok(140),
  });
}
const runtime = () => createFakeProvider({ 'v2/unhealthy_instances': ok(0, 4) }, 'runtime');

describe('analyze with the default rollback rules (fake providers)', () => {
  const base = {
    env: 'production',
    release: 'v2',
    baseline: { kind: 'release', release: 'v1' },
    now: NOW,
  } as const;

  test('all healthy → pass, every number kept', async () => {
    const builtin = healthy();
    const r = await analyze({
      ...base,
      rules: DEFAULT_PROFILE.rollback,
      providers: { builtin, runtime: runtime() },
    });
    assert.equal(r.verdict, 'pass');
    assert.equal(r.reason, 'all 7 rules passed');
    assert.deepEqual(r.warnings, []);
    assert.equal(r.baseline, 'v1');
    const p95 = r.outcomes.find((o) => o.rule === 'latency-p95');
    assert.deepEqual(p95?.measured, { new: ok(150), baseline: ok(140) });
    assert.deepEqual([p95?.point.observed, p95?.point.baseline, p95?.point.threshold], [150, 140, 280]);
    // error-rate is queried over its 10-minute window, p95 over 1 minute; the sequential tests
    // read the router's 10 minutes (error-rate-vs-stable and the latency test both releases).
    assert.deepEqual(builtin.queries.map((q) => `${q.release}/${q.metric}/${q.windowMs}`).sort(), [
      'v1/error_rate/600000',
      'v1/latency/600000',
      'v1/p95/60000',
      'v2/error_rate/600000',
      'v2/latency/600000',
      'v2/p95/60000',
    ]);
  });

  test('a result survives a JSON round trip unchanged, so it can be stored and reloaded as history', async () => {
    const builtin = healthy();
    builtin.set('v2', 'p95', ok(400));
    const r = await analyze({
      ...base,
      rules: DEFAULT_PROFILE.rollback,
      providers: { builtin, runtime: runtime() },
    });
    assert.deepEqual(JSON.parse(JSON.stringify(r)), r);
  });

  test('error rate above 5% → fail naming the rule', async () => {
    const builtin = healthy();
    builtin.set('v2', 'error_rate', ok(0.08));
    const r = await analyze({
      ...base,
      rules: DEFAULT_PROFILE.rollback,
      providers: { builtin, runtime: runtime() },
    });
    assert.equal(r.verdict, 'fail');
    // 8% over 1000 requests is shown above 5%: its 99.9% lower bound is 5.74%
    assert.equal(
      r.outcomes[0]?.verdict.reason,
      'error-rate is 8%, above 5% (over 1000 requests: at least 5.74% with 99.9% confidence)',
    );
    assert.match(r.reason, /^error-rate is 8%, above 5% .*; error-rate-sequential: 80 errors/);
  });

  test('a p95 breach fails only after it held for 5 minutes of history', async () => {
    const builtin = healthy();
    builtin.set('v2', 'p95', ok(400));
    const providers = { builtin, runtime: runtime() };
    const history: AnalysisResult[] = [];
    const verdicts: string[] = [];
    for (let minute = 0; minute <= 5; minute++) {
      const r = await analyze({
        ...base,
        now: NOW + minute * 60_000,
        rules: DEFAULT_PROFILE.rollback,
        providers,
        history,
      });
      history.push(r);
      verdicts.push(r.verdict);
    }
    assert.deepEqual(verdicts, [
      'inconclusive',
      'inconclusive',
      'inconclusive',
      'inconclusive',
      'inconclusive',
      'fail',
    ]);
    assert.match(history.at(-1)!.reason, /^latency-p95 breached for 5m \(6 measurements\)/);
  });

  test('no traffic to the new release → inconclusive naming what was missing, never pass', async () => {
    const builtin = createFakeProvider({ 'v1/p95': ok(140), 'v1/error_rate': ok(0.01) });
    const r = await analyze({
      ...base,
      rules: DEFAULT_PROFILE.rollback,
      providers: { builtin, runtime: runtime() },
    });
    assert.equal(r.verdict, 'inconclusive');
    assert.match(r.reason, /no data for the new release: the fake provider has no error_rate for v2/);
  });

  test('a provider that throws becomes an inconclusive verdict, not an exception', async () => {
    const broken: MetricProvider = {
      name: 'broken',
      query: async () => {
        throw new Error('socket hang up');
      },
    };
    const rules: AnalysisRule[] = [{ kind: 'threshold', name: 'errors', metric: 'error_rate', above: 0.05 }];
    const r = await analyze({ ...base, rules, providers: { builtin: broken } });
    assert.equal(r.verdict, 'inconclusive');
    assert.equal(
      r.reason,
      'measuring the new release failed: provider broken threw while measuring error_rate: socket hang up',
    );
  });

  test('a rule naming an unconfigured provider says which providers exist', async () => {
    const rules: AnalysisRule[] = [
      { kind: 'threshold', name: 'errors', metric: 'error_rate', above: 0.05, provider: 'prometheus' },
    ];
    const r = await analyze({ ...base, rules, providers: { builtin: healthy() } });
    assert.match(
      r.reason,
      /uses metric provider "prometheus", which is not configured \(configured: builtin\)/,
    );
  });

  test('fail wins over inconclusive', async () => {
    const builtin = healthy();
    builtin.set('v2', 'error_rate', ok(0.2));
    // no runtime provider → unhealthy-instances is inconclusive
    const r = await analyze({ ...base, rules: DEFAULT_PROFILE.rollback, providers: { builtin } });
    assert.equal(r.verdict, 'fail');
    assert.deepEqual(
      r.outcomes.map((o) => o.verdict.verdict),
      ['fail', 'pass', 'inconclusive', 'fail', 'pass', 'pass', 'pass'],
    );
  });

  test('malformed rules throw ANALYSIS_RULE_INVALID before anything is measured', async () => {
    const builtin = healthy();
    const rules = [{ kind: 'threshold', name: 'x', metric: 'error_rate' }] as AnalysisRule[];
    await assert.rejects(analyze({ ...base, rules, providers: { builtin } }), {
      code: 'ANALYSIS_RULE_INVALID',
      message: 'rule 0 (x): a threshold rule needs above or below',
    });
    assert.equal(builtin.queries.length, 0);
  });
});

describe('watch window against a pre-deploy snapshot (fake providers)', () => {
  test('warnings are listed but do not fail the analysis', async () => {
    const builtin = createFakeProvider({ 'v1/error_rate': ok(0.02), 'v1/p95': ok(100) });
    const snapshot = await snapshotBaseline({
      env: 'staging',
      release: 'v1',
      rules: FAST_PROFILE.watch,
      providers: { builtin },
      now: NOW,
    });
    assert.deepEqual(snapshot, { error_rate: ok(0.02), p95: ok(100) });
    builtin.set('v2', 'error_rate', ok(0.035)); // 1.75× the baseline's 2%
    builtin.set('v2', 'p95', ok(120)); // 1.2×: no warning
    const r = await analyze({
      env: 'staging',
      release: 'v2',
      baseline: { kind: 'snapshot', values: snapshot },
      rules: [
        ...FAST_PROFILE.watch,
        { kind: 'threshold', name: 'errors', metric: 'error_rate', above: 0.05 },
      ],
      providers: { builtin },
      now: NOW + 5000,
    });
    assert.equal(r.verdict, 'pass');
    assert.deepEqual(r.warnings, ['watch-error-rate is 3.5%, 1.75× baseline 2%, above the limit of 1.5×']);
    assert.equal(r.baseline, 'pre-deploy snapshot');
  });

  test('a snapshot missing a metric is inconclusive for that rule', async () => {
    const builtin = createFakeProvider({ 'v2/p95': ok(100) });
    const r = await analyze({
      env: 'staging',
      release: 'v2',
      baseline: { kind: 'snapshot', values: {} },
      rules: [{ kind: 'ratio', name: 'p95', metric: 'p95', maxRatio: 2 }],
      providers: { builtin },
      now: NOW,
    });
    assert.deepEqual(
      [r.verdict, r.reason],
      ['inconclusive', 'no data for the baseline: the pre-deploy snapshot has no p95'],
    );
  });
});
