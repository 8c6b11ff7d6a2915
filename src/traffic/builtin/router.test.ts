import assert from 'node:assert/strict';
import type { AddressInfo, Server } from 'node:net';
import { test } from 'node:test';
import { isAppError } from '../../domain/errors.ts';
import { runTrafficContract } from '../contract.case.test.ts';
import { freePort, load, startBackend } from '../testing.ts';
import { BuiltinRouter } from './router.ts';

/** A builtin router on a free port in front of one server, as the only backend of release v1. */
async function routerFor(server: Server, env: string): Promise<{ router: BuiltinRouter; port: number }> {
  const router = new BuiltinRouter();
  const port = await freePort();
  const backend = { id: env, host: '127.0.0.1', port: (server.address() as AddressInfo).port };
  await router.apply({
    env,
    listen: { host: '127.0.0.1', port },
    releases: [{ release: 'v1', weight: 100, backends: [backend] }],
  });
  return { router, port };
}

runTrafficContract({ name: 'builtin', create: () => new BuiltinRouter() });

test('builtin: no healthy backend is a 502 with a short plain message', async () => {
  const router = new BuiltinRouter();
  const port = await freePort();
  await router.apply({ env: 'e', listen: { host: '127.0.0.1', port }, releases: [] });
  const res = await fetch(`http://127.0.0.1:${port}/`);
  assert.equal(res.status, 502);
  assert.equal(res.headers.get('content-type'), 'text/plain');
  assert.equal(await res.text(), '502 no healthy backend for env "e"\n');
  await router.close();
});

test('builtin: prometheus text lists requests, failures and the latency histogram per release', async () => {
  const router = new BuiltinRouter();
  const a = await startBackend('a');
  const port = await freePort();
  const dead = await freePort();
  await router.apply({
    env: 'prod',
    listen: { host: '127.0.0.1', port },
    releases: [
      {
        release: 'v1',
        weight: 100,
        backends: [a.backend, { id: 'gone', host: '127.0.0.1', port: dead }],
      },
    ],
  });
  const r = await load(`http://127.0.0.1:${port}`, 10, { concurrency: 1 });
  assert.equal(r.failed, 0, 'the refused connection is retried on a');
  const text = router.prometheus();
  assert.match(text, /^slipway_requests_total\{env="prod",release="v1",code_class="2xx"\} 10$/m);
  assert.match(text, /^slipway_request_failures_total\{env="prod",release="v1"\} 1$/m);
  assert.match(text, /^slipway_request_duration_seconds_bucket\{env="prod",release="v1",le="\+Inf"\} 10$/m);
  assert.match(text, /^# TYPE slipway_request_duration_seconds histogram$/m);
  await router.close();
  await a.close();
});

test('builtin: a POST body reaches the backend after a refused connection is retried', async () => {
  const router = new BuiltinRouter();
  const { createServer } = await import('node:http');
  const echo = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => res.end(body));
  }).listen(0, '127.0.0.1');
  await new Promise((r) => echo.once('listening', r));
  const echoPort = (echo.address() as { port: number }).port;
  const port = await freePort();
  const dead = await freePort();
  await router.apply({
    env: 'p',
    listen: { host: '127.0.0.1', port },
    releases: [
      {
        release: 'v1',
        weight: 100,
        backends: [
          { id: 'dead', host: '127.0.0.1', port: dead },
          { id: 'echo', host: '127.0.0.1', port: echoPort },
        ],
      },
    ],
  });
  const res = await fetch(`http://127.0.0.1:${port}/`, { method: 'POST', body: 'payload-123' });
  assert.equal(await res.text(), 'payload-123');
  await router.close();
  echo.close();
});

test('builtin: cookie stickiness keeps each user on one release and follows the new release as it grows', async () => {
  const router = new BuiltinRouter();
  const [a, b] = [await startBackend('a'), await startBackend('b')];
  const port = await freePort();
  const state = (w: number) => ({
    env: 'c',
    listen: { host: '127.0.0.1', port },
    stickiness: { kind: 'cookie', name: 'uid' } as const,
    releases: [
      { release: 'v1', weight: 100 - w, backends: [a.backend] },
      { release: 'v2', weight: w, backends: [b.backend] },
    ],
  });
  const side = async (user: string) =>
    (
      await fetch(`http://127.0.0.1:${port}/`, { headers: { cookie: `theme=dark; uid=${user}` } })
    ).headers.get('x-backend');
  try {
    await router.apply(state(20));
    const users = Array.from({ length: 100 }, (_, i) => `u${i}`);
    const first = await Promise.all(users.map(side));
    assert.deepEqual(await Promise.all(users.map(side)), first);
    await router.apply(state(50));
    const later = await Promise.all(users.map(side));
    users.forEach((u, i) => {
      if (first[i] === 'b') assert.equal(later[i], 'b', `${u} flipped back to v1`);
    });
    assert.ok(first.includes('a') && first.includes('b'));
  } finally {
    await router.close();
    await Promise.all([a.close(), b.close()]);
  }
});

