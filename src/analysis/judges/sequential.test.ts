import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type AnalysisResult, analyze } from '../analyze.ts';
import { createFakeProvider } from '../metrics/fake-provider.ts';
import { rulesFromRollbackIf } from '../rollback-if.ts';
import { validateRules } from '../rules.ts';
import { SEQUENTIAL_WINDOW_MS } from './defaults.ts';
import { binomial, mulberry32 } from './seeded.ts';
import { type Anchor, anchorsOf, judgeSequential, logMixtureRatio, sequentialTest } from './sequential.ts';

const LIMIT = 0.05;
const ALPHA = 0.01;

/**
 * One simulated canary: `looks` measurements, `perLook` requests between them, the error rate of
 * look i given by `rate(i)`. Returns the number of requests seen when the test first rejected, or
 * undefined when it never did.
 */
function simulate(seed: number, looks: number, perLook: number, rate: (look: number) => number) {
  const random = mulberry32(seed);
  const earlier: Anchor[] = [];
  let now = { requests: 0, errors: 0 };
  for (let i = 0; i < looks; i++) {
    now = { requests: now.requests + perLook, errors: now.errors + binomial(random, perLook, rate(i)) };
    if (sequentialTest(now, earlier, LIMIT, ALPHA).reject) return now.requests;
    earlier.push({ ...now, index: i + 1 });
  }
  return undefined;
}

test('H0 at the limit itself (5% errors), 1000 seeded canaries looked at 60 times: false rollbacks ≤ α', () => {
  let falseAlarms = 0;
  for (let seed = 1; seed <= 1000; seed++)
    if (simulate(seed, 60, 100, () => LIMIT) !== undefined) falseAlarms++;
  assert.ok(falseAlarms / 1000 <= ALPHA, `${falseAlarms} of 1000 healthy canaries rolled back`);
});

test('a naive test looked at as often does exceed α (what the mixture guards against)', () => {
  // One-sided z-test of the cumulative rate against the limit at every look, z > 2.33 (α = 0.01 once).
  let falseAlarms = 0;
  for (let seed = 1; seed <= 1000; seed++) {
    const random = mulberry32(seed);
    let n = 0;
    let k = 0;
    for (let i = 0; i < 60; i++) {
      n += 100;
      k += binomial(random, 100, LIMIT);
      if ((k / n - LIMIT) / Math.sqrt((LIMIT * (1 - LIMIT)) / n) > 2.33) {
        falseAlarms++;
        break;
      }
    }
  }
  assert.ok(falseAlarms / 1000 > ALPHA, `${falseAlarms} of 1000`);
});

test('healthy noisy canaries (1% errors) are never rolled back over 500 seeded runs', () => {
  for (let seed = 1; seed <= 500; seed++)
    assert.equal(
      simulate(seed, 60, 100, () => 0.01),
      undefined,
      `seed ${seed}`,
    );
});

test('20% errors are caught within 200 requests in each of 500 seeded runs', () => {
  for (let seed = 1; seed <= 500; seed++) {
    const at = simulate(seed, 60, 10, () => 0.2);
    assert.ok(at !== undefined && at <= 200, `seed ${seed}: ${at}`);
  }
});

test('a fault after 3000 healthy requests is caught within 300 requests, thanks to the restarts', () => {
  for (let seed = 1; seed <= 200; seed++) {
    const at = simulate(seed, 400, 50, (i) => (i < 60 ? 0.005 : 0.2));
    assert.ok(at !== undefined && at - 3000 <= 300, `seed ${seed}: ${at}`);
  }
  // From the start alone (no restarts) the same evidence is diluted: 300 faulty requests after
  // 3000 healthy ones are not enough.
  assert.ok(logMixtureRatio(3300, 15 + 60, LIMIT) < Math.log(2 / ALPHA));
});

test('verdicts: fail on evidence, inconclusive above the limit without it, pass within it', () => {
  const rule = { name: 'error-rate', above: LIMIT };
  const m = (value: number, count: number) => ({ phase: 'ok' as const, value, count });
  assert.equal(judgeSequential(rule, m(0.3, 100), []).verdict, 'fail');
  assert.equal(judgeSequential(rule, m(0.07, 100), []).verdict, 'inconclusive');
  assert.equal(judgeSequential(rule, m(0.02, 100), []).verdict, 'pass');
  assert.match(judgeSequential(rule, m(0.02, 20), []).reason, /too little traffic: 20 requests/);
  assert.equal(judgeSequential(rule, { phase: 'nodata', reason: 'none' }, []).verdict, 'inconclusive');
  // The restart: 10 healthy rounds then a burst of errors that the whole count hides.
  const earlier = Array.from({ length: 10 }, (_, i) => ({
    requests: (i + 1) * 1000,
    errors: 0,
    index: i + 1,
  }));
  const v = judgeSequential(rule, m(40 / 10_100, 10_100), earlier);
  assert.equal(v.verdict, 'fail', v.reason);
  assert.match(v.reason, /40 errors in the last 100 requests/);
});

test('rollbackIf test: sequential, through analyze: history supplies the restarts', async () => {
  const all = rulesFromRollbackIf({ errorRate: { above: LIMIT, test: 'sequential' } });
  validateRules(all);
  const rules = all.filter((r) => r.name === 'error-rate-sequential');
  assert.deepEqual(rules[0], {
    kind: 'sequential',
    name: 'error-rate-sequential',
    metric: 'error_rate',
    above: LIMIT,
    alpha: 0.01 / 3,
    onlyFails: true,
    windowMs: SEQUENTIAL_WINDOW_MS,
    unit: 'ratio',
  });
  const provider = createFakeProvider();
  const history: AnalysisResult[] = [];
  const round = async (at: number, requests: number, errors: number) => {
    provider.set('v2', 'error_rate', { phase: 'ok', value: errors / requests, count: requests });
    const r = await analyze({
      env: 'production',
      release: 'v2',
      rules: [rules[0]!],
      providers: { builtin: provider },
      now: at,
      history,
    });
    history.push(r);
    return r;
  };
  for (let i = 1; i <= 10; i++) assert.equal((await round(i * 1000, i * 1000, 0)).verdict, 'pass');
  const r = await round(11_000, 10_100, 40);
  assert.equal(r.verdict, 'fail', r.reason);
  assert.equal(provider.queries.at(-1)?.windowMs, SEQUENTIAL_WINDOW_MS);
});

test('restarts sit on a one-second grid from the first round, whatever the interval or kept history', () => {
  const c = (requests: number) => ({ requests, errors: 0 });
  const points = [
    { at: 1500, counts: c(10) },
    { at: 1750, counts: c(20) },
    { at: 2600, counts: c(30) },
    { at: 5100, counts: c(40) },
  ];
  assert.deepEqual(
    anchorsOf(points, 1000).map((a) => [a.index, a.requests]),
    [
      [1, 10],
      [2, 30],
      [5, 40],
    ],
  );
  // Older rounds dropped from the history do not move the later restarts forward.
  assert.deepEqual(
    anchorsOf(points.slice(2), 1000).map((a) => a.index),
    [2, 5],
  );
});
