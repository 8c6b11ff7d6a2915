import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import type { DeploymentContext } from './context.ts';
import { createSmokeChecker } from './smoke.ts';

/** A real endpoint that answers 503 `failures` times, then 200; it records the preview header. */
async function warmingUp(failures: number) {
  const seen: (string | undefined)[] = [];
  let calls = 0;
  const server = createServer((req, res) => {
    seen.push(req.headers['x-try'] as string | undefined);
    res.writeHead(calls++ < failures ? 503 : 200).end('ok');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as AddressInfo).port, seen, close: () => server.close() };
}

const ctx = (port: number, smoke: DeploymentContext['smoke']) =>
  ({
    listen: { host: '127.0.0.1', port },
    previewHeader: 'x-try',
    release: { id: 'rel-2', version: '2.0.0' },
    smoke,
  }) as unknown as DeploymentContext;

test('a smoke check is tried again after its delay, up to its retries, through the preview header', async () => {
  const app = await warmingUp(2);
  const pauses: number[] = [];
  const sleep = async (ms: number) => void pauses.push(ms);
  try {
    const checker = createSmokeChecker({ sleep });
    assert.deepEqual(await checker.run(ctx(app.port, [{ get: '/health', retries: 3, delayMs: 250 }])), {
      ok: true,
    });
    assert.deepEqual(pauses, [250, 250]);
    assert.deepEqual(app.seen, ['rel-2', 'rel-2', 'rel-2']);
    const none = await checker.run(ctx(app.port, [{ get: '/health', expect: 404, retries: 0 }]));
    assert.deepEqual(none, { ok: false, reason: 'GET /health answered 200, expected 404 (release 2.0.0)' });
  } finally {
    app.close();
  }
});

test('a smoke check that keeps failing says how often it was tried', async () => {
  const app = await warmingUp(100);
  try {
    const result = await createSmokeChecker({ sleep: async () => {} }).run(
      ctx(app.port, [{ get: '/health', retries: 1, delayMs: 100 }]),
    );
    assert.deepEqual(result, {
      ok: false,
      reason: 'GET /health answered 503, expected a non-5xx status (release 2.0.0, 2 tries 100 ms apart)',
    });
  } finally {
    app.close();
  }
});
