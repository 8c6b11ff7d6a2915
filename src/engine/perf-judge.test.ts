import assert from 'node:assert/strict';
import { test } from 'node:test';
import { endpointOutside, rateOf } from '../config/performance.ts';
import type { PerfFigures } from '../domain/performance.ts';
import type { DeploymentContext } from './context.ts';
import { judge } from './perf-judge.ts';
import { figuresOf, pairedRatios, percentile } from './perf-load.ts';
import { createPerformanceRunner, loadTarget } from './performance.ts';

const fig = (p50: number, p95: number, errorRate = 0): PerfFigures => ({
  p50,
  p95,
  p99: p95 * 1.2,
  errorRate,
  requests: 1000,
  rate: 100,
});
const limits = { p50: 1.2, p95: 1.5, errorRate: 0.01, minDeltaMs: 2 };

test('the first release has nothing to compare with and says so', () => {
  const r = judge(fig(10, 20), null, limits, { version: '1.0.0' });
  assert.equal(r.verdict, 'first');
  assert.match(r.summary, /^1\.0\.0: p50 10\.0 ms, p95 20\.0 ms, .*nothing to compare with$/);
});

test('a regression beyond the ratio fails, both numbers shown; within it passes', () => {
  const base = { releaseId: 'r1', version: '1.0.0', how: 'recorded' as const, figures: fig(10, 20) };
  const slow = judge(fig(13, 21), base, limits, { version: '2.0.0' });
  assert.equal(slow.verdict, 'fail');
  assert.equal(
    slow.summary,
    'performance regression against 1.0.0 (its recorded figures): p50 13.0 ms vs 10.0 ms (1.30x, allowed 1.2x)',
  );
  assert.equal(judge(fig(11, 21), base, limits, { version: '2.0.0' }).verdict, 'pass');
});

test('paired slices decide over the overall figures; a tiny absolute difference never counts', () => {
  const base = {
    releaseId: 'r1',
    version: '1.0.0',
    how: 'side-by-side' as const,
    figures: fig(10, 20),
    paired: { p50: 1.05, p95: 1.1, p99: 1, slices: 9 },
  };
  // Overall 1.3x (one stall in the new run's slices), but slice by slice the same: passes.
  const r = judge(fig(13, 26), base, limits, { version: '2.0.0' });
  assert.equal(r.verdict, 'pass');
  assert.match(r.summary, /p50 13\.0 ms vs 10\.0 ms \(1\.05x over 9 paired slices, allowed 1\.2x\)/);
  const sub = { ...base, figures: fig(0.5, 1), paired: undefined };
  assert.equal(judge(fig(1, 2), sub, limits, { version: '2.0.0' }).verdict, 'pass', '2x of 0.5 ms is noise');
});

test('the error rate may rise by its allowance only', () => {
  const base = { releaseId: 'r1', version: '1.0.0', how: 'recorded' as const, figures: fig(10, 20, 0.001) };
  const r = judge(fig(10, 20, 0.05), base, limits, { version: '2.0.0' });
  assert.equal(r.verdict, 'fail');
  assert.match(r.summary, /errors 5\.00% vs 0\.10% \(allowed \+1\.00%\)/);
});

test('percentiles, figures and paired ratios', () => {
  const xs = Array.from({ length: 100 }, (_, i) => i + 1);
  assert.equal(percentile(xs, 50), 50);
  assert.equal(percentile(xs, 95), 95);
  const f = figuresOf([...xs], 25, 2);
  assert.equal(f.requests, 125);
  assert.equal(f.errorRate, 0.2);
  assert.equal(f.rate, 62.5);
  const slices = (k: number) => Array.from({ length: 5 }, () => xs.map((x) => x * k));
  assert.deepEqual(pairedRatios(slices(1.3), slices(1)), { p50: 1.3, p95: 1.3, p99: 1.3, slices: 5 });
  assert.equal(pairedRatios(slices(1).slice(0, 2), slices(1)), undefined, 'fewer than 3 slices');
});

test('rates and endpoints', () => {
  assert.equal(rateOf('200/s'), 200);
  assert.equal(rateOf(50), 50);
  assert.equal(rateOf('0/s'), null);
  assert.equal(rateOf('9000/s'), null);
  assert.equal(endpointOutside('/api', {}), undefined);
  assert.equal(endpointOutside('http://localhost:8080/x', { routerPort: 8080 }), undefined);
  assert.equal(
    endpointOutside('https://staging.example.com/x', { url: 'https://staging.example.com' }),
    undefined,
  );
  assert.match(
    endpointOutside('https://example.com/x', { routerPort: 8080 }) ?? '',
    /outside this environment/,
  );
  assert.match(endpointOutside('http://127.0.0.1:8081/', { routerPort: 8080 }) ?? '', /outside/);
});

test('the runner refuses load outside the environment at deploy time: nothing sent, nothing recorded', async () => {
  const recorded: unknown[] = [];
  const records = {
    record: async (r: unknown) => void recorded.push(r),
    latest: async () => undefined,
    list: async () => [],
  };
  const ctx = {
    app: 'shop',
    env: 'staging',
    listen: { host: '127.0.0.1', port: 8080 },
    release: { id: 'r2', version: '2.0.0' },
    stable: null,
    previewHeader: 'x-slipway-release',
    performance: {
      rate: 10,
      durationMs: 1000,
      connections: 1,
      endpoints: ['/', 'http://127.0.0.1:8081/admin'],
      limits,
    },
  } as unknown as DeploymentContext;
  const target = loadTarget(ctx);
  assert.ok('refused' in target);
  const result = await createPerformanceRunner({ records }).run(ctx, {
    deploymentId: 'd1',
    stableRunning: false,
  });
  assert.equal(result.ok, false);
  assert.match(
    result.ok ? '' : result.reason,
    /^environments\.staging\.performance\.endpoints: http:\/\/127\.0\.0\.1:8081 is outside this environment \(its addresses: http:\/\/127\.0\.0\.1:8080\).*nothing was sent or recorded$/,
  );
  assert.deepEqual(recorded, []);
});

test('a side with nothing counted is not judged; one with only errors is judged on errors', () => {
  const empty = { ...fig(0, 0, 1), requests: 0 };
  const base = { releaseId: 'r1', version: '1.0.0', how: 'side-by-side' as const, figures: empty };
  const r = judge(fig(15, 30), base, limits, { version: '2.0.0' });
  assert.equal(r.verdict, 'unjudged');
  assert.match(r.summary, /0 from 1\.0\.0 counted; raise duration or rate/);
  const onlyErrors = { ...base, figures: { ...fig(0, 0, 1), requests: 40 } };
  assert.equal(judge(fig(15, 30), onlyErrors, limits, { version: '2.0.0' }).verdict, 'pass');
});
