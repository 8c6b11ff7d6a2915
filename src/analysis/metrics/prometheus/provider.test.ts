/**
 * The prometheus provider against a REAL Prometheus (Debian package `prometheus`) scraping a
 * small node:http exporter every second. Each scrape adds a fixed amount of traffic, so rates
 * and histogram quantiles have exact expected values.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { hasBinary, serviceSkip } from '../../../testing.ts';
import { analyze } from '../../analyze.ts';
import type { MetricProvider } from '../../contract.ts';
import type { AnalysisRule } from '../../rules.ts';
import { createPrometheusProvider, promString, readInstant } from './provider.ts';
import { freePort, type RunningPrometheus, startPrometheus } from './testing.ts';

const skip = serviceSkip('prometheus', hasBinary('prometheus'), 'apt-get install -y prometheus');

const BUCKETS = ['0.05', '0.1', '0.25', '0.5', '1', '+Inf'] as const;
/** Per scrape: requests by code class, and cumulative latency bucket counts. */
const TRAFFIC = {
  v1: { '2xx': 99, '5xx': 1, buckets: [50, 90, 99, 100, 100, 100] },
  v2: { '2xx': 90, '5xx': 10, buckets: [10, 40, 80, 97, 100, 100] },
  // Scraped but never increasing: its rates are 0 and their ratio NaN.
  v3: { '2xx': 0, '5xx': 0, buckets: [0, 0, 0, 0, 0, 0] },
} as const;

/** Counters start high so rate() extrapolation never clamps at zero. */
const START = 1_000_000;

function exporter(): Server {
  let scrapes = 0;
  return createServer((req, res) => {
    if (req.url !== '/metrics') {
      res.statusCode = 404;
      res.end();
      return;
    }
    scrapes++;
    const lines = [
      '# TYPE slipway_requests_total counter',
      '# TYPE slipway_request_duration_seconds histogram',
    ];
    for (const [release, t] of Object.entries(TRAFFIC)) {
      const labels = `env="staging",release="${release}"`;
      for (const cls of ['2xx', '5xx'] as const) {
        lines.push(`slipway_requests_total{${labels},code_class="${cls}"} ${START + t[cls] * scrapes}`);
      }
      BUCKETS.forEach((le, i) => {
        lines.push(
          `slipway_request_duration_seconds_bucket{${labels},le="${le}"} ${START + t.buckets[i]! * scrapes}`,
        );
      });
      lines.push(`slipway_request_duration_seconds_count{${labels}} ${START + t.buckets[5]! * scrapes}`);
    }
    res.setHeader('content-type', 'text/plain; version=0.0.4');
    res.end(`${lines.join('\n')}\n`);
  });
}

const sel = 'env="{{env}}",release="{{release}}"';
const QUERIES = {
  error_rate: {
    query: `sum(rate(slipway_requests_total{${sel},code_class="5xx"}[{{window}}])) / sum(rate(slipway_requests_total{${sel}}[{{window}}]))`,
    countQuery: `sum(increase(slipway_requests_total{${sel}}[{{window}}]))`,
  },
  p95: {
    query: `histogram_quantile(0.95, sum by (le) (rate(slipway_request_duration_seconds_bucket{${sel}}[{{window}}])))`,
    scale: 1000,
  },
  by_release: `sum by (release) (rate(slipway_requests_total{env="{{env}}"}[{{window}}]))`,
  broken: 'sum(rate(slipway_requests_total[{{window}}])',
} as const;

const q = (release: string, metric: string) => ({
  env: 'staging',
  release,
  metric,
  windowMs: 5000,
  now: Date.now(),
});
const close = (actual: number, expected: number, rel = 1e-6) =>
  assert.ok(Math.abs(actual - expected) <= Math.abs(expected) * rel, `${actual} is not ${expected}`);

