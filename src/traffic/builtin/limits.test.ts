import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { test } from 'node:test';
import { freePort, startBackend } from '../testing.ts';
import { BuiltinRouter } from './router.ts';

async function routerWith(limits: { headTimeoutMs?: number; idleTimeoutMs?: number }) {
  const a = await startBackend('a');
  const router = new BuiltinRouter(limits);
  const port = await freePort();
  await router.apply({
    env: 'limits',
    listen: { host: '127.0.0.1', port },
    releases: [{ release: 'v1', weight: 100, backends: [a.backend] }],
  });
  return {
    port,
    async close() {
      await router.close();
      await a.close();
    },
  };
}

/** A raw client connection and everything it has read so far. */
async function client(port: number): Promise<{ socket: Socket; read: () => string }> {
  const socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  let text = '';
  socket.on('data', (c: Buffer) => {
    text += c.toString();
  });
  return { socket, read: () => text };
}

test('builtin limits: a head sent a byte at a time is cut with 408 at the head deadline, however busy the client looks', async (t) => {
  const r = await routerWith({ headTimeoutMs: 300, idleTimeoutMs: 5_000 });
  t.after(() => r.close());
  const { socket, read } = await client(r.port);
  const started = performance.now();
  const dribble = setInterval(() => socket.write('x'), 50);
  socket.write('GET / HTTP/1.1\r\nX-Slow: ');
  await once(socket, 'close');
  clearInterval(dribble);
  const took = performance.now() - started;
  assert.match(read(), /^HTTP\/1\.1 408 Request Timeout\r\n[\s\S]*longer than 300 ms/);
  assert.ok(took >= 290 && took < 3_000, `closed after ${took.toFixed(0)} ms`);
});

test('builtin limits: a kept-alive connection idle past its timeout is closed; one in use is not', async (t) => {
  const r = await routerWith({ idleTimeoutMs: 300 });
  t.after(() => r.close());
  const { socket, read } = await client(r.port);
  // A request slower than the idle timeout is waited for: the backend has its own, longer timeout.
  socket.write('GET /slow?ms=600 HTTP/1.1\r\nHost: x\r\n\r\n');
  const started = performance.now();
  await once(socket, 'close');
  const took = performance.now() - started;
  assert.match(read(), /^HTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\n1\r\na\r\n0\r\n\r\n$/);
  assert.ok(
    took >= 850,
    `closed ${took.toFixed(0)} ms after the request: the 600 ms answer, then 300 ms idle`,
  );
});
