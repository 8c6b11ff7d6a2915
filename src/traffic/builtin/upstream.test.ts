import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startBackend } from '../testing.ts';
import { type UpstreamConn, type UpstreamFailure, UpstreamPool } from './upstream.ts';

test('upstream: a request whose backend moves no byte for the active timeout is cut by the sweep', async (t) => {
  const b = await startBackend('silent');
  t.after(() => b.close());
  const pool = new UpstreamPool('127.0.0.1', b.port);
  t.after(() => pool.close());
  const failed = Promise.withResolvers<UpstreamFailure>();
  const connected = Promise.withResolvers<UpstreamConn>();
  const conn = pool.take();
  conn.begin(
    {
      onConnect: (c) => {
        // Half a request: the backend waits for the rest and sends nothing.
        c.socket.write('GET /slow?ms=60000 HTTP/1.1\r\nHost: x\r\n');
        connected.resolve(c);
      },
      onHead: () => assert.fail('no answer expected'),
      onBody: () => assert.fail('no answer expected'),
      onEnd: () => assert.fail('no answer expected'),
      onFail: (f) => failed.resolve(f),
    },
    'GET',
    false,
  );
  await connected.promise;
  const now = Date.now();
  conn.checkSilence(now); // bytes moved since the last look: not silent yet
  conn.checkSilence(now + 299_000);
  assert.equal(conn.socket.destroyed, false);
  conn.checkSilence(now + 300_000);
  const f = await failed.promise;
  assert.deepEqual([f.connectFailed, f.responded, f.reason], [false, false, 'the backend stopped answering']);
});

test('upstream: a connection that moved bytes since the last sweep, or that is idle, is not cut', async (t) => {
  const b = await startBackend('busy');
  t.after(() => b.close());
  const pool = new UpstreamPool('127.0.0.1', b.port);
  t.after(() => pool.close());
  const conn = pool.take();
  const ended = Promise.withResolvers<void>();
  conn.begin(
    {
      onConnect: (c) => {
        c.socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
        c.requestSent = true;
      },
      onHead: () => {},
      onBody: () => {},
      onEnd: () => ended.resolve(),
      onFail: (f) => assert.fail(f.reason),
    },
    'GET',
    false,
  );
  await ended.promise;
  // Idle in the pool now: the idle timeout judges it, not the silence check.
  const now = Date.now();
  conn.checkSilence(now);
  conn.checkSilence(now + 600_000);
  assert.equal(conn.socket.destroyed, false);
  assert.equal(pool.idleCount, 1);
});
