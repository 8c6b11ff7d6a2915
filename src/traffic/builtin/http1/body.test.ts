import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BodyTracker, Framing, requestFrame, responseFrame } from './body.ts';
import {
  isHeadError,
  parseRequestHead as parseRequestBytes,
  parseResponseHead as parseResponseBytes,
  type RequestHead,
  type ResponseHead,
} from './head.ts';

// The parsers read bytes; the cases are written as latin1 text (one byte per character).
const parseRequestHead = (text: string) => parseRequestBytes(Buffer.from(text, 'latin1'), 0, text.length);
const parseResponseHead = (text: string) => parseResponseBytes(Buffer.from(text, 'latin1'), 0, text.length);

function req(fields: string, version = '1.1'): RequestHead {
  const h = parseRequestHead(`POST / HTTP/${version}${fields ? `\r\n${fields}` : ''}`);
  assert.ok(!isHeadError(h));
  return h;
}

function res(status: number, fields: string): ResponseHead {
  const h = parseResponseHead(`HTTP/1.1 ${status} X${fields ? `\r\n${fields}` : ''}`);
  assert.ok(!isHeadError(h));
  return h;
}

test('body: request framing from Content-Length and Transfer-Encoding', () => {
  assert.deepEqual(requestFrame(req('')), { framing: Framing.None, length: 0 });
  assert.deepEqual(requestFrame(req('Content-Length: 0')), { framing: Framing.None, length: 0 });
  assert.deepEqual(requestFrame(req('Content-Length: 12')), { framing: Framing.Length, length: 12 });
  assert.deepEqual(requestFrame(req('Content-Length: 7, 7\r\ncontent-length: 7')), {
    framing: Framing.Length,
    length: 7,
  });
  assert.deepEqual(requestFrame(req('Content-Length: 007\r\nContent-Length: 7, 07')), {
    framing: Framing.Length,
    length: 7,
  });
  assert.deepEqual(requestFrame(req('Content-Length: 999999999999999')), {
    framing: Framing.Length,
    length: 999_999_999_999_999,
  });
  assert.deepEqual(requestFrame(req('Transfer-Encoding: gzip, Chunked')), {
    framing: Framing.Chunked,
    length: 0,
  });
});

test('body: ambiguous request framing is refused (the smuggling cases)', () => {
  const cases: [string, RegExp, string?][] = [
    ['Content-Length: 5\r\nTransfer-Encoding: chunked', /both Transfer-Encoding and Content-Length/],
    ['Content-Length: 5\r\nContent-Length: 6', /conflicting/],
    ['Content-Length: 5, 6', /conflicting/],
    ['Content-Length: -1', /not a number/],
    ['Content-Length: 0x10', /not a number/],
    ['Content-Length: ', /not a number/],
    ['Content-Length: 1000000000000000', /not a number/],
    ['Content-Length: +5', /not a number/],
    ['Content-Length: 5.0', /not a number/],
    ['Content-Length: 5 5', /not a number/],
    ['Content-Length: \xd9\xa5', /not a number/],
    ['Content-Length: 7\r\nContent-Length: 7, 8', /conflicting/],
    ['Content-Length: 7, 7\r\nContent-Length: 8', /conflicting/],
    ['Content-Length: 8\r\nContent-Length: 7', /conflicting/],
    ['Transfer-Encoding: chunked, gzip', /must end with chunked/],
    ['Transfer-Encoding: identity', /must end with chunked/],
    ['Transfer-Encoding: chunked', /HTTP\/1\.0/, '1.0'],
  ];
  for (const [fields, reason, version] of cases) {
    const f = requestFrame(req(fields, version));
    assert.equal(typeof f, 'string', fields);
    assert.match(f as string, reason, fields);
  }
});

test('body: response framing follows RFC 9112 §6.3', () => {
  assert.equal(
    (responseFrame(res(200, 'Content-Length: 10'), 'HEAD') as { framing: number }).framing,
    Framing.None,
  );
  assert.equal((responseFrame(res(204, ''), 'GET') as { framing: number }).framing, Framing.None);
  assert.equal(
    (responseFrame(res(304, 'Content-Length: 10'), 'GET') as { framing: number }).framing,
    Framing.None,
  );
  assert.deepEqual(responseFrame(res(200, 'Content-Length: 10'), 'GET'), {
    framing: Framing.Length,
    length: 10,
  });
  assert.equal(
    (responseFrame(res(200, 'Transfer-Encoding: chunked\r\nContent-Length: 3'), 'GET') as { framing: number })
      .framing,
    Framing.Chunked,
  );
  assert.equal(
    (responseFrame(res(200, 'Transfer-Encoding: gzip'), 'GET') as { framing: number }).framing,
    Framing.UntilClose,
  );
  assert.equal((responseFrame(res(200, ''), 'GET') as { framing: number }).framing, Framing.UntilClose);
  assert.equal(typeof responseFrame(res(200, 'Content-Length: 1, 2'), 'GET'), 'string');
});

const CHUNKED = Buffer.from(
  '5;name="x y"\r\nhello\r\n' +
    'A\r\n0123456789\r\n' +
    '1 ; ext\r\n!\r\n' +
    '0\r\nTrailer-A: 1\r\nTrailer-B: 2\r\n\r\n',
);

test('body: a chunked body ends exactly after its trailers, however it is split', () => {
  const next = Buffer.from('GET / HTTP/1.1\r\n\r\n');
  const whole = Buffer.concat([CHUNKED, next]);
  for (let a = 0; a <= whole.length; a++) {
    for (const b of [a, Math.min(whole.length, a + 1), Math.min(whole.length, a + 7)]) {
      const t = new BodyTracker();
      t.reset({ framing: Framing.Chunked, length: 0 });
      let end = -2;
      for (const [s, e] of [
        [0, a],
        [a, b],
        [b, whole.length],
      ] as const) {
        if (t.done) break;
        const piece = whole.subarray(s, e);
        const at = t.feed(piece, 0, piece.length);
        if (t.done) end = s + at;
      }
      assert.ok(!t.error, `split ${a}/${b}`);
      assert.equal(end, CHUNKED.length, `split ${a}/${b}`);
    }
  }
});

test('body: chunked syntax errors are caught', () => {
  const bad = [
    'x\r\n',
    '5\nhello\r\n0\r\n\r\n',
    '5\r\nhelloX\r\n',
    '5\r\nhello\r\n0\r\nA\n',
    '1234567890abc\r\n',
    '-1\r\n',
    '\r\n',
  ];
  for (const text of bad) {
    const t = new BodyTracker();
    t.reset({ framing: Framing.Chunked, length: 0 });
    const buf = Buffer.from(text);
    assert.equal(t.feed(buf, 0, buf.length), -1, JSON.stringify(text));
    assert.ok(t.error && t.done);
  }
});

test('body: a length countdown across pieces, and until-close takes everything', () => {
  const t = new BodyTracker();
  t.reset({ framing: Framing.Length, length: 5 });
  const buf = Buffer.from('abcdefgh');
  assert.equal(t.feed(buf, 0, 3), 3);
  assert.ok(!t.done);
  assert.equal(t.feed(buf, 3, 8), 5);
  assert.ok(t.done);
  t.reset({ framing: Framing.UntilClose, length: 0 });
  assert.equal(t.feed(buf, 2, 8), 8);
  assert.ok(!t.done && t.untilClose);
  t.reset({ framing: Framing.None, length: 0 });
  assert.ok(t.done);
  assert.equal(t.feed(buf, 4, 8), 4);
});
