import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { test } from 'node:test';
import { freePort } from '../testing.ts';
import { BackendState } from './backend-state.ts';
import { BuiltinRouter } from './router.ts';

/** A backend that notes, for every request, its path and which client connection carried it. */
async function recordingBackend(
  onRequest?: (req: IncomingMessage, nth: number) => boolean,
): Promise<{ server: Server; port: number; seen: { path: string; conn: number }[] }> {
  const seen: { path: string; conn: number }[] = [];
  const ids = new WeakMap<Socket, number>();
  const counts = new WeakMap<Socket, number>();
  let next = 0;
  const server = createServer((req, res) => {
    const socket = req.socket;
    if (!ids.has(socket)) ids.set(socket, next++);
    const nth = (counts.get(socket) ?? 0) + 1;
    counts.set(socket, nth);
    seen.push({ path: req.url ?? '', conn: ids.get(socket)! });
    if (onRequest && !onRequest(req, nth)) return;
    res.end('ok');
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, port: (server.address() as AddressInfo).port, seen };
}

test('builtin: a weight-0 release gets its first request on the connection its health checks kept alive', async () => {
  const blue = await recordingBackend();
  const green = await recordingBackend();
  const router = new BuiltinRouter();
  const port = await freePort();
  await router.apply({
    env: 'e',
    listen: { host: '127.0.0.1', port },
    releases: [
      { release: 'blue', weight: 100, backends: [{ id: 'b', host: '127.0.0.1', port: blue.port }] },
      { release: 'green', weight: 0, backends: [{ id: 'g', host: '127.0.0.1', port: green.port }] },
    ],
    health: { path: '/health', intervalMs: 60_000, timeoutMs: 1000 },
  });
  assert.deepEqual(green.seen, [{ path: '/health', conn: 0 }], 'green got its first check only');
  await router.setWeights('e', { blue: 0, green: 100 });
  const res = await fetch(`http://127.0.0.1:${port}/first`);
  await res.text();
  assert.deepEqual(green.seen[1], { path: '/first', conn: 0 }, 'same connection as the health check');
  await router.close();
  blue.server.close();
  green.server.close();
});

test('builtin: a health check that meets a pooled connection the backend dropped is repeated on a new one', async (t) => {
  // The backend drops every connection at its second request without answering, as a backend
  // closing an idle keep-alive connection at the moment a request is sent on it would.
  const backend = await recordingBackend((req, nth) => {
    if (nth < 2) return true;
    req.socket.destroy();
    return false;
  });
  const state = new BackendState({ id: 'b', host: '127.0.0.1', port: backend.port });
  t.after(() => {
    state.drain();
    backend.server.close();
  });
  assert.equal(await state.check('/health', 1000), true);
  await new Promise((r) => setImmediate(r)); // the pool takes the connection back after the answer
  assert.equal(await state.check('/health', 1000), true, 'the dropped connection does not make it unhealthy');
  assert.deepEqual(
    backend.seen.map((s) => s.conn),
    [0, 0, 1],
    'second check: dropped on the kept connection, answered on a new one',
  );
  assert.equal(state.healthy, true);
});

test('builtin: a health check answered 5xx, or not at all, marks the backend unhealthy', async () => {
  let status = 503;
  const backend = await recordingBackend();
  backend.server.removeAllListeners('request');
  backend.server.on('request', (_req, res) => {
    res.statusCode = status;
    res.end();
  });
  const state = new BackendState({ id: 'b', host: '127.0.0.1', port: backend.port });
  assert.equal(await state.check('/health', 1000), false);
  assert.equal(state.healthy, false);
  status = 200;
  assert.equal(await state.check('/health', 1000), true);
  state.drain();
  backend.server.close();
  const gone = new BackendState({ id: 'x', host: '127.0.0.1', port: await freePort() });
  assert.equal(await gone.check('/health', 1000), false, 'connection refused');
  gone.drain();
});
