import assert from 'node:assert/strict';
import { test } from 'node:test';
import { field, fieldList, isHeadError, parseRequestHead, parseResponseHead } from './head.ts';

test('head: a request head gives method, target, version and fields with their lines', () => {
  const text = 'GET /a?b=1 HTTP/1.1\r\nHost: x:1\r\nX-Tag:  spaced value \t\r\nx-tag: two';
  const h = parseRequestHead(text);
  assert.ok(!isHeadError(h));
  assert.deepEqual([h.method, h.target, h.minor], ['GET', '/a?b=1', 1]);
  assert.deepEqual(h.names, ['host', 'x-tag', 'x-tag']);
  assert.deepEqual(h.values, ['x:1', 'spaced value', 'two']);
  assert.equal(text.slice(h.lineStarts[1], h.lineEnds[1]), 'X-Tag:  spaced value \t');
  assert.equal(field(h, 'x-tag'), 'spaced value');
  assert.equal(fieldList(h, 'x-tag'), 'spaced value, two');
  assert.equal(field(h, 'nope'), undefined);
});

test('head: a request with no fields and an HTTP/1.0 one', () => {
  const h = parseRequestHead('OPTIONS * HTTP/1.0');
  assert.ok(!isHeadError(h));
  assert.deepEqual([h.method, h.target, h.minor, h.names.length], ['OPTIONS', '*', 0, 0]);
});

test('head: what a lenient parser would guess at is refused with its reason', () => {
  const cases: [string, number, RegExp][] = [
    ['GET / HTTP/1.1\r\nHost x', 400, /no colon/],
    ['GET / HTTP/1.1\r\nHost: a\r\n folded', 400, /no colon/],
    ['GET / HTTP/1.1\r\nHost: a\r\n X-Folded: b', 400, /not a token/],
    ['GET / HTTP/1.1\r\nHost : a', 400, /not a token/],
    ['GET / HTTP/1.1\r\n: a', 400, /not a token/],
    ['GET / HTTP/1.1\r\nX: a\rb', 400, /control character/],
    ['GET / HTTP/1.1\r\nX: a\nContent-Length: 5', 400, /control character/],
    ['GET / HTTP/1.1\r\nX: a\0', 400, /control character/],
    ['GET  / HTTP/1.1', 400, /request line/],
    ['GET /a b HTTP/1.1', 400, /request line/],
    ['G(T / HTTP/1.1', 400, /request line/],
    ['GET / HTTP/1.1 ', 400, /request line/],
    ['get\n/ HTTP/1.1', 400, /request line/],
    ['GET / HTTP/2.0', 505, /HTTP\/1\.0 and HTTP\/1\.1/],
  ];
  for (const [text, status, reason] of cases) {
    const h = parseRequestHead(text);
    assert.ok(isHeadError(h), JSON.stringify(text));
    assert.equal(h.error, status, JSON.stringify(text));
    assert.match(h.reason, reason, JSON.stringify(text));
  }
});

test('head: status lines with and without a reason phrase, and bad ones', () => {
  const ok = parseResponseHead('HTTP/1.1 204 No Content\r\nX-A: 1');
  assert.ok(!isHeadError(ok));
  assert.deepEqual([ok.status, ok.minor, ok.startLineEnd], [204, 1, 23]);
  const bare = parseResponseHead('HTTP/1.0 200');
  assert.ok(!isHeadError(bare));
  assert.deepEqual([bare.status, bare.minor], [200, 0]);
  const latin1 = parseResponseHead('HTTP/1.1 200 d\xe9j\xe0 vu');
  assert.ok(!isHeadError(latin1));
  for (const bad of ['HTTP/1.1 20 OK', 'HTTP/1.1 099 x', 'HTTP/2 200 OK', 'HTTP/1.1 200 OK\r\nA b']) {
    const h = parseResponseHead(bad);
    assert.ok(isHeadError(h), bad);
    assert.equal(h.error, 502);
  }
});
