import assert from 'node:assert/strict';
import { once } from 'node:events';
import { type AddressInfo, connect, createServer, Socket } from 'node:net';
import { test } from 'node:test';
import { withSharedReads } from './shared-reads.ts';

// Fails when a Node release stops taking the shared path: the router would still work (it falls
// back to stream reads, wire-fuzz.test.ts runs both) but would allocate a buffer per client read.
test('an accepted socket reads into the shared buffer, and the server closes when it does', async () => {
  const buffer = Buffer.alloc(1024);
  const reads: string[] = [];
  let adopted: Socket | null = null;
  const server = createServer({ pauseOnConnect: true }, (accepted) => {
    adopted = withSharedReads(accepted, {
      buffer,
      callback(length, buf) {
        assert.equal(buf, buffer);
        reads.push(Buffer.from(buf.subarray(0, length)).toString());
        adopted?.write('pong');
        return true;
      },
    });
    if (!adopted) accepted.destroy();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const client = connect((server.address() as AddressInfo).port, '127.0.0.1');
  client.write('ping');
  const [answer] = await once(client, 'data');
  assert.notEqual(adopted, null, 'this Node no longer lets an accepted socket read into a shared buffer');
  assert.equal(String(answer), 'pong');
  assert.deepEqual(reads, ['ping']);
  assert.ok((adopted! as Socket).remoteAddress, 'the new socket knows its peer');

  // net.Server counts the connection until the new socket closes: close() waits for it.
  let serverClosed = false;
  const closed = new Promise((resolve) => server.close(resolve)).then(() => {
    serverClosed = true;
  });
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(serverClosed, false, 'the server closed with a connection still open');
  client.end();
  await closed;
});

test('a socket without a handle is left as it is', () => {
  const socket = new Socket();
  assert.equal(withSharedReads(socket, { buffer: Buffer.alloc(16), callback: () => true }), null);
  assert.equal(socket.destroyed, false);
});
