import assert from 'node:assert/strict';
import { test } from 'node:test';
import { judgePromotion } from './promotion.ts';

const digest = `sha256:${'ab'.repeat(32)}`;
const release = { version: '1.4.0', digest, ci: 'passed' as const };
const base = {
  env: 'production',
  after: 'staging',
  allowFailedCI: false,
  release,
  succeededBefore: new Set<string>(),
};

test('a release that has not succeeded in the previous environment is refused, naming it', () => {
  assert.deepEqual(judgePromotion(base), {
    ok: false,
    rule: 'previous-environment',
    mustPass: 'staging',
    reason:
      'release 1.4.0 (sha256:abababababab) has not succeeded in staging; deploy it to staging first (`slipway deploy 1.4.0 --env staging`), then promote it with `slipway promote --from staging --to production`',
  });
});

test('the same digest succeeded before: promoted; the version string alone is not enough', () => {
  assert.deepEqual(judgePromotion({ ...base, succeededBefore: new Set([digest]) }), { ok: true });
  assert.equal(
    judgePromotion({ ...base, succeededBefore: new Set([`sha256:${'cd'.repeat(32)}`]) }).ok,
    false,
  );
});

test('the first environment of the lifecycle takes any release whose CI passed', () => {
  assert.deepEqual(judgePromotion({ ...base, env: 'dev', after: undefined }), { ok: true });
});

test('failed or unknown CI is refused unless the environment allows it', () => {
  assert.deepEqual(judgePromotion({ ...base, after: undefined, release: { ...release, ci: 'failed' } }), {
    ok: false,
    rule: 'ci',
    reason:
      'release 1.4.0 has CI result "failed"; production takes only releases whose CI passed (register a passing build, or set allowFailedCI: true on production)',
  });
  assert.equal(
    judgePromotion({ ...base, after: undefined, release: { ...release, ci: 'unknown' } }).ok,
    false,
  );
  assert.deepEqual(
    judgePromotion({ ...base, after: undefined, allowFailedCI: true, release: { ...release, ci: 'failed' } }),
    { ok: true },
  );
});
