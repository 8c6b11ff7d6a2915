import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { createHttpProvider, pick } from './provider.ts';

/** A real metrics endpoint on 127.0.0.1 whose answer each test chooses by path. */
let server: Server;
let base: string;
const seen: { url: string; auth: string | undefined }[] = [];

before(async () => {
  server = createServer((req, res) => {
    seen.push({ url: req.url ?? '', auth: req.headers.authorization });
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (path === '/stats') {
      res.setHeader('content-type', 'application/json');
      res.end(
        JSON.stringify({
          data: { checkout: { rate: 0.031, orders: '412' }, empty: null, name: 'x' },
          items: [{ value: '7' }],
        }),
      );
    } else if (path === '/down') {
      res.statusCode = 503;
      res.end('upstream unavailable');
    } else if (path === '/html') {
      res.setHeader('content-type', 'text/html');
      res.end('<html><body>login</body></html>');
    } else if (path === '/slow') {
      setTimeout(() => res.end('{}'), 2000).unref();
    } else {
      res.statusCode = 404;
      res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const q = { env: 'staging', release: 'v2', metric: 'checkout', windowMs: 600_000, now: 0 };

describe('http metric provider (real HTTP on 127.0.0.1)', () => {
  test('picks the value by path, fills the URL template and sends headers', async () => {
    const p = createHttpProvider({
      url: `${base}/stats?env={{env}}&release={{release}}&window={{window}}`,
      path: 'data.{{metric}}.rate',
      countPath: 'data.{{metric}}.orders',
      headers: { authorization: 'Bearer s3cret' },
    });
    assert.deepEqual(await p.query(q), { phase: 'ok', value: 0.031, count: 412 });
    assert.deepEqual(seen.at(-1), { url: '/stats?env=staging&release=v2&window=10m', auth: 'Bearer s3cret' });
  });

  test('per-metric entries and array paths', async () => {
    const p = createHttpProvider({
      url: `${base}/none`,
      metrics: { items: { url: `${base}/stats`, path: 'items[0].value' } },
    });
    assert.deepEqual(await p.query({ ...q, metric: 'items' }), { phase: 'ok', value: 7 });
  });

  test('a missing path is nodata naming the URL and where the path ended', async () => {
    const p = createHttpProvider({ url: `${base}/stats`, path: 'data.signup.rate' });
    assert.deepEqual(await p.query(q), {
      phase: 'nodata',
      reason: `GET ${base}/stats: the answer has no data.signup (looking for data.signup.rate)`,
    });
  });

  test('null is nodata; a string that is not a number is an error', async () => {
    const p = createHttpProvider({
      url: `${base}/stats`,
      metrics: { a: { path: 'data.empty' }, b: { path: 'data.name' } },
    });
    assert.deepEqual(await p.query({ ...q, metric: 'a' }), {
      phase: 'nodata',
      reason: `GET ${base}/stats: data.empty is null`,
    });
    assert.deepEqual(await p.query({ ...q, metric: 'b' }), {
      phase: 'error',
      message: `GET ${base}/stats: data.name is "x", not a number`,
    });
  });

  test('non-2xx, non-JSON and timeouts are errors naming the URL; secrets in the URL are masked', async () => {
    const down = createHttpProvider({ url: `${base}/down?api_key=hunter2` });
    assert.deepEqual(await down.query(q), {
      phase: 'error',
      message: `GET ${base}/down?api_key=*** answered 503`,
    });
    const html = createHttpProvider({ url: `${base}/html` });
    assert.deepEqual(await html.query(q), {
      phase: 'error',
      message: `GET ${base}/html did not answer JSON (starts "<html><body>login</body></html>")`,
    });
    const slow = createHttpProvider({ url: `${base}/slow`, timeoutMs: 200 });
    assert.deepEqual(await slow.query(q), {
      phase: 'error',
      message: `GET ${base}/slow failed: no answer within 200 ms`,
    });
  });

  test('credentials in the URL are sent as Basic auth and never shown', async () => {
    const p = createHttpProvider({
      url: `http://shop:pa%20ss@${base.slice('http://'.length)}/stats`,
      path: 'data.checkout.rate',
    });
    assert.deepEqual(await p.query(q), { phase: 'ok', value: 0.031 });
    assert.equal(seen.at(-1)?.auth, `Basic ${Buffer.from('shop:pa ss').toString('base64')}`);
  });

  test('a refused connection is an error, not an exception', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const p = createHttpProvider({ url: `http://user:pw@127.0.0.1:${port}/stats` });
    assert.deepEqual(await p.query(q), {
      phase: 'error',
      message: `GET http://***@127.0.0.1:${port}/stats failed: ECONNREFUSED`,
    });
  });

  test('a typo in a placeholder fails at creation with METRIC_PROVIDER_INVALID', () => {
    assert.throws(() => createHttpProvider({ url: `${base}/stats?r={{relase}}` }), {
      code: 'METRIC_PROVIDER_INVALID',
      message:
        'metric provider http url: unknown placeholder {{relase}}; use {{env}}, {{release}}, {{metric}}, {{window}}, {{windowSeconds}}',
    });
  });
});

test('pick walks objects and arrays', () => {
  assert.deepEqual(pick({ a: [{ b: 1 }] }, 'a.0.b'), { found: true, value: 1 });
  assert.deepEqual(pick({ a: [{ b: 1 }] }, 'a[0].c'), { found: false, at: 'a.0.c' });
  assert.deepEqual(pick({ a: 1 }, 'a.toString'), { found: false, at: 'a.toString' });
});

test('http provider: a URL that is not http(s) fails at creation', () => {
  assert.throws(() => createHttpProvider({ url: 'stats.example/api', path: 'a' }), {
    code: 'METRIC_PROVIDER_INVALID',
    message:
      'metric provider http: url "<invalid URL>" is not an http(s) URL; use e.g. https://stats.example/api?release={{release}}',
  });
});
