import assert from 'node:assert/strict';
import { test } from 'node:test';
import { safeUrl } from './redact.ts';

test('safeUrl masks userinfo and secret-looking query parameters, keeps the rest', () => {
  assert.equal(
    safeUrl('https://bob:hunter2@metrics.test/q?env=prod&api_key=abc&token=x&window=5m'),
    'https://***@metrics.test/q?env=prod&api_key=***&token=***&window=5m',
  );
  assert.equal(safeUrl('http://127.0.0.1:9090/api/v1/query'), 'http://127.0.0.1:9090/api/v1/query');
  assert.equal(safeUrl('not a url'), '<invalid URL>');
});
