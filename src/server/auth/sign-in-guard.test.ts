import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isAppError } from '../../domain/errors.ts';
import { SignInGuard } from './sign-in-guard.ts';

const waits = (guard: SignInGuard, source: string): boolean => {
  try {
    guard.check(source);
    return false;
  } catch (error) {
    assert.ok(isAppError(error) && error.code === 'TOO_MANY_ATTEMPTS');
    return true;
  }
};

test('a client waits after its free failures, the wait doubles, a success forgives', () => {
  let now = 0;
  const guard = new SignInGuard({ freeFailures: 3, baseMs: 1000, maxMs: 8000, now: () => now });
  for (let i = 0; i < 3; i++) guard.fail('a');
  assert.equal(waits(guard, 'a'), true, 'the 4th try waits');
  assert.equal(waits(guard, 'b'), false, 'another client does not');
  now += 1000;
  assert.equal(waits(guard, 'a'), false);
  guard.fail('a');
  now += 1000;
  assert.equal(waits(guard, 'a'), true, 'the next wait is 2 s');
  now += 1000;
  guard.succeed('a');
  assert.equal(waits(guard, 'a'), false);
});

test('past the global limit, clients that failed wait; clients that did not are let through', () => {
  let now = 0;
  const guard = new SignInGuard({ freeFailures: 100, globalPerMinute: 10, now: () => now });
  for (let i = 0; i < 11; i++) guard.fail(`stranger-${i}`);
  assert.equal(waits(guard, 'stranger-3'), true);
  assert.equal(waits(guard, 'teammate'), false);
  now += 61_000;
  assert.equal(waits(guard, 'stranger-3'), false, 'a new minute, a new budget');
});
