/** The one duration grammar: every key and every value of type duration reads `1h30m` the same. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseConfig } from './load.ts';
import { durationOf, parseDuration } from './units.ts';
import { checkValue, parseDuration as parseValueDuration, parseValueType } from './values/types.ts';

test('durations: compound forms add up, larger units first', () => {
  assert.equal(parseDuration('1h30m'), 5_400_000);
  assert.equal(parseDuration('2d12h30m15s500ms'), 217_815_500);
  assert.equal(parseDuration('1.5h'), 5_400_000);
  assert.equal(parseDuration('250ms'), 250);
});

test('durations: ambiguous or malformed forms are refused with the reason', () => {
  const reasons: [string, RegExp][] = [
    ['30', /has no unit/],
    ['1h30', /"30" has no unit/],
    ['1M', /units are lowercase/],
    ['30m1h', /larger unit first/],
    ['1h1h', /appears twice/],
    ['1h 30m', /without spaces/],
    ['1w', /unknown unit/],
    ['1h0.5m', /fraction is only allowed in a single part/],
    ['', /empty/],
  ];
  for (const [text, reason] of reasons) {
    const result = durationOf(text);
    assert.equal(typeof result, 'string', `${JSON.stringify(text)} must be refused`);
    assert.match(result as string, reason);
    assert.equal(parseValueDuration(text), undefined, `config values refuse ${JSON.stringify(text)} too`);
  }
});

test('durations: 1h30m means the same in a config key, a canary pause and a config value', () => {
  const result = parseConfig(
    'app: shop\nrun: { command: x, stopTimeout: 1h30m }\nenvironments:\n  production:\n    watch: 1h30m\n    strategy: { canary: { steps: [{ weight: 50, pause: 1h30m }, { weight: 100 }] } }\n',
    'slipway.yaml',
  );
  assert.ok(result.ok, JSON.stringify(!result.ok && result.problems));
  const env = result.config.environments.production;
  assert.equal(result.config.run.stopTimeout, 5_400_000);
  assert.equal(env?.watch, 5_400_000);
  const strategy = env?.strategy as { canary: { steps: { pause?: unknown }[] } };
  assert.equal(strategy.canary.steps[0]?.pause, 5_400_000);
  assert.equal(parseValueDuration('1h30m'), 5_400_000);
  assert.equal(
    checkValue(parseValueType('TIMEOUT', 'duration'), '30m1h'),
    'is not a duration (expected e.g. 250ms, 30s, 10m, 1h or 1h30m)',
  );
});
