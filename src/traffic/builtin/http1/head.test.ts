import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  field,
  fieldList,
  headEnd,
  isHeadError,
  parseRequestHead as parseRequestBytes,
  parseResponseHead as parseResponseBytes,
} from './head.ts';

// The parsers read bytes; the cases are written as latin1 text (one byte per character).
const parseRequestHead = (text: string) => parseRequestBytes(Buffer.from(text, 'latin1'), 0, text.length);
const parseResponseHead = (text: string) => parseResponseBytes(Buffer.from(text, 'latin1'), 0, text.length);

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

test('head: field names in any case come out lower-cased, the usual ones and others alike', () => {
  const text =
    'HTTP/1.1 200 OK\r\nContent-Length: 3\r\nCONTENT-TYPE:text/plain\r\nX-Custom-Thing: a\r\nkeep-alive: timeout=5\r\n' +
    'Kecp-Alive: x\r\nX-Empty:\r\nX-Tabs:\t a\tb \t\r\nHost: h';
  const h = parseResponseHead(text);
  assert.ok(!isHeadError(h));
  assert.deepEqual(h.names, [
    'content-length',
    'content-type',
    'x-custom-thing',
    'keep-alive',
    'kecp-alive',
    'x-empty',
    'x-tabs',
    'host',
  ]);
  assert.deepEqual(h.values, ['3', 'text/plain', 'a', 'timeout=5', 'x', '', 'a\tb', 'h']);
  for (let i = 0; i < h.names.length; i++)
    assert.equal(text.slice(h.lineStarts[i], h.lineEnds[i]).split(':')[0]!.toLowerCase(), h.names[i]);
});

test('head: a name that only looks like a usual one once its 0x20 bit is set is not taken for it', () => {
  // "^" | 0x20 is "~", "_" | 0x20 is DEL: no token folds onto a letter or "-" but its own upper case.
  const h = parseRequestHead('GET / HTTP/1.1\r\nHOS^: a\r\nTE: b\r\nT_: c');
  assert.ok(!isHeadError(h));
  assert.deepEqual(h.names, ['hos^', 'te', 't_']);
});

test('head: a bad line after good ones is refused with the same reason wherever it is', () => {
  const cases: [string, RegExp][] = [
    ['X: a\r\nY: b\rc', /control character/],
    ['X: a\r\nY: b\r', /control character/],
    ['X: a\r\nY: b\nZ: c', /control character/],
    ['X: a\r\nY: b\x7f', /control character/],
    ['X: a\r\nY\x01: b', /not a token/],
    ['X: a\r\nY\xff: b', /not a token/],
    ['X: a\r\n\tY: b', /no colon|not a token/],
    ['X: a\r\nY', /no colon/],
    ['X: a\r\nY b: c', /not a token/],
  ];
  for (const [fields, reason] of cases) {
    const h = parseRequestHead(`GET / HTTP/1.1\r\n${fields}`);
    assert.ok(isHeadError(h), JSON.stringify(fields));
    assert.match(h.reason, reason, JSON.stringify(fields));
    const r = parseResponseHead(`HTTP/1.1 200 OK\r\n${fields}`);
    assert.ok(isHeadError(r), JSON.stringify(fields));
    assert.equal(r.error, 502);
  }
  // A value may hold bytes above 0x7f (obs-text).
  const ok = parseRequestHead('GET / HTTP/1.1\r\nX: caf\xe9\xff');
  assert.ok(!isHeadError(ok));
  assert.deepEqual(ok.values, ['caf\xe9\xff']);
});

test('head: headEnd finds the first empty line near the start and far into the buffer', () => {
  const at = (text: string, from = 0) => headEnd(Buffer.from(text, 'latin1'), from);
  assert.equal(at('GET / HTTP/1.1\r\n\r\nbody'), 18);
  assert.equal(at('\r\n\r\n'), 4);
  assert.equal(at('\r\n\r'), -1);
  assert.equal(at(''), -1);
  assert.equal(at('a\r\n\r\nb\r\n\r\n', 4), 10);
  assert.equal(at('a\n\r\n\r\r\n\r\n'), 9);
  // Only buf[0, to) counts, near the start and past the loop's bytes alike.
  assert.equal(headEnd(Buffer.from('a\r\n\r\nb'), 0, 4), -1);
  assert.equal(headEnd(Buffer.from('a\r\n\r\nb'), 0, 5), 5);
  const far = Buffer.from(`${'x'.repeat(600)}\r\n\r\n`);
  assert.equal(headEnd(far, 0, far.length - 1), -1);
  assert.equal(headEnd(far, 0, far.length), far.length);
  // Around and past the bytes scanned by the loop before the native search.
  for (const pad of [505, 506, 507, 508, 509, 510, 511, 512, 513, 2000]) {
    const text = `GET / HTTP/1.1\r\nX: ${'a'.repeat(pad)}\r\n\r\n`;
    assert.equal(at(text), text.length, String(pad));
    assert.equal(at(text.slice(0, -1)), -1, String(pad));
    assert.equal(at(`\r\n${text}`, 2), text.length + 2, String(pad));
  }
});

test('head: a head read in place: its bytes from an offset, the buffer going on past its end', () => {
  const bytes = (text: string) => Buffer.from(text, 'latin1');
  const at = (before: string, head: string, after: string) =>
    parseRequestBytes(bytes(before + head + after), before.length, before.length + head.length);
  const h = at('xx\r\n', 'GET / HTTP/1.1\r\nHost: h\r\nX-A:  1 ', '\r\n\r\nbody');
  assert.ok(!isHeadError(h));
  assert.deepEqual(
    [h.names, h.values],
    [
      ['host', 'x-a'],
      ['h', '1'],
    ],
  );
  // A CR ending the head is bare even when the buffer's next byte is an LF.
  const cr = at('', 'GET / HTTP/1.1\r\nX: a\r', '\n\r\n');
  assert.ok(isHeadError(cr));
  assert.match(cr.reason, /control character/);
  // A name running to the head's end has no colon, whatever follows in the buffer.
  const name = at('', 'GET / HTTP/1.1\r\nX', ':\r\n\r\n');
  assert.ok(isHeadError(name));
  assert.match(name.reason, /no colon/);
  const res = parseResponseBytes(bytes('..HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok'), 2, 36);
  assert.ok(!isHeadError(res));
  assert.deepEqual([res.status, res.names, res.values], [200, ['content-length'], ['2']]);
});
