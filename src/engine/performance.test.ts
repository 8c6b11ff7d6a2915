/**
 * The performance step against a real HTTP server answering two releases (told by the preview
 * header): a latency regression is measured twice before it fails the step, so one stall of a
 * busy machine does not roll a release back, while a release that is slower fails both runs.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { PerfRecord } from '../domain/performance.ts';
import type { DeploymentContext } from './context.ts';
import { WARMUP_REQUESTS, WARMUP_ROUND } from './perf-load.ts';
import { createPerformanceRunner } from './performance.ts';

const HEADER = 'x-slipway-release';
const RATE = 40;
const DURATION_MS = 2000;

describe('the performance step measures a latency regression again before it fails', () => {
  let server: Server;
  let port = 0;
  /** How long the new release takes for its n-th request (from 1). */
  let newDelay: (n: number) => number = () => 1;
  let newSeen = 0;
  before(async () => {
    server = createServer((req, res) => {
      const isNew = req.headers[HEADER] === 'r2';
      const ms = isNew ? newDelay(++newSeen) : 1;
      setTimeout(() => res.end('ok'), ms);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const run = async () => {
    newSeen = 0;
    const recorded: PerfRecord[] = [];
    const records = {
      record: async (r: PerfRecord) => void recorded.push(r),
      latest: async () => undefined,
      list: async () => [],
    };
    const ctx = {
      app: 'shop',
      env: 'staging',
      listen: { host: '127.0.0.1', port },
      release: { id: 'r2', version: '2.0.0' },
      stable: { id: 'r1', version: '1.0.0' },
      previewHeader: HEADER,
      performance: {
        rate: RATE,
        durationMs: DURATION_MS,
        connections: 2,
        endpoints: ['/'],
        limits: { p50: 1.5, p95: 3, errorRate: 0.01, minDeltaMs: 2 },
      },
    } as unknown as DeploymentContext;
    const result = await createPerformanceRunner({ records }).run(ctx, {
      deploymentId: 'd1',
      stableRunning: true,
    });
    return { result, recorded };
  };

  test('a release slower in both runs fails, saying the second run confirmed it', async () => {
    newDelay = () => 12;
    const { result, recorded } = await run();
    assert.equal(result.ok, false);
    assert.match(
      result.ok ? '' : result.reason,
      /^performance regression against 1\.0\.0 \(measured side by side\): p50 .*\(confirmed by a second run; the first read p50 /,
    );
    assert.equal(recorded.length, 1, 'one record: the deciding run');
    assert.equal(recorded[0]?.verdict, 'fail');
  });

  test('a slowness in the first run only is not a regression: the step passes and says why', async () => {
    // Slow after the first warm-up's 300 requests, through the first timed run (and one more warm-up
    // round, should noise extend the first warm-up), fast from the second warm-up on.
    const firstRun = WARMUP_REQUESTS + WARMUP_ROUND + RATE * (DURATION_MS / 1000);
    newDelay = (n) => (n > WARMUP_REQUESTS && n <= firstRun ? 12 : 1);
    const { result, recorded } = await run();
    assert.equal(result.ok, true, result.ok ? '' : result.reason);
    assert.match(
      result.ok ? result.note : '',
      /\(a first run read p50 .*; a second run did not confirm it\)/,
    );
    assert.equal(recorded[0]?.verdict, 'pass');
  });

  test('a release that starts slow is warmed until its median nears the previous release’s, then measured warm', async () => {
    // Cold for its first 600 requests (12 ms, as a JIT not yet optimising), warm after: 300 fixed
    // warm-up requests would measure it cold.
    newDelay = (n) => (n <= 600 ? 12 : 1);
    const { result } = await run();
    assert.equal(result.ok, true, result.ok ? '' : result.reason);
    assert.doesNotMatch(result.ok ? result.note : '', /second run/);
  });

  test('a release as fast as the previous one passes on the first run', async () => {
    newDelay = () => 1;
    const started = Date.now();
    const { result } = await run();
    assert.equal(result.ok, true, result.ok ? '' : result.reason);
    assert.doesNotMatch(result.ok ? result.note : '', /second run/);
    assert.ok(Date.now() - started < 2 * DURATION_MS + 3000, 'one timed run');
  });
});
