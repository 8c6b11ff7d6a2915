/** Bad definitions are refused before use, each problem naming the flag and its JSON path. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isAppError } from '../domain/errors.ts';
import { parseFlagSet } from './parse.ts';

const flag = (targeting: unknown, extra: object = {}) =>
  JSON.stringify({
    flags: {
      'new-checkout': {
        state: 'ENABLED',
        variants: { on: true, off: false },
        defaultVariant: 'off',
        targeting,
        ...extra,
      },
    },
  });

function refusal(text: string): string[] {
  try {
    parseFlagSet(text, 'flags.json');
  } catch (e) {
    assert.ok(isAppError(e), String(e));
    assert.equal(e.code, 'FLAGS_INVALID');
    return [...e.details];
  }
  assert.fail('accepted');
}

describe('flag definition check', () => {
  it('refuses an unknown operator with its path and a suggestion', () => {
    const [p] = refusal(flag({ if: [{ start_with: [{ var: 'email' }, 'a'] }, 'on', 'off'] }));
    assert.match(
      p as string,
      /flag "new-checkout" at \/flags\/new-checkout\/targeting\/if\/0\/start_with: unknown operator "start_with"; did you mean "starts_with"/,
    );
  });

  it('refuses a variant that does not exist, in if branches and fractional buckets', () => {
    const ps = refusal(
      flag({
        if: [
          { '==': [{ var: 'plan' }, 'gold'] },
          'onn',
          {
            fractional: [
              ['on', 50],
              ['of', 50],
            ],
          },
        ],
      }),
    );
    assert.equal(ps.length, 2);
    assert.match(
      ps[0] as string,
      /at \/flags\/new-checkout\/targeting\/if\/1: returns "onn", which is not a variant.*did you mean "on"/,
    );
    assert.match(ps[1] as string, /targeting\/if\/2\/fractional\/1\/0: returns "of"/);
    // A literal compared with (not returned) is no variant and is accepted.
    parseFlagSet(flag({ if: [{ '==': [{ var: 'plan' }, 'gold'] }, 'on', 'off'] }), 'ok.json');
  });

  it('refuses a fractional split over 100 and a fractional weight that is not a whole number', () => {
    const [p] = refusal(
      flag({
        fractional: [
          ['on', 60],
          ['off', 50],
        ],
      }),
    );
    assert.match(p as string, /targeting\/fractional: the weights add up to 110, over 100/);
    const [q] = refusal(
      flag({
        fractional: [
          ['on', 2.5],
          ['off', 97.5],
        ],
      }),
    );
    assert.match(q as string, /fractional\/0\/1: a weight is a whole number/);
  });

  it('refuses invalid JSON Logic (two operators in one object) and a default variant that does not exist', () => {
    const ps = refusal(flag({ if: [true, 'on'], and: [] }, { defaultVariant: 'of' }));
    assert.ok(ps.some((p) => /defaultVariant: no variant "of"/.test(p)));
    assert.ok(ps.some((p) => /targeting: a JSON Logic operation has exactly one operator/.test(p)));
  });

  it('refuses a flag name collision (the same key twice) with its line', () => {
    const text =
      '{"flags": {\n"a": {"state": "ENABLED", "variants": {"x": 1}, "defaultVariant": "x"},\n"a": {"state": "DISABLED", "variants": {"x": 1}, "defaultVariant": "x"}\n}}';
    const [p] = refusal(text);
    assert.match(p as string, /at line 3: the key "a" is given twice/);
  });

  it('refuses an unknown $ref, mixed variant types, a bad state and a bad sem_ver operator', () => {
    const ps = refusal(
      JSON.stringify({
        flags: {
          a: {
            state: 'ON',
            variants: { x: 1, y: 'one' },
            defaultVariant: 'x',
            targeting: { if: [{ $ref: 'nope' }, 'x', 'y'] },
          },
          b: {
            state: 'ENABLED',
            variants: { x: 1 },
            defaultVariant: 'x',
            targeting: { if: [{ sem_ver: ['1.0.0', '=>', '1.0.0'] }, 'x', null] },
          },
        },
      }),
    );
    assert.ok(
      ps.some((p) => /flag "a" at \/flags\/a\/targeting\/if\/0\/\$ref: no evaluator named "nope"/.test(p)),
    );
    assert.ok(ps.some((p) => /\/flags\/a\/state: must be "ENABLED" or "DISABLED"/.test(p)));
    assert.ok(ps.some((p) => /\/flags\/a\/variants: all variants must have one type/.test(p)));
    assert.ok(
      ps.some((p) =>
        /flag "b" at \/flags\/b\/targeting\/if\/0\/sem_ver\/1: unknown sem_ver operator "=>"/.test(p),
      ),
    );
  });

  it('refuses text that is not JSON, naming the file', () => {
    assert.throws(() => parseFlagSet('{"flags": ', 'broken.json'), /broken.json is not valid JSON/);
  });
});
