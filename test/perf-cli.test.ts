/**
 * `slipway perf ENV`: the performance step's stored figures, on this machine (the project's
 * store) and against a server (GET /api/performance, real HTTP and SQLite), with the paired
 * ratios when the previous release was measured side by side, and the overall ones otherwise.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parseConfig } from '../src/config/load.ts';
import type { PerfRecord } from '../src/domain/performance.ts';
import { startTestServer, type TestServer } from '../src/server/testing.ts';
import { openStore } from '../src/store/factory.ts';
import { BACKENDS } from '../src/store/testing.ts';
import { tempDir } from '../src/testing.ts';
import { cli } from './cli-helpers.ts';

const CONFIG = `app: shop
run: { command: node server.js }
environments:
  staging: {}
  production: { after: staging }
`;
const figures = (p50: number, p95: number, errorRate = 0) => ({
  p50,
  p95,
  p99: p95 * 2,
  errorRate,
  requests: 900,
  rate: 100,
});
const FIRST: PerfRecord = {
  deploymentId: 'dep-1',
  app: 'shop',
  env: 'staging',
  releaseId: 'r1',
  version: '1.0.0',
  measuredAt: '2026-12-07T01:00:00.000Z',
  figures: figures(50, 80),
  baseline: null,
  verdict: 'first',
  summary: '1.0.0: first',
};
const SECOND: PerfRecord = {
  ...FIRST,
  deploymentId: 'dep-2',
  releaseId: 'r2',
  version: '1.1.0',
  measuredAt: '2026-12-07T02:00:00.000Z',
  figures: figures(66, 90, 0.004),
  baseline: {
    releaseId: 'r1',
    version: '1.0.0',
    how: 'side-by-side',
    figures: figures(51, 82),
    paired: { p50: 1.31, p95: 1.12, p99: 1.1, slices: 9 },
  },
  verdict: 'fail',
  summary: 'performance regression against 1.0.0',
};
const THIRD: PerfRecord = {
  ...SECOND,
  deploymentId: 'dep-3',
  releaseId: 'r3',
  version: '1.2.0',
  measuredAt: '2026-12-07T03:00:00.000Z',
  figures: figures(8.5, 12),
  baseline: { releaseId: 'r1', version: '1.0.0', how: 'recorded', figures: figures(10, 12) },
  verdict: 'pass',
};

const ROW = {
  third:
    /^1\.2\.0\s+2026-12-07 03:00:00\s+8\.50\s+12\.0\s+24\.0\s+0\.00%\s+900\s+pass\s+1\.0\.0 recorded: p50 0\.85x, p95 1\.00x$/m,
  second:
    /^1\.1\.0\s+2026-12-07 02:00:00\s+66\.0\s+90\.0\s+180\.0\s+0\.40%\s+900\s+fail\s+1\.0\.0 side by side: p50 1\.31x, p95 1\.12x$/m,
  first: /^1\.0\.0\s+2026-12-07 01:00:00\s+50\.0\s+80\.0\s+160\.0\s+0\.00%\s+900\s+first\s*$/m,
};

describe('slipway perf on this machine', () => {
  const dir = tempDir('slipway-perf-cli-');
  before(async () => {
    writeFileSync(join(dir.path, 'slipway.yaml'), CONFIG);
    const store = await openStore(undefined, dir.path);
    try {
      for (const r of [FIRST, SECOND, THIRD]) await store.performance.record(r);
    } finally {
      await store.close();
    }
  });
  after(() => dir.cleanup());

  test('newest first, figures, verdict and the ratio against the previous release', async () => {
    const r = await cli(dir.path, 'perf', 'staging');
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trimEnd().split('\n');
    assert.match(
      lines[0] ?? '',
      /^RELEASE\s+MEASURED\s+P50 MS\s+P95 MS\s+P99 MS\s+ERRORS\s+REQUESTS\s+VERDICT\s+AGAINST$/,
    );
    assert.match(lines[1] ?? '', ROW.third);
    assert.match(lines[2] ?? '', ROW.second);
    assert.match(lines[3] ?? '', ROW.first);
    const limited = await cli(dir.path, 'perf', 'staging', '--limit', '1');
    assert.equal(limited.stdout.trimEnd().split('\n').length, 2);
    const json = await cli(dir.path, '--json', 'perf', 'staging');
    assert.deepEqual(
      (JSON.parse(json.stdout) as PerfRecord[]).map((x) => [x.version, x.baseline?.paired?.p50 ?? null]),
      [
        ['1.2.0', null],
        ['1.1.0', 1.31],
        ['1.0.0', null],
      ],
    );
  });

  test('an environment without figures says where they come from; an unknown one is refused', async () => {
    const none = await cli(dir.path, 'perf', 'production');
    assert.equal(none.code, 0, none.stderr);
    assert.match(
      none.stdout,
      /^no performance figures for production yet; .*environments\.production\.performance/,
    );
    const unknown = await cli(dir.path, 'perf', 'qa');
    assert.equal(unknown.code, 2);
    assert.match(
      unknown.stderr,
      /ENV_NOT_FOUND.*qa: slipway\.yaml has no such environment; it has staging, production/,
    );
  });
});

describe('slipway perf against a server (GET /api/performance)', () => {
  const dir = tempDir('slipway-perf-remote-');
  let t: TestServer;
  const sqlite = BACKENDS.find((b) => b.name === 'sqlite');
  before(async () => {
    const loaded = parseConfig(CONFIG, 'slipway.yaml');
    assert.ok(loaded.ok);
    t = await startTestServer(sqlite as NonNullable<typeof sqlite>, {
      config: loaded.config,
      dataDir: join(dir.path, '.slipway'),
    });
    for (const r of [FIRST, SECOND]) await t.store.performance.record(r);
  });
  after(async () => {
    delete process.env.SLIPWAY_URL;
    delete process.env.SLIPWAY_TOKEN;
    await t.close();
    dir.cleanup();
  });

  test('the same table through the API, for a reader of the environment only', async () => {
    process.env.SLIPWAY_URL = t.url;
    process.env.SLIPWAY_TOKEN = await t.user('vic', [{ env: 'staging', role: 'viewer' }]);
    const r = await cli(dir.path, 'perf', 'staging');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, ROW.second);
    assert.match(r.stdout, ROW.first);
    const denied = await t.request('/api/performance?env=production', { token: process.env.SLIPWAY_TOKEN });
    assert.equal(denied.status, 403);
    const bad = await t.request('/api/performance', { token: t.admin });
    assert.equal(bad.status, 400);
    assert.match(((await bad.json()) as { error: { message: string } }).error.message, /env/);
  });
});
