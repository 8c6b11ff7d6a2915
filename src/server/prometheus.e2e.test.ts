/**
 * The server's `/metrics` (prom-client): refused without a token, and scraped by a real Prometheus
 * with a reader's token — deployments by outcome from the store, the notification queue, requests
 * by matched route, and recent deployments' events (annotations), step durations and verdicts.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type RunningPrometheus, startPrometheus } from '../analysis/metrics/prometheus/testing.ts';
import type { StoredState } from '../engine/stored-state.ts';
import { BACKENDS } from '../store/testing.ts';
import { hasBinary, serviceSkip, tempDir } from '../testing.ts';
import { seedDeployment, startTestServer, type TestServer } from './testing.ts';

const skip = serviceSkip('prometheus', hasBinary('prometheus'), 'apt-get install -y prometheus');
const backend = BACKENDS[0];

describe('server /metrics', { skip: skip || (backend ? false : 'no store backend selected') }, () => {
  let server: TestServer;
  let prom: RunningPrometheus | undefined;
  const dir = tempDir('slipway-server-metrics-');
  let reader: string;
  let rolledBack: { id: string; release: string; at: number };

  before(async () => {
    server = await startTestServer(backend as NonNullable<typeof backend>);
    for (let i = 0; i < 2; i++)
      await seedDeployment(server.store, { env: 'production', status: 'succeeded' });
    const running = await seedDeployment(server.store, { env: 'staging' });
    await server.store.notifications.enqueue([
      {
        id: 'msg_1',
        subscription: 'ops',
        event: 'deployment.started',
        app: 'shop',
        env: 'staging',
        deploymentId: running.id,
        payload: '{}',
      },
    ]);
    // A canary rolled back on production: its events, step durations and verdict become series.
    const bad = await seedDeployment(server.store, { env: 'production' });
    const t0 = Date.parse(bad.createdAt);
    const state = bad.state as StoredState;
    await server.store.updateDeployment(bad.id, bad.revision, {
      status: 'rolled_back',
      finishedAt: new Date(t0 + 9_000).toISOString(),
      state: {
        ...state,
        engine: {
          ...state.engine,
          timeline: [
            { at: t0, what: 'began: preflight' },
            { at: t0 + 1_000, what: 'began: start 1 instance(s)' },
            { at: t0 + 4_000, what: 'began: shift 50% of traffic' },
          ],
        },
        guard: { verdict: 'fail', reason: 'error-rate is 20%, above 5%', warnings: [] },
      },
    });
    rolledBack = { id: bad.id, release: bad.releaseId, at: (t0 + 9_000) / 1000 };
    reader = await server.user('grafana', [{ env: 'staging', role: 'viewer' }]);
  });
  after(async () => {
    await prom?.stop();
    await server?.close();
    dir.cleanup();
  });

  test('no token, no metrics; a reader gets the exposition format', async () => {
    assert.equal((await server.request('/metrics')).status, 401);
    await server.request('/api/deployments?limit=5', { token: reader });
    const r = await server.request('/metrics', { token: reader });
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    const text = await r.text();
    assert.match(text, /^slipway_deployments\{app="shop",env="production",status="succeeded"\} 2$/m);
    // Deployment events as Unix times (Grafana annotations), step durations, analysis verdicts.
    const labels = `app="shop",env="production",deployment="${rolledBack.id}"`;
    assert.match(
      text,
      new RegExp(
        `^slipway_deployment_event_timestamp_seconds\\{${labels},release="${rolledBack.release}",event="rolled_back"\\} ${rolledBack.at}$`,
        'm',
      ),
    );
    assert.match(
      text,
      new RegExp(`^slipway_deployment_step_duration_seconds\\{${labels},step="1",kind="start"\\} 3$`, 'm'),
    );
    assert.match(
      text,
      new RegExp(`^slipway_deployment_step_duration_seconds\\{${labels},step="2",kind="shift"\\} 5$`, 'm'),
    );
    assert.match(text, /^slipway_analysis_verdicts\{app="shop",env="production",verdict="fail"\} 1$/m);
    assert.match(text, /^slipway_deployments\{app="shop",env="staging",status="running"\} 1$/m);
    assert.match(text, /^slipway_notification_deliveries\{status="pending"\} 1$/m);
    assert.match(
      text,
      /^slipway_server_http_requests_total\{method="GET",route="\/api\/deployments",status="200"\} 1$/m,
    );
    // Refused before a route matched (no token): counted under route "other".
    assert.match(text, /^slipway_server_http_requests_total\{method="GET",route="other",status="401"\} 1$/m);
    assert.match(text, /^slipway_server_process_resident_memory_bytes \d+/m);
  });

  test('a real Prometheus scrapes it with the token', async () => {
    const tokenFile = join(dir.path, 'token');
    writeFileSync(tokenFile, reader, { mode: 0o600 });
    prom = await startPrometheus({
      targets: [new URL(server.url).host],
      scrapeIntervalS: 1,
      bearerTokenFile: tokenFile,
    });
    const query = `${prom.url}/api/v1/query?query=${encodeURIComponent('sum(slipway_deployments{status="succeeded"})')}`;
    const deadline = Date.now() + 30_000;
    let value: string | undefined;
    while (Date.now() < deadline) {
      const body = (await (await fetch(query)).json()) as { data: { result: { value: [number, string] }[] } };
      value = body.data.result[0]?.value[1];
      if (value !== undefined) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    assert.equal(value, '2');
    const up = `${prom.url}/api/v1/query?query=${encodeURIComponent('up')}`;
    const upBody = (await (await fetch(up)).json()) as { data: { result: { value: [number, string] }[] } };
    assert.equal(upBody.data.result[0]?.value[1], '1');
    // The annotation query a Grafana dashboard uses: the value is the event's time.
    const annotation = `${prom.url}/api/v1/query?query=${encodeURIComponent('slipway_deployment_event_timestamp_seconds{event="rolled_back"}')}`;
    const a = (await (await fetch(annotation)).json()) as {
      data: { result: { metric: Record<string, string>; value: [number, string] }[] };
    };
    assert.deepEqual(
      a.data.result.map((r) => [r.metric.deployment, Number(r.value[1])]),
      [[rolledBack.id, rolledBack.at]],
    );
  });
});
