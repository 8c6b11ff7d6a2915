import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type AnalysisResult, analyze } from '../analyze.ts';
import { createFakeProvider } from '../metrics/fake-provider.ts';
import { DEFAULT_PROFILE } from './defaults.ts';
import { judgeLatencyVsStable, pairEvents } from './latency-vs-stable.ts';
import { mulberry32, normalSource } from './seeded.ts';
import { type Anchor, anchorsOf } from './sequential.ts';
import { bucketEdge, histogramOf as histogramWith, measuredLatencies } from './testing-latency.ts';

/** Bucket edges rounded to the microsecond, as the router reports them. */
const edge = (k: number) => Math.round(bucketEdge(k) * 1000) / 1000;
const _histogramOf = (latencies: readonly number[]) => histogramWith(latencies, edge);
const measured = (latencies: readonly number[]) => measuredLatencies(latencies, edge);
const RULE = { name: 'latency-vs-stable', maxRatio: 1.25, alpha: 0.0025 };

/**
 * A busy machine: the shop's 60 ms ± 20%, plus a queueing delay shared by both releases whose
 * tail is long (log-normal, median 10 ms; one request in twenty waits over 50 ms).
 */
function machine(random: () => number) {
  const normal = normalSource(random);
  return (serviceMs: number) => serviceMs * (0.8 + random() * 0.4) + Math.exp(Math.log(10) + normal());
}

/**
 * One canary beside its stable release, a round every 250 ms with `perLook` more requests each;
 * the canary's service time is `canaryMs(look)`. Returns the look at which the test failed.
 */
function simulate(seed: number, looks: number, perLook: number, canaryMs: (look: number) => number) {
  const random = mulberry32(seed);
  const delay = machine(random);
  const stable: number[] = [];
  const canary: number[] = [];
  const counts: { at: number; counts: { requests: number; errors: number } }[] = [];
  let previous: Readonly<Record<string, number>> | undefined;
  for (let i = 0; i < looks; i++) {
    const at = 1_000_000 + i * 250;
    for (let j = 0; j < perLook; j++) {
      stable.push(delay(60));
      canary.push(delay(canaryMs(i)));
    }
    const earlier: Anchor[] = anchorsOf(counts, 1_000_000);
    const v = judgeLatencyVsStable(RULE, measured(canary), measured(stable), previous, earlier, at);
    if (v.verdict === 'fail') return i;
    previous = v.stats;
    counts.push({ at, counts: { requests: v.stats!.pairs!, errors: v.stats!.events! } });
  }
  return undefined;
}

test('pairs count only requests certainly over maxRatio × their stable partner, in a seeded order', () => {
  assert.deepEqual(pairEvents([200, 210], [60, 70, 66], 1.25, 7), { pairs: 2, events: 2 });
  // 1.1^3 = 1.33× apart (three buckets) is certainly over 1.25×; two buckets (1.21×) is not.
  assert.deepEqual(pairEvents([edge(83)], [edge(80)], 1.25, 1), { pairs: 1, events: 0 });
  assert.deepEqual(pairEvents([edge(84)], [edge(80)], 1.25, 1), { pairs: 1, events: 1 });
  // Three times slower but by under MIN_EXTRA_MS (2 ms): not an event.
  assert.deepEqual(pairEvents([1.5], [0.5], 1.25, 1), { pairs: 1, events: 0 });
  assert.deepEqual(pairEvents([3], [0.5], 1.25, 1), { pairs: 1, events: 1 });
  const a = pairEvents([100, 200, 300, 400], [90, 150, 250, 350], 1.25, 3);
  assert.deepEqual(pairEvents([100, 200, 300, 400], [90, 150, 250, 350], 1.25, 3), a);
  assert.equal(a.pairs, 4);
});

test('healthy canaries (the same service time, a long-tailed shared delay), 200 looked at 240 times: none rolled back', () => {
  let falseAlarms = 0;
  for (let seed = 1; seed <= 200; seed++) if (simulate(seed, 240, 5, () => 60) !== undefined) falseAlarms++;
  assert.equal(falseAlarms, 0);
});

