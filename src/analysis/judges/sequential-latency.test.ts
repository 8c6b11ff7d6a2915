import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type AnalysisResult, analyze } from '../analyze.ts';
import { createFakeProvider } from '../metrics/fake-provider.ts';
import { DEFAULT_PROFILE } from './defaults.ts';
import { mulberry32 } from './seeded.ts';
import type { Anchor } from './sequential.ts';
import { judgeSequentialLatency, type LatencyCarry, quantileOf, slowerThan } from './sequential-latency.ts';
import { histogramOf, measuredLatencies } from './testing-latency.ts';

const measured = (latencies: readonly number[]) => measuredLatencies(latencies);
const RULE = { name: 'latency-p95-sequential', maxRatio: 2, floor: 50, alpha: 0.01 };
/** 60 ms ± 20%, like the example shop. */
const shop = (random: () => number, n: number, ms = 60) =>
  Array.from({ length: n }, () => ms * (0.8 + random() * 0.4));

test('a p95 from the histogram never lies below the true one; slow counts only whole buckets past the limit', () => {
  const h = histogramOf([10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 200, 300]);
  const p95 = quantileOf(h, 0.95)!;
  assert.ok(p95 >= 300 && p95 < 330, String(p95));
  assert.deepEqual(slowerThan(h, 100), { requests: 12, slow: 2 });
  assert.deepEqual(slowerThan(h, 250), { requests: 12, slow: 1 });
  // 100 ms itself is in a bucket that starts below 100: not certainly slower.
  assert.deepEqual(slowerThan(h, 99), { requests: 12, slow: 2 });
});

/**
 * One canary beside its stable release: at each of `looks` rounds both get `perLook` more requests,
 * the stable ones like the shop's, the canary's drawn by `draw`. Returns the look at which the test
 * failed, or undefined.
 */
function simulate(seed: number, looks: number, perLook: number, draw: (random: () => number) => number) {
  const random = mulberry32(seed);
  const stable: number[] = [];
  const latencies: number[] = [];
  const earlier: Anchor[] = [];
  let previous: LatencyCarry | undefined;
  for (let i = 0; i < looks; i++) {
    stable.push(...shop(random, perLook));
    for (let j = 0; j < perLook; j++) latencies.push(draw(random));
    const v = judgeSequentialLatency(RULE, measured(latencies), measured(stable), previous, earlier);
    if (v.verdict === 'fail') return i;
    previous = v.stats;
    earlier.push({ requests: v.stats!.requests!, errors: v.stats!.events!, index: i + 1 });
  }
  return undefined;
}

/** The shop's true p95: 60 ms × (0.8 + 0.95 × 0.4). */
const SHOP_P95 = 60 * 1.18;

test('H0 at the limit itself (5% of requests far slower than 2× the stable p95), 300 canaries looked at 120 times: false rollbacks ≤ α', () => {
  // 95% like the stable release, 5% far slower: the p95 sits exactly on the limit.
  const draw = (random: () => number) => (random() < 0.05 ? 1000 : 60 * (0.8 + random() * 0.4));
  let falseAlarms = 0;
  for (let seed = 1; seed <= 300; seed++) if (simulate(seed, 120, 20, draw) !== undefined) falseAlarms++;
  assert.ok(falseAlarms / 300 <= 0.01, `${falseAlarms} of 300`);
});

test("a healthy canary (the stable's latencies) is never failed; 3× slower is failed within a few looks of the stable's p95 being bounded", () => {
  for (let seed = 1; seed <= 20; seed++)
    assert.equal(
      simulate(seed, 120, 20, (r) => 60 * (0.8 + r() * 0.4)),
      undefined,
    );
  // The stable p95's bound exists from about 180 stable requests (look 9 at 20 a look).
  const looks = simulate(1, 120, 20, (r) => 180 * (0.8 + r() * 0.4));
  assert.ok(looks !== undefined && looks <= 12, `failed at look ${looks}`);
});

