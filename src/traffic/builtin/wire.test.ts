/**
 * The built-in router at the byte level: raw requests a browser or fetch() would never send,
 * and the framing cases (pipelining, chunked bodies, HEAD, HTTP/1.0, 100-continue, bodies read
 * until close) that a byte-forwarding proxy must get exactly right.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { type AddressInfo, connect, createServer, type Server } from 'node:net';
import { after, before, test } from 'node:test';
import { freePort } from '../testing.ts';
import { BuiltinRouter } from './router.ts';

let router: BuiltinRouter;
let port: number;
let seen: { method: string; url: string; headers: IncomingMessage['headers']; body: string }[] = [];
let backend: Server;
let untilClose: Server;
/** The first and the latest bytes each connection to the raw backend carried. */
const rawConns: { first: string; last: string }[] = [];

function handle(req: IncomingMessage, res: ServerResponse): void {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks).toString();
    seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
    if (req.url === '/chunks') {
      res.writeHead(200, { 'content-type': 'text/plain', trailer: 'x-sum' });
      res.write('one,');
      res.write('two');
      res.addTrailers({ 'x-sum': '7' });
      res.end();
    } else if (req.url === '/hop') {
      res.writeHead(200, { connection: 'x-private', 'x-private': 'internal', 'x-public': 'yes' });
      res.end(JSON.stringify(req.headers));
    } else res.end(`${req.method} ${req.url} ${body}`);
  });
}

before(async () => {
  backend = createHttpServer(handle).listen(0, '127.0.0.1');
  await once(backend, 'listening');
  // A backend written byte by byte, for answers node:http would not give.
  untilClose = createServer((s) => {
    const conn = { first: '', last: '' };
    rawConns.push(conn);
    s.on('data', (c: Buffer) => {
      const text = c.toString('latin1');
      if (conn.first === '') conn.first = text;
      conn.last = text;
      if (text.startsWith('POST /early'))
        s.write('HTTP/1.1 413 Payload Too Large\r\ncontent-length: 0\r\n\r\n');
      else if (text.startsWith('GET /both'))
        s.write(
          'HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n',
        );
      else if (text.startsWith('GET /plain')) s.write('HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nplain');
      // No length, no chunks: the body ends when the connection closes.
      else if (text.startsWith('GET '))
        s.end('HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\n\r\nread until close');
      // anything else is the rest of a request body, which this backend ignores
    });
  }).listen(0, '127.0.0.1');
  await once(untilClose, 'listening');
  router = new BuiltinRouter();
  port = await freePort();
  const at = (s: Server) => (s.address() as AddressInfo).port;
  await router.apply({
    env: 'wire',
    listen: { host: '127.0.0.1', port },
    previewHeader: 'x-slipway-release',
    releases: [
      { release: 'v1', weight: 100, backends: [{ id: 'b', host: '127.0.0.1', port: at(backend) }] },
      { release: 'raw', weight: 0, backends: [{ id: 'c', host: '127.0.0.1', port: at(untilClose) }] },
    ],
  });
});

after(async () => {
  await router.close();
  backend.close();
  untilClose.close();
});

/** Writes `parts` one by one and reads until the router closes or `done(text)` holds. */
async function raw(
  parts: string[],
  done?: (text: string) => boolean,
): Promise<{ text: string; closed: boolean }> {
  const socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  let text = '';
  let closed = false;
  const finished = new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, 3000);
    socket.on('data', (c: Buffer) => {
      text += c.toString('latin1');
      if (done?.(text)) {
        clearTimeout(timer);
        resolve();
      }
    });
    socket.on('close', () => {
      closed = true;
      clearTimeout(timer);
      resolve();
    });
  });
  for (const p of parts) {
    socket.write(p);
    await new Promise((r) => setTimeout(r, 5));
  }
  await finished;
  socket.destroy();
  return { text, closed };
}

const count = (text: string, re: RegExp) => [...text.matchAll(re)].length;

test('wire: both Content-Length and Transfer-Encoding is a 400 that never reaches a backend', async () => {
  seen = [];
  const r = await raw([
    'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\n\r\n',
  ]);
  assert.match(r.text, /^HTTP\/1\.1 400 Bad Request\r\n/);
  assert.match(r.text, /both Transfer-Encoding and Content-Length/);
  assert.ok(r.closed, 'the connection is closed after a refused request');
  assert.deepEqual(seen, []);
});

test('wire: malformed heads get 400, an oversized one 431, HTTP/2.0 505', async () => {
  assert.match((await raw(['GET / HTTP/1.1\r\nHost : x\r\n\r\n'])).text, /^HTTP\/1\.1 400 .*not a token/s);
  assert.match((await raw(['GET / HTTP/1.1\n\n'])).text, /^HTTP\/1\.1 400 .*CRLF/s);
  const big = `GET / HTTP/1.1\r\nX-Big: ${'a'.repeat(17 * 1024)}\r\n\r\n`;
  assert.match((await raw([big])).text, /^HTTP\/1\.1 431 /);
  assert.match((await raw(['GET / HTTP/2.0\r\n\r\n'])).text, /^HTTP\/1\.1 505 /);
  assert.match((await raw(['CONNECT x:443 HTTP/1.1\r\n\r\n'])).text, /^HTTP\/1\.1 501 /);
});

test('wire: pipelined requests are answered in order on one connection', async () => {
  seen = [];
  const req = (path: string) => `GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`;
  const r = await raw([req('/1') + req('/2') + req('/3')], (t) => count(t, /GET \/\d/g) === 3);
  assert.deepEqual(
    [...r.text.matchAll(/GET (\/\d)/g)].map((m) => m[1]),
    ['/1', '/2', '/3'],
  );
  assert.equal(count(r.text, /HTTP\/1\.1 200 /g), 3);
  assert.ok(!r.closed);
});