test('H0 near its edge (every request 1.2× slower): not rolled back; 2× slower: rolled back within a few dozen requests', () => {
  let failed = 0;
  for (let seed = 1; seed <= 50; seed++) if (simulate(seed, 240, 5, () => 72) !== undefined) failed++;
  assert.ok(failed <= 1, `${failed} of 50`);
  for (let seed = 1; seed <= 50; seed++) {
    const at = simulate(seed, 240, 5, () => 120);
    // 5 requests a look: the first 20 looks are the warm-up (100 requests, 5 s), 16 more are 80 pairs.
    assert.ok(at !== undefined && at >= 20 && at <= 36, `seed ${seed}: failed at look ${at}`);
  }
});

test('a release that starts cold (its first 100 requests 3× slower) is not rolled back once warm', () => {
  for (let seed = 1; seed <= 50; seed++) {
    const at = simulate(seed, 240, 5, (look) => (look < 20 ? 180 : 60));
    assert.equal(at, undefined, `seed ${seed}: failed at look ${at}`);
  }
});

test('under heavy traffic, a release cold for its first 3 s (a hundred requests in half a second) is not rolled back', () => {
  // 50 requests a look (200/s): the first 100 pass in two looks, the cold ones go on for twelve.
  for (let seed = 1; seed <= 50; seed++) {
    const at = simulate(seed, 80, 50, (look) => (look < 12 ? 180 : 60));
    assert.equal(at, undefined, `seed ${seed}: failed at look ${at}`);
  }
  // The same release slow for good is still caught, once the first 5 s are past.
  for (let seed = 1; seed <= 20; seed++) {
    const at = simulate(seed, 80, 50, () => 180);
    assert.ok(at !== undefined && at >= 20 && at <= 24, `seed ${seed}: failed at look ${at}`);
  }
});

test('a fault after 11 s healthy is caught from the restarts, within about a second of traffic', () => {
  for (let seed = 1; seed <= 20; seed++) {
    const at = simulate(seed, 120, 10, (look) => (look < 44 ? 60 : 150));
    assert.ok(at !== undefined && at >= 44 && at <= 48, `seed ${seed}: failed at look ${at}`);
  }
});

test('a restarted router or a missing histogram adds no pairs; the test then passes', () => {
  const stable = measured([60, 61, 62, 63]);
  const first = judgeLatencyVsStable(RULE, measured([60, 62]), stable, undefined, [], 1);
  assert.equal(first.verdict, 'pass');
  const restarted = judgeLatencyVsStable(RULE, measured([500]), stable, first.stats, [], 2);
  assert.equal(restarted.stats?.pairs, 0);
  const none = judgeLatencyVsStable(RULE, { phase: 'ok', value: 70, count: 5 }, stable, first.stats, [], 3);
  assert.equal(none.verdict, 'pass');
  assert.match(none.reason, /no latency histograms for both releases; the fixed latency trigger decides/);
});

test('through analyze with the default rules: a canary 2× slower is rolled back by latency-vs-stable', async () => {
  const random = mulberry32(9);
  const delay = machine(random);
  const provider = createFakeProvider();
  const runtime = createFakeProvider(
    { 'v2/unhealthy_instances': { phase: 'ok', value: 0, count: 4 } },
    'runtime',
  );
  const history: AnalysisResult[] = [];
  const base: number[] = [];
  const canary: number[] = [];
  let failed: AnalysisResult | undefined;
  for (let i = 1; i <= 40 && !failed; i++) {
    for (let j = 0; j < 5; j++) {
      base.push(delay(60));
      canary.push(delay(120));
    }
    provider.set('v1', 'latency', measured(base));
    provider.set('v2', 'latency', measured(canary));
    for (const [release, n] of [
      ['v1', base.length],
      ['v2', canary.length],
    ] as const) {
      provider.set(release, 'error_rate', { phase: 'ok', value: 0, count: n });
      provider.set(release, 'p95', { phase: 'ok', value: release === 'v1' ? 80 : 150, count: n });
    }
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
  assert.match(
    failed.reason,
    /^latency-vs-stable: \d+ of \d+ requests since the test started \(\d+(\.\d+)?%\) took over 1\.25× a stable request served at the same moment/,
  );
});