test('a slow tail (10% of requests 5× slower) is failed; every request exactly 2× slower is left to the ratio trigger; every request past 2× the stable p95 is failed', () => {
  const tail = simulate(2, 120, 20, (r) => (r() < 0.1 ? 300 : 60 * (0.8 + r() * 0.4)));
  assert.ok(tail !== undefined && tail <= 60, `failed at look ${tail}`);
  // Every request 2× slower: its p95 is on the 2× limit, which no test can tell from just under it.
  let failed = 0;
  for (let seed = 1; seed <= 20; seed++)
    if (simulate(seed, 120, 20, (r) => 120 * (0.8 + r() * 0.4)) !== undefined) failed++;
  assert.ok(failed <= 1, `${failed} of 20`);
  // Every request at least 2× the stable's p95 (bench/rollback-time.ts' `slow2x`): past the limit.
  for (let seed = 1; seed <= 20; seed++) {
    const at = simulate(seed, 120, 20, (r) => ((2 * SHOP_P95) / 0.8) * (0.8 + r() * 0.4));
    assert.ok(at !== undefined && at <= 15, `seed ${seed}: failed at look ${at}`);
  }
});

test("every limit set lies above 2× the stable release's true p95, and requests of a restarted router are not counted", () => {
  const random = mulberry32(5);
  const stable: number[] = [];
  const canary: number[] = [];
  let previous: LatencyCarry | undefined;
  for (let i = 0; i < 60; i++) {
    stable.push(...shop(random, 20));
    canary.push(...shop(random, 20));
    const v = judgeSequentialLatency(RULE, measured(canary), measured(stable), previous, []);
    if (v.stats?.limitMs !== undefined) assert.ok(v.stats.limitMs >= 2 * SHOP_P95, String(v.stats.limitMs));
    previous = v.stats;
  }
  const counted = previous!.requests!;
  // The router restarted: its counts start again from a few requests.
  const v = judgeSequentialLatency(RULE, measured([500, 500]), measured(stable), previous, []);
  assert.equal(v.stats?.requests, counted);
  assert.equal(v.verdict, 'pass');
});

test('without a histogram or enough baseline traffic it passes and leaves the ratio trigger to decide', () => {
  const none = judgeSequentialLatency(RULE, { phase: 'ok', value: 70, count: 500 }, undefined, undefined, []);
  assert.equal(none.verdict, 'pass');
  assert.match(none.reason, /no latency histogram for the new release; the fixed latency trigger decides/);
  const few = judgeSequentialLatency(RULE, measured([500, 500]), measured([60, 60]), undefined, []);
  assert.equal(few.verdict, 'pass');
  assert.match(few.reason, /too little traffic to the stable release to bound its p95 yet/);
});

test('through analyze with the default rules: a canary 3× slower is rolled back by the sequential test at once', async () => {
  const random = mulberry32(9);
  const provider = createFakeProvider();
  const runtime = createFakeProvider(
    { 'v2/unhealthy_instances': { phase: 'ok', value: 0, count: 4 } },
    'runtime',
  );
  const history: AnalysisResult[] = [];
  const base: number[] = [];
  const canary: number[] = [];
  let failed: AnalysisResult | undefined;
  for (let i = 1; i <= 20 && !failed; i++) {
    base.push(...shop(random, 20));
    canary.push(...shop(random, 20, 180));
    provider.set('v1', 'latency', measured(base));
    provider.set('v2', 'latency', measured(canary));
    for (const [release, n] of [
      ['v1', base.length],
      ['v2', canary.length],
    ] as const) {
      provider.set(release, 'error_rate', { phase: 'ok', value: 0, count: n });
      provider.set(release, 'p95', { phase: 'ok', value: release === 'v1' ? 70 : 210, count: n });
    }
    const r = await analyze({
      env: 'production',
      release: 'v2',
      baseline: { kind: 'release', release: 'v1' },
      // Without latency-vs-stable, which catches a 3× canary first (latency-vs-stable.test.ts).
      rules: DEFAULT_PROFILE.rollback.filter((r) => r.name !== 'latency-vs-stable'),
      providers: { builtin: provider, runtime },
      now: 1_000_000 + i * 250,
      since: 1_000_250,
      history,
    });
    history.push(r);
    if (r.verdict === 'fail') failed = r;
  }
  assert.ok(failed, 'never rolled back');
  assert.match(
    failed.reason,
    /^latency-p95-sequential: \d+ of \d+ requests .* slower than \d+ ms \(2× the stable release's p95, bounded above\)/,
  );
  // Each round set a limit from the stable release's traffic so far, never below 2× its true p95.
  const limits = history
    .flatMap((r) => r.outcomes.filter((o) => o.rule === 'latency-p95-sequential'))
    .map((o) => o.point.stats?.limitMs)
    .filter((v) => v !== undefined);
  assert.ok(limits.length > 0 && limits.every((l) => l >= 2 * SHOP_P95), String(limits));
});
