/** Folding the hosts' answers into one: instances from every host, counts summed, a worse host named. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { EnvStatus, ReleaseMetricsView } from '../domain/data-plane.ts';
import { mergeMetrics, mergeStatus, worseThanPeers } from './merge.ts';

const view = (requests: number, failures: number, p95: number | null): ReleaseMetricsView => ({
  release: 'r2',
  windowMs: 60_000,
  requests,
  status: { '1xx': 0, '2xx': requests - failures, '3xx': 0, '4xx': 0, '5xx': failures },
  failures,
  latency: { p50: p95, p95, p99: p95 },
  latencyBounds: {
    p50: null,
    p95: p95 === null ? null : { low: p95 - 1, high: p95 + 1 },
    p99: null,
  },
});

const status = (healthy: boolean, states: ('healthy' | 'unhealthy')[]): EnvStatus => ({
  env: 'production',
  driver: 'builtin',
  listen: { host: '10.0.0.11', port: 8080 },
  healthy,
  updatedAt: '2026-12-06T10:00:00.000Z',
  releases: [
    {
      release: 'r2',
      weight: 100,
      app: 'shop',
      command: 'node server.js',
      vars: [],
      healthy,
      instances: states.map((state, i) => ({
        id: `i${i}`,
        release: 'r2',
        env: 'production',
        host: '127.0.0.1',
        port: 3000 + i,
        pid: 100 + i,
        state,
        restarts: 0,
        startedAt: '2026-12-06T10:00:00.000Z',
      })),
    },
  ],
});

test('the status lists every host instance under its host; one unhealthy host makes the fleet unhealthy', () => {
  const merged = mergeStatus('production', [
    { address: '10.0.0.11', value: status(true, ['healthy', 'healthy']) },
    { address: '10.0.0.12', value: status(false, ['healthy', 'unhealthy']) },
  ]);
  assert.equal(merged.healthy, false);
  assert.deepEqual(
    merged.releases[0]?.instances.map((i) => [i.id, i.host, i.state]),
    [
      ['10.0.0.11/i0', '10.0.0.11', 'healthy'],
      ['10.0.0.11/i1', '10.0.0.11', 'healthy'],
      ['10.0.0.12/i0', '10.0.0.12', 'healthy'],
      ['10.0.0.12/i1', '10.0.0.12', 'unhealthy'],
    ],
  );
  assert.equal(mergeStatus('production', []).healthy, false, 'no host answering is not healthy');
});

test('metrics are summed; a percentile is the request-weighted mean, its bounds the widest', () => {
  const merged = mergeMetrics('r2', [view(300, 3, 10), view(100, 1, 30), view(0, 0, null)]);
  assert.equal(merged.requests, 400);
  assert.equal(merged.failures, 4);
  assert.equal(merged.status['5xx'], 4);
  assert.equal(merged.latency.p95, 15);
  assert.deepEqual(merged.latencyBounds?.p95, { low: 9, high: 31 });
  assert.equal(merged.latencyBounds?.p50, null);
});

test('a host whose failure rate stands out from its peers is named; similar hosts and thin traffic are not', () => {
  const lines = worseThanPeers([
    { address: '10.0.0.11', value: view(200, 1, 10) },
    { address: '10.0.0.12', value: view(200, 2, 10) },
    { address: '10.0.0.13', value: view(200, 40, 10) },
  ]);
  assert.deepEqual(lines, [
    'host 10.0.0.13 serves r2 worse than its peers: 20% of 200 requests failed there, 0.8% on the other 2 hosts',
  ]);
  assert.deepEqual(
    worseThanPeers([
      { address: 'a', value: view(200, 12, 10) },
      { address: 'b', value: view(200, 10, 10) },
    ]),
    [],
  );
  assert.deepEqual(
    worseThanPeers([
      { address: 'a', value: view(10, 5, 10) },
      { address: 'b', value: view(200, 0, 10) },
    ]),
    [],
    'ten requests say little',
  );
});
