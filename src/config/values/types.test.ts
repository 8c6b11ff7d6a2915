import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isAppError } from '../../domain/errors.ts';
import { checkValue, parseDuration, parseValueType } from './types.ts';

const t = (spec: string) => parseValueType('K', spec);

describe('value types', () => {
  test('accepts every documented type and rejects an unknown one with the list', () => {
    for (const s of ['string', 'url', 'int', 'bool', 'duration', 'port', 'secret', 'enum(a,b)']) t(s);
    assert.throws(
      () => t('uri'),
      (e) =>
        isAppError(e) &&
        e.code === 'CONFIG_INVALID' &&
        /config\.require\.K: unknown type "uri"/.test(e.message),
    );
    assert.throws(() => t('enum()'), /at least one value/);
    assert.throws(
      () => parseValueType('K', { type: 'int', default: 'x' }),
      /default "x" is not a whole number/,
    );
    assert.throws(() => parseValueType('K', { type: 'secret', default: 'x' }), /cannot have a default/);
    assert.throws(() => parseValueType('K', 42 as unknown as string), /expected a type name/);
  });

  test('object form carries optional and default', () => {
    assert.deepEqual(parseValueType('K', { type: 'string', optional: true, default: 'x' }), {
      kind: 'string',
      choices: [],
      optional: true,
      default: 'x',
    });
    assert.equal(parseValueType('K', { type: 'int', default: 3 }).default, '3');
  });

  const cases: [string, string[], string[]][] = [
    [
      'url',
      ['postgres://u:p@db:5432/x', 'https://example.com', 'redis://127.0.0.1:6379'],
      ['localhost:5432', 'example.com', '', 'http://exa mple.com'],
    ],
    ['int', ['0', '42', '-7', '+3'], ['4.5', 'x', '', '99999999999999999999']],
    ['bool', ['true', 'FALSE', '1', '0', 'yes', 'No'], ['y', 'on', '2', '']],
    ['enum(debug,info,warn)', ['debug', 'warn'], ['DEBUG', 'error', '']],
    ['duration', ['30s', '10m', '250ms', '1h', '1h30m', '1.5s'], ['30', 's', '10 m', '1x', '-1s', '']],
    ['port', ['1', '8080', '65535'], ['0', '65536', '-1', '80.5', 'http']],
    ['string', ['', 'anything'], []],
  ];
  for (const [spec, good, bad] of cases) {
    test(`${spec}: valid and invalid values`, () => {
      const type = t(spec);
      for (const v of good)
        assert.equal(checkValue(type, v), undefined, `${spec} should accept ${JSON.stringify(v)}`);
      for (const v of bad)
        assert.equal(typeof checkValue(type, v), 'string', `${spec} should reject ${JSON.stringify(v)}`);
    });
  }

  test('durations convert to milliseconds', () => {
    assert.equal(parseDuration('250ms'), 250);
    assert.equal(parseDuration('1h30m'), 5_400_000);
    assert.equal(parseDuration('2d'), 172_800_000);
    assert.equal(parseDuration('abc'), undefined);
  });

  test('problem text never contains the value', () => {
    const value = 'sup3r-s3cret-value';
    for (const spec of ['url', 'int', 'bool', 'enum(a)', 'duration', 'port']) {
      const problem = checkValue(t(spec), value) ?? '';
      assert.ok(!problem.includes(value), spec);
    }
  });
});
