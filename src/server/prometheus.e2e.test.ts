/**
 * The server's `/metrics` (prom-client): refused without a token, and scraped by a real Prometheus
 * with a reader's token — deployments by outcome from the store, the notification queue, requests
 * by matched route.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type RunningPrometheus, startPrometheus } from '../analysis/metrics/prometheus/testing.ts';
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
  });
});
