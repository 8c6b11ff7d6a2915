import assert from 'node:assert/strict';
import { test } from 'node:test';
import { statusMatches, statusRegex } from './health-status.ts';

test('healthy by default is 2xx or 3xx; an expectation narrows or widens it', () => {
  assert.deepEqual(
    [199, 200, 302, 399, 400, 503].map((s) => statusMatches(s)),
    [false, true, true, true, false, false],
  );
  assert.equal(statusMatches(302, '2xx'), false);
  assert.equal(statusMatches(204, 204), true);
  assert.equal(statusMatches(404, '<500'), true);
  assert.equal(statusMatches(500, '<500'), false);
  assert.equal(statusMatches(200, '>=300'), false);
});

test('the regex HAProxy gets matches exactly the statuses the runtime accepts', () => {
  for (const expect of [undefined, '2xx', 200, '<500', '>=204', '<=302']) {
    const re = new RegExp(statusRegex(expect));
    for (let s = 100; s < 600; s++)
      assert.equal(re.test(String(s)), statusMatches(s, expect), `${expect} ${s}`);
  }
  assert.equal(statusRegex(), '^(2[0-9][0-9]|3[0-9][0-9])$');
});