test('builtin: a listen port in use is an error naming it, and nothing is left running', async () => {
  const taken = await startBackend('taken');
  const router = new BuiltinRouter();
  await assert.rejects(
    router.apply({ env: 'p', listen: { host: '127.0.0.1', port: taken.port }, releases: [] }),
    (e: unknown) =>
      isAppError(e) && e.code === 'TRAFFIC_DRIVER_FAILED' && e.message.includes(`127.0.0.1:${taken.port}`),
  );
  await router.close();
  await taken.close();
});

test('builtin: a large response reaches a client that reads slowly, whole and in order', {
  timeout: 30_000,
}, async () => {
  // 16 MiB is more than the loopback socket buffers hold, so the proxy has to stop reading the
  // backend while the client is not reading (backpressure) and start again when it does.
  const { createServer, get } = await import('node:http');
  const { createHash } = await import('node:crypto');
  const chunk = Buffer.alloc(64 * 1024);
  const chunks = 256;
  const expected = createHash('sha256');
  for (let i = 0; i < chunks; i++) expected.update(chunk.fill(i % 251));
  const big = createServer((_req, res) => {
    res.writeHead(200, { 'content-length': String(chunk.length * chunks) });
    let i = 0;
    const more = () => {
      while (i < chunks) {
        if (!res.write(Buffer.from(chunk.fill(i++ % 251)))) return void res.once('drain', more);
      }
      res.end();
    };
    more();
  }).listen(0, '127.0.0.1');
  await new Promise((r) => big.once('listening', r));
  const { router, port } = await routerFor(big, 'big');
  try {
    const got = createHash('sha256');
    let bytes = 0;
    await new Promise<void>((resolve, reject) => {
      get(`http://127.0.0.1:${port}/`, (res) => {
        res.on('data', (c: Buffer) => {
          got.update(c);
          bytes += c.length;
          // Stop reading for a moment every 4 MiB.
          if (bytes % (4 << 20) < c.length) {
            res.pause();
            setTimeout(() => res.resume(), 100);
          }
        });
        res.on('end', resolve);
        res.on('error', reject);
      }).on('error', reject);
    });
    assert.equal(bytes, chunk.length * chunks);
    assert.equal(got.digest('hex'), expected.digest('hex'));
  } finally {
    await router.close();
    big.close();
  }
});

test('builtin: response header bytes outside ASCII reach the client unchanged', async () => {
  const { createServer, connect } = await import('node:net');
  const value = Buffer.from('日本 é', 'utf8');
  // A raw backend, so the header bytes are exactly these.
  const raw = createServer((s) => {
    s.once('data', () =>
      s.write(
        Buffer.concat([
          Buffer.from('HTTP/1.1 200 OK\r\ncontent-length: 2\r\nx-name: '),
          value,
          Buffer.from('\r\n\r\nok'),
        ]),
      ),
    );
  }).listen(0, '127.0.0.1');
  await new Promise((r) => raw.once('listening', r));
  const { router, port } = await routerFor(raw, 'h');
  try {
    const got = await new Promise<Buffer>((resolve, reject) => {
      const chunks: Buffer[] = [];
      const c = connect(port, '127.0.0.1', () =>
        c.write('GET / HTTP/1.1\r\nhost: h\r\nconnection: close\r\n\r\n'),
      );
      c.on('data', (d: Buffer) => chunks.push(d));
      c.on('end', () => resolve(Buffer.concat(chunks)));
      c.on('error', reject);
    });
    assert.ok(
      got.includes(Buffer.concat([Buffer.from('x-name: '), value, Buffer.from('\r\n')])),
      got.toString('latin1'),
    );
    assert.ok(got.subarray(got.length - 2).equals(Buffer.from('ok')));
  } finally {
    await router.close();
    raw.close();
  }
});
