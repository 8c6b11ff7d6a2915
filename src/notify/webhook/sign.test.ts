/** Our signing against the Standard Webhooks reference library: it must verify what we sign. */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { backoffMs } from '../backoff.ts';
import { secretBytes, signWebhook } from './sign.ts';

test('the reference library verifies our signature, and refuses an altered body or another secret', () => {
  const secret = `whsec_${randomBytes(24).toString('base64')}`;
  const body = JSON.stringify({ type: 'deployment.succeeded', data: { app: 'shop', note: 'ünïcode ✓' } });
  const ts = Math.floor(Date.now() / 1000);
  const headers = signWebhook(secretBytes(secret) as Buffer, 'msg_1', ts, body);
  const wh = new Webhook(secret);
  assert.deepEqual(wh.verify(body, { ...headers }), JSON.parse(body));
  assert.throws(() => wh.verify(body.replace('shop', 'shoq'), { ...headers }));
  assert.throws(() =>
    new Webhook(`whsec_${randomBytes(24).toString('base64')}`).verify(body, { ...headers }),
  );
  // Without the prefix the key is the same bytes.
  assert.deepEqual(secretBytes(secret.slice(6)), secretBytes(secret));
});

test('a secret that is not base64 of at least 16 bytes is refused', () => {
  assert.equal(secretBytes('whsec_short'), undefined);
  assert.equal(secretBytes('not base64 at all!'), undefined);
});

test('backoff doubles per try, stays within its cap, and jitters within the upper half', () => {
  assert.equal(
    backoffMs(1, 1000, 60_000, () => 0),
    500,
  );
  assert.equal(
    backoffMs(1, 1000, 60_000, () => 1),
    1000,
  );
  assert.equal(
    backoffMs(4, 1000, 60_000, () => 1),
    8000,
  );
  assert.equal(
    backoffMs(30, 1000, 60_000, () => 1),
    60_000,
  );
  assert.equal(
    backoffMs(30, 1000, 60_000, () => 0),
    30_000,
  );
});