describe('prometheus metric provider (real Prometheus)', { skip }, () => {
  let app: Server;
  let prom: RunningPrometheus;
  let provider: MetricProvider;

  before(async () => {
    app = exporter();
    await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
    const target = `127.0.0.1:${(app.address() as AddressInfo).port}`;
    prom = await startPrometheus({ targets: [target], scrapeIntervalS: 1 });
    provider = createPrometheusProvider({ url: prom.url, queries: QUERIES });
    // rate() over 5s needs two scrapes inside the window; wait for it, bounded.
    const deadline = Date.now() + 30_000;
    for (;;) {
      const m = await provider.query(q('v2', 'error_rate'));
      if (m.phase === 'ok') break;
      if (Date.now() > deadline)
        throw new Error(`prometheus has no rate for v2 after 30 s: ${JSON.stringify(m)}`);
      await sleep(250);
    }
  });

  after(async () => {
    await prom?.stop();
    app?.closeAllConnections();
    await new Promise<void>((resolve) => (app ? app.close(() => resolve()) : resolve()));
  });

  test('error rate of each release, with the request count', async () => {
    const v2 = await provider.query(q('v2', 'error_rate'));
    assert.equal(v2.phase, 'ok');
    if (v2.phase !== 'ok') return;
    close(v2.value, 0.1);
    assert.ok((v2.count ?? 0) >= 100, `count ${v2.count}`);
    const v1 = await provider.query(q('v1', 'error_rate'));
    assert.equal(v1.phase === 'ok' && Math.round(v1.value * 1e6) / 1e6, 0.01);
  });

  test('p95 from the histogram, scaled to ms', async () => {
    // v2: rank 95 falls in (0.25, 0.5]: 0.25 + (95 − 80) / (97 − 80) × 0.25 s
    const v2 = await provider.query(q('v2', 'p95'));
    assert.equal(v2.phase, 'ok');
    if (v2.phase === 'ok') close(v2.value, (0.25 + (15 / 17) * 0.25) * 1000);
    // v1: rank 95 falls in (0.1, 0.25]: 0.1 + (95 − 90) / (99 − 90) × 0.15 s
    const v1 = await provider.query(q('v1', 'p95'));
    if (v1.phase === 'ok') close(v1.value, (0.1 + (5 / 9) * 0.15) * 1000);
    else assert.fail(JSON.stringify(v1));
  });

  test('a release nobody scraped is nodata', async () => {
    const m = await provider.query(q('v9', 'p95'));
    assert.equal(m.phase, 'nodata');
    assert.match(
      m.phase === 'nodata' ? m.reason : '',
      /query histogram_quantile.*release="v9".* returned no series$/,
    );
  });

  test('0/0 (no requests in the window) is nodata, not a value', async () => {
    const m = await provider.query(q('v3', 'error_rate'));
    assert.deepEqual(
      m.phase === 'nodata' &&
        m.reason.endsWith('returned NaN (nothing to divide: no requests in the window?)'),
      true,
    );
  });

  test('several series is an error asking for an aggregation', async () => {
    const m = await provider.query(q('v2', 'by_release'));
    assert.equal(m.phase, 'error');
    assert.match(m.phase === 'error' ? m.message : '', /returned 3 series; aggregate it to one/);
  });

  test('a PromQL syntax error comes back as an error measurement with Prometheus explanation', async () => {
    const m = await provider.query(q('v2', 'broken'));
    assert.equal(m.phase, 'error');
    assert.match(
      m.phase === 'error' ? m.message : '',
      /^prometheus http:\/\/127\.0\.0\.1:\d+ query sum\(rate\(slipway_requests_total\[5s\]\) failed with bad_data: /,
    );
  });

  test('analyze() with the default-like rules fails v2 against v1 for both errors and latency', async () => {
    const rules: AnalysisRule[] = [
      {
        kind: 'threshold',
        name: 'error-rate',
        metric: 'error_rate',
        above: 0.05,
        windowMs: 5000,
        minCount: 50,
        unit: 'ratio',
      },
      {
        kind: 'ratio',
        name: 'latency-p95',
        metric: 'p95',
        maxRatio: 2,
        floor: 50,
        windowMs: 5000,
        unit: 'ms',
      },
    ];
    const input = {
      env: 'staging',
      rules,
      providers: { prometheus: provider },
      defaultProvider: 'prometheus',
    };
    const bad = await analyze({
      ...input,
      release: 'v2',
      baseline: { kind: 'release', release: 'v1' },
      now: Date.now(),
    });
    assert.equal(bad.verdict, 'fail');
    assert.deepEqual(
      bad.outcomes.map((o) => o.verdict.verdict),
      ['fail', 'fail'],
    );
    assert.match(
      bad.reason,
      /^error-rate is 10%, above 5%; latency-p95 is 471 ms, 2.57× baseline 183 ms, above the limit of 2×$/,
    );
    // The baseline judged against itself passes.
    const good = await analyze({
      ...input,
      release: 'v1',
      baseline: { kind: 'release', release: 'v1' },
      now: Date.now(),
    });
    assert.deepEqual([good.verdict, good.reason], ['pass', 'all 2 rules passed']);
  });

  test('an unknown metric names the configured ones', async () => {
    assert.deepEqual(await provider.query(q('v2', 'p99')), {
      phase: 'error',
      message:
        'the prometheus provider has no query for metric "p99"; configured: error_rate, p95, by_release, broken',
    });
  });
});

test('prometheus provider: an unreachable server is an error measurement', async () => {
  const port = await freePort();
  const p = createPrometheusProvider({
    url: `http://127.0.0.1:${port}`,
    queries: { up: 'up' },
    timeoutMs: 1000,
  });
  const m = await p.query(q('v2', 'up'));
  assert.equal(m.phase, 'error');
  const expected = new RegExp(
    `^GET http://127\\.0\\.0\\.1:${port}/api/v1/query\\?query=up&time=[\\d.]+ failed: ECONNREFUSED$`,
  );
  assert.match(m.phase === 'error' ? m.message : '', expected);
});

test('readInstant: scalar results, Inf and API errors', () => {
  assert.deepEqual(
    readInstant({ status: 'success', data: { resultType: 'scalar', result: [1, '2.5'] } }, 'q'),
    {
      ok: true,
      value: 2.5,
    },
  );
  assert.deepEqual(
    readInstant({ status: 'success', data: { resultType: 'vector', result: [{ value: [1, '+Inf'] }] } }, 'q'),
    {
      ok: false,
      m: { phase: 'error', message: 'q returned +Inf, not a finite number' },
    },
  );
  assert.deepEqual(readInstant({ status: 'error', errorType: 'timeout', error: 'query timed out' }, 'q'), {
    ok: false,
    m: { phase: 'error', message: 'q failed with timeout: query timed out' },
  });
});

test('promString escapes quotes and backslashes for label matchers', () => {
  assert.equal(promString('a"b\\c'), 'a\\"b\\\\c');
});

test('createPrometheusProvider rejects a typo in a placeholder', () => {
  assert.throws(
    () => createPrometheusProvider({ url: 'http://127.0.0.1:9090', queries: { p95: 'x{r="{{rel}}"}' } }),
    {
      code: 'METRIC_PROVIDER_INVALID',
    },
  );
});
