/** The shared CLI value parsers and the escaping of stored text, on exact messages. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isAppError } from '../domain/errors.ts';
import { duration, integer, limit, port, text, version } from './args.ts';
import { printable, printableLines } from './printable.ts';

function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    assert.ok(isAppError(error), String(error));
    assert.equal(error.exitCode, 2);
    return `${error.code}: ${error.message}`;
  }
  assert.fail('expected a usage error');
}

test('integers: decimal digits in range only', () => {
  const lim = limit();
  assert.equal(lim('20'), 20);
  assert.equal(lim(' 7 '), 7);
  assert.equal(lim('1000'), 1000);
  for (const bad of ['abc', '-5', '0', '1001', '1e3', '0x10', '2.5', '', ' ', '12abc', '9'.repeat(40)]) {
    assert.equal(
      refusal(() => lim(bad)),
      `USAGE: --limit: expected a whole number from 1 to 1000, found ${JSON.stringify(bad)}`,
    );
  }
  assert.equal(integer('--n', -3, 3)('-3'), -3);
  assert.equal(port('--port', true)('0'), 0);
  assert.equal(
    refusal(() => port('--port')('0')),
    'USAGE: --port: expected a whole number from 1 to 65535, found "0"',
  );
});

test('durations: the config grammar, with the reason for a refusal', () => {
  const d = duration('--for');
  assert.equal(d('1h30m'), 5_400_000);
  assert.equal(d('250ms'), 250);
  assert.equal(
    refusal(() => d('30m1h')),
    'USAGE: --for: expected a duration such as 30s, 10m or 1h30m (write the larger unit first, e.g. 1h30m rather than 30m1h), found "30m1h"',
  );
  assert.equal(
    refusal(() => d('0s')),
    'USAGE: --for: expected a duration greater than zero, such as 30s, found "0s"',
  );
});

test('versions: printable, no control characters, at most 128 characters', () => {
  const v = version('--version');
  for (const good of ['1.4.2', '2.0.0-rc.1+build.7', 'release 7', 'v'.repeat(128), 'ünïcode-1'])
    assert.equal(v(good), good);
  assert.equal(
    refusal(() => v('1.0\n2')),
    'USAGE: --version: expected a version of printable characters (no newlines, tabs, escape sequences or direction marks), found "1.0\\n2"',
  );
  assert.equal(
    refusal(() => v('\u001b]0;x\u0007')),
    'USAGE: --version: expected a version of printable characters (no newlines, tabs, escape sequences or direction marks), found "\\u001b]0;x\\u0007"',
  );
  assert.match(
    refusal(() => v('a\u202eb')),
    /found "a\\u202eb"/,
  );
  assert.match(
    refusal(() => v('v'.repeat(129))),
    /expected a version of at most 128 characters/,
  );
  assert.match(
    refusal(() => v('')),
    /expected a version such as 1\.4\.2, not an empty one/,
  );
  assert.match(
    refusal(() => v(' 1.0')),
    /without leading or trailing spaces/,
  );
});

test('free text: newlines allowed, escapes refused, bounded', () => {
  const t = text('--reason');
  assert.equal(t('line one\nline two'), 'line one\nline two');
  assert.match(
    refusal(() => t('x\u001b[2J')),
    /--reason: expected printable text/,
  );
  assert.match(
    refusal(() => t('x'.repeat(4097))),
    /--reason: expected at most 4096 characters/,
  );
});

test('printable: every control character visible, in one value or in lines', () => {
  assert.equal(printable('ok 1.0'), 'ok 1.0');
  assert.equal(
    printable('a\u001b[31mb\nc\td\r\u0007\u009b\u202e'),
    'a\\x1b[31mb\\nc\\td\\r\\x07\\x9b\\u202e',
  );
  assert.equal(printableLines('one\n\ttwo\u001b[2J'), 'one\n\ttwo\\x1b[2J');
  // On a colour terminal, slipway's own colour codes stay; anything else is still escaped.
  assert.equal(
    printableLines('\u001b[32m✓\u001b[39m x\u001b]0;t\u0007', true),
    '\u001b[32m✓\u001b[39m x\\x1b]0;t\\x07',
  );
});
