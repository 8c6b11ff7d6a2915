import assert from 'node:assert/strict';
import { test } from 'node:test';
import { forwardHead } from './headers.ts';
import { isHeadError, parseRequestHead as parseRequestBytes, type RequestHead } from './http1/head.ts';

// The parsers read bytes; the cases are written as latin1 text (one byte per character).
const parseRequestHead = (text: string) => parseRequestBytes(Buffer.from(text, 'latin1'), 0, text.length);

function req(text: string): RequestHead {
  const h = parseRequestHead(text);
  assert.ok(!isHeadError(h), text);
  return h;
}

const ADDED = 'x-forwarded-for: 10.0.0.9\r\nx-forwarded-proto: http\r\n';

test('headers: a request head goes upstream byte for byte, with the proxy fields after it', () => {
  const f = forwardHead(
    req('GET /a?b HTTP/1.1\r\nHost: x:1\r\nX-Odd-Case:  v \t\r\nx-request-id: r1'),
    '10.0.0.9',
    false,
  );
  assert.equal(
    f.text,
    `GET /a?b HTTP/1.1\r\nHost: x:1\r\nX-Odd-Case:  v \t\r\nx-request-id: r1\r\n${ADDED}x-forwarded-host: x:1\r\n\r\n`,
  );
  assert.equal(f.requestId, 'r1');
  const bare = forwardHead(req('OPTIONS * HTTP/1.1'), '10.0.0.9', false);
  assert.match(
    bare.text,
    new RegExp(`^OPTIONS \\* HTTP/1\\.1\\r\\n${ADDED}x-request-id: ${bare.requestId}\\r\\n\\r\\n$`),
  );
});

test('headers: hop-by-hop and proxy fields are cut wherever they are, the lines around them kept as sent', () => {
  const head = req(
    'POST / HTTP/1.1\r\nConnection: X-Hop, keep-alive\r\nHost: h\r\nX-Forwarded-For: 1.1.1.1\r\nTE: trailers\r\n' +
      'A: 1\r\nX-Hop: secret\r\nKeep-Alive: 5\r\nx-forwarded-for: 2.2.2.2\r\nB: 2\r\nX-Forwarded-Proto: https',
  );
  const f = forwardHead(head, '10.0.0.9', false);
  assert.equal(
    f.text,
    'POST / HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\n' +
      'x-forwarded-for: 1.1.1.1, 2.2.2.2, 10.0.0.9\r\nx-forwarded-proto: http\r\nx-forwarded-host: h\r\n' +
      `x-request-id: ${f.requestId}\r\n\r\n`,
  );
  const first = forwardHead(req('GET / HTTP/1.0\r\nConnection: close\r\nHost: h'), '10.0.0.9', false);
  assert.equal(
    first.text,
    `GET / HTTP/1.0\r\nHost: h\r\n${ADDED}x-forwarded-host: h\r\nx-request-id: ${first.requestId}\r\nconnection: close\r\n\r\n`,
  );
  const last = forwardHead(req('GET / HTTP/1.1\r\nA: 1\r\nConnection: close'), '10.0.0.9', false);
  assert.equal(last.text, `GET / HTTP/1.1\r\nA: 1\r\n${ADDED}x-request-id: ${last.requestId}\r\n\r\n`);
  const all = forwardHead(req('GET / HTTP/1.1\r\nExpect: 100-continue\r\nUpgrade: x'), '10.0.0.9', false);
  assert.equal(all.text, `GET / HTTP/1.1\r\n${ADDED}x-request-id: ${all.requestId}\r\n\r\n`);
});

test('headers: an upgrade keeps its Connection and Upgrade, sent as the proxy writes them', () => {
  const f = forwardHead(
    req('GET /ws HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Key: k'),
    '10.0.0.9',
    true,
  );
  assert.equal(
    f.text,
    `GET /ws HTTP/1.1\r\nHost: h\r\nSec-WebSocket-Key: k\r\n${ADDED}x-forwarded-host: h\r\n` +
      `x-request-id: ${f.requestId}\r\nconnection: upgrade\r\nupgrade: websocket\r\n\r\n`,
  );
});
