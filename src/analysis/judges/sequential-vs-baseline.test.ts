import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type AnalysisResult, analyze } from '../analyze.ts';
import { createFakeProvider } from '../metrics/fake-provider.ts';
import { DEFAULT_PROFILE } from './defaults.ts';
import { binomial, mulberry32 } from './seeded.ts';
import { judgeSequentialVsBaseline, type PairPoint, twoSampleTest } from './sequential-vs-baseline.ts';

const ALPHA = 0.01;

/**
 * One canary beside its stable release: every 250 ms each side gets `perLook` requests, failing
 * with `newRate(look)` and `stableRate`. Returns the look at which the test rejected, or undefined.
 */
function simulate(
  seed: number,
  looks: number,
  perLook: number,
  newRate: (look: number) => number,
  stableRate: number,
) {
  const random = mulberry32(seed);
  const points: PairPoint[] = [];
  let c = { requests: 0, errors: 0 };
  let b = { requests: 0, errors: 0 };
  for (let i = 0; i < looks; i++) {
    c = { requests: c.requests + perLook, errors: c.errors + binomial(random, perLook, newRate(i)) };
    b = { requests: b.requests + perLook, errors: b.errors + binomial(random, perLook, stableRate) };
    points.push({ at: i * 250, current: c, baseline: b });
    if (twoSampleTest(points, 0, ALPHA).reject) return i;
  }
  return undefined;
}

test('H0 (the same error rate as stable, 2%), 400 seeded canaries looked at 240 times: false rollbacks ≤ α', () => {
  let falseAlarms = 0;
  for (let seed = 1; seed <= 400; seed++)
    if (simulate(seed, 240, 10, () => 0.02, 0.02) !== undefined) falseAlarms++;
  assert.ok(falseAlarms / 400 <= ALPHA, `${falseAlarms} of 400 canaries as good as stable rolled back`);
});

test('a canary failing 4% beside a stable release failing 1% is caught, though under a 5% limit', () => {
  let caught = 0;
  for (let seed = 1; seed <= 50; seed++)
    if (simulate(seed, 240, 10, () => 0.04, 0.01) !== undefined) caught++;
  assert.ok(caught >= 45, `caught ${caught} of 50`);
});

test('5% beside a stable release with no errors, 5 requests a side every 250 ms: caught within 14 s in most canaries; 5% beside 2% in few (too few requests to tell)', () => {
  let zero = 0;
  let two = 0;
  for (let seed = 1; seed <= 100; seed++) {
    if (simulate(seed, 56, 5, () => 0.05, 0) !== undefined) zero++;
    if (simulate(seed, 56, 5, () => 0.05, 0.02) !== undefined) two++;
  }
  // 82 of 100; with ratios up to 8 alone, 66 (an error beside none weighs 0.58 instead of 0.69).
  assert.ok(zero >= 75, `5% vs 0%: caught ${zero} of 100`);
  assert.ok(two <= 15, `5% vs 2%: caught ${two} of 100`);
});

test('a fault that starts after a healthy minute is caught by a restart, within seconds', () => {
  const look = simulate(7, 480, 10, (i) => (i >= 240 ? 0.2 : 0.01), 0.01);
  assert.ok(look !== undefined && look >= 240, `rejected at look ${look}`);
  assert.ok(look! - 240 <= 40, `${look! - 240} looks (250 ms each) after the fault`);
});

test('only traffic seen at the same time counts: stable-only stretches add no evidence', () => {
  // Stable alone for a while (frozen after cutover, or before the canary): its counts do not move
  // the canary's, and intervals where one side has no requests are skipped.
  const points: PairPoint[] = [
    { at: 0, current: { requests: 0, errors: 0 }, baseline: { requests: 10_000, errors: 0 } },
    { at: 1000, current: { requests: 100, errors: 10 }, baseline: { requests: 10_000, errors: 0 } },
  ];
  assert.equal(twoSampleTest(points, 0, ALPHA).reject, false);
});

test('the judge passes (never waits) without counts, and its stats survive JSON', () => {
  const v = judgeSequentialVsBaseline(
    { name: 'vs' },
    { phase: 'nodata', reason: 'none' },
    undefined,
    [],
    0,
    0,
  );
  assert.equal(v.verdict, 'pass');
  const w = judgeSequentialVsBaseline(
    { name: 'vs' },
    { phase: 'ok', value: 0.1, count: 100 },
    { phase: 'ok', value: 0.01, count: 100 },
    [],
    0,
    0,
  );
  assert.deepEqual(JSON.parse(JSON.stringify(w)), w);
});

test('through analyze with the default rules: a canary at 3% beside stable at 0.5% rolls back, under the 5% limit', async () => {
  const provider = createFakeProvider();
  const runtime = createFakeProvider(
    { 'v2/unhealthy_instances': { phase: 'ok', value: 0, count: 4 } },
    'runtime',
  );
  const history: AnalysisResult[] = [];
  const random = mulberry32(3);
  const c = { requests: 0, errors: 0 };
  const b = { requests: 0, errors: 0 };
  let failed: AnalysisResult | undefined;
  for (let i = 1; i <= 400 && !failed; i++) {
    c.requests += 25;
    c.errors += binomial(random, 25, 0.03);
    b.requests += 25;
    b.errors += binomial(random, 25, 0.005);
    provider.set('v2', 'error_rate', { phase: 'ok', value: c.errors / c.requests, count: c.requests });
    provider.set('v1', 'error_rate', { phase: 'ok', value: b.errors / b.requests, count: b.requests });
    provider.set('v2', 'p95', { phase: 'ok', value: 60, count: c.requests });
    provider.set('v1', 'p95', { phase: 'ok', value: 60, count: b.requests });
    const r = await analyze({
      env: 'production',
      release: 'v2',
      baseline: { kind: 'release', release: 'v1' },
      rules: DEFAULT_PROFILE.rollback,
      providers: { builtin: provider, runtime },
      now: 1_000_000 + i * 250,
      since: 1_000_250,
      history,
    });
    history.push(r);
    if (r.verdict === 'fail') failed = r;
  }
  assert.ok(failed, 'never rolled back');
  assert.match(failed.reason, /^error-rate-vs-stable: \d+ errors in \d+ requests .* failing more often/);
  // It counts from the analysis' first round: the window grows with it.
  assert.ok(provider.queries.some((q) => q.metric === 'error_rate' && q.windowMs < 600_000));
});