test('wire: a chunked request body in pieces, and a chunked response with trailers, pass unchanged', async () => {
  seen = [];
  const r = await raw(
    [
      'POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nab',
      'cd\r\n3;ext=1\r\nefg\r\n0\r\n\r\n',
      'GET /chunks HTTP/1.1\r\nHost: x\r\n\r\n',
    ],
    (t) => t.includes('x-sum: 7\r\n\r\n'),
  );
  assert.equal(seen[0]?.body, 'abcdefg');
  assert.equal(seen[0]?.headers['transfer-encoding'], 'chunked');
  assert.match(r.text, /POST \/echo abcdefg/);
  assert.match(r.text, /transfer-encoding: chunked\r\n/i);
  assert.match(r.text, /\r\n4\r\none,\r\n3\r\ntwo\r\n0\r\nx-sum: 7\r\n\r\n$/);
});

test('wire: HEAD has no body and the connection goes on; HTTP/1.0 closes; 100-continue is answered', async () => {
  const head = await raw(['HEAD /h HTTP/1.1\r\nHost: x\r\n\r\nGET /after HTTP/1.1\r\nHost: x\r\n\r\n'], (t) =>
    t.includes('GET /after'),
  );
  assert.match(
    head.text,
    /^HTTP\/1\.1 200 OK\r\n[\s\S]*?\r\n\r\nHTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\nGET \/after $/,
  );
  const old = await raw(['GET /old HTTP/1.0\r\n\r\n']);
  assert.match(old.text, /connection: close\r\n[\s\S]*GET \/old $/);
  assert.ok(old.closed);
  assert.equal(seen.at(-1)?.headers.connection, 'close');
  const cont = await raw(
    ['POST /c HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n'],
    (t) => t.startsWith('HTTP/1.1 100 Continue\r\n\r\n'),
  );
  assert.equal(cont.text, 'HTTP/1.1 100 Continue\r\n\r\n');
});

test('wire: a body the backend ends by closing reaches the client, whose connection then closes', async () => {
  const r = await raw(['GET / HTTP/1.1\r\nHost: x\r\nx-slipway-release: raw\r\n\r\n']);
  assert.match(r.text, /^HTTP\/1\.1 200 OK\r\n[\s\S]*connection: close\r\n\r\nread until close$/);
  assert.ok(r.closed);
});

test('wire: hop-by-hop fields and the ones Connection names are removed both ways', async () => {
  seen = [];
  const r = await raw(
    [
      'GET /hop HTTP/1.1\r\nHost: x\r\nConnection: keep-alive, x-secret-hop\r\nX-Secret-Hop: 1\r\nKeep-Alive: 5\r\nTE: trailers\r\n\r\n',
    ],
    (t) => t.includes('}'),
  );
  const got = seen[0]!.headers;
  assert.equal(got['x-secret-hop'], undefined);
  assert.equal(got['keep-alive'], undefined);
  assert.equal(got.te, undefined);
  assert.match(r.text, /x-public: yes\r\n/i);
  assert.doesNotMatch(r.text, /x-private/i);
  assert.doesNotMatch(r.text, /^connection:/im);
});

test('wire: a client gone mid-request leaves the router serving the next one', async () => {
  const socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  socket.write('POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nonly part');
  await new Promise((r) => setTimeout(r, 30));
  socket.destroy();
  const r = await raw(['GET /next HTTP/1.1\r\nHost: x\r\n\r\n'], (t) => t.includes('GET /next'));
  assert.match(r.text, /^HTTP\/1\.1 200 OK/);
});

test('wire: a backend that answers before the body is all sent is not reused for the next request', async () => {
  rawConns.length = 0;
  const early = await raw([
    'POST /early HTTP/1.1\r\nHost: x\r\nx-slipway-release: raw\r\nContent-Length: 1000\r\n\r\nten bytes.',
  ]);
  assert.match(early.text, /^HTTP\/1\.1 413 /);
  assert.ok(
    early.closed,
    'the rest of the body cannot be told from a next request: the client connection closes',
  );
  const next = await raw(['GET /plain HTTP/1.1\r\nHost: x\r\nx-slipway-release: raw\r\n\r\n'], (t) =>
    t.endsWith('plain'),
  );
  assert.match(next.text, /^HTTP\/1\.1 200 OK/);
  assert.equal(rawConns.length, 2, 'the next request went on a connection of its own');
  assert.match(rawConns[1]!.first, /^GET \/plain /);
});

test('wire: a response with both Content-Length and chunked coding reaches the client without the length', async () => {
  const r = await raw(['GET /both HTTP/1.1\r\nHost: x\r\nx-slipway-release: raw\r\n\r\n'], (t) =>
    t.endsWith('0\r\n\r\n'),
  );
  assert.doesNotMatch(r.text, /content-length/i);
  assert.match(r.text, /Transfer-Encoding: chunked\r\n[\s\S]*\r\n\r\n5\r\nhello\r\n0\r\n\r\n$/);
});

test('wire: empty lines before a request line are skipped; the head goes on byte for byte', async () => {
  const head = 'GET /plain HTTP/1.1\r\nHost: x\r\nX-Case: MiXeD  \r\nx-slipway-release: raw\r\n';
  const r = await raw([`\r\n\r\n${head}\r\n`], (t) => t.endsWith('plain'));
  assert.match(r.text, /^HTTP\/1\.1 200 OK\r\n/);
  const sent = rawConns.find((c) => c.last.startsWith('GET /plain'))?.last ?? '';
  assert.ok(sent.startsWith(head), `forwarded: ${JSON.stringify(sent)}`);
  assert.match(sent, /\r\nx-forwarded-host: x\r\n/);
  assert.ok(sent.endsWith('\r\n\r\n'));
});
