/** Evaluation edge cases with OpenFeature's reasons and error codes, and agreement with flagd-core. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FlagdCore } from '@openfeature/flagd-core';
import { CompiledFlags } from './evaluate.ts';
import { parseFlagSet } from './parse.ts';

const DOC = {
  $evaluators: { isStaff: { ends_with: [{ var: 'email' }, '@example.com'] } },
  flags: {
    'new-checkout': {
      state: 'ENABLED',
      variants: { on: true, off: false },
      defaultVariant: 'off',
      targeting: {
        fractional: [
          ['on', 50],
          ['off', 50],
        ],
      },
    },
    staff: {
      state: 'ENABLED',
      variants: { yes: 'staff', no: 'public' },
      defaultVariant: 'no',
      targeting: { if: [{ $ref: 'isStaff' }, 'yes', null] },
    },
    versions: {
      state: 'ENABLED',
      variants: { new: 2, old: 1 },
      defaultVariant: 'old',
      targeting: {
        if: [
          {
            and: [
              { sem_ver: [{ var: 'version' }, '>=', '1.5.0'] },
              { starts_with: [{ var: 'region' }, 'eu-'] },
            ],
          },
          'new',
          'old',
        ],
      },
    },
    off: { state: 'DISABLED', variants: { on: true, off: false }, defaultVariant: 'on' },
    nodefault: {
      state: 'ENABLED',
      variants: { a: 'A', b: 'B' },
      defaultVariant: null,
      targeting: { if: [false, 'a', null] },
    },
    stamp: {
      state: 'ENABLED',
      variants: { self: 'self', other: 'other' },
      defaultVariant: 'other',
      targeting: { if: [{ '==': [{ var: '$flagd.flagKey' }, 'stamp'] }, 'self', 'other'] },
    },
  },
};
const text = JSON.stringify(DOC);
const flags = new CompiledFlags(parseFlagSet(text, 'doc.json'));

describe('evaluate', () => {
  it('a fractional flag without a targeting key falls back to the default variant (reason DEFAULT)', () => {
    const r = flags.evaluate('new-checkout', 'boolean', true, {});
    assert.deepEqual([r.value, r.variant, r.reason, r.errorCode], [false, 'off', 'DEFAULT', undefined]);
    const empty = flags.evaluate('new-checkout', 'boolean', true, { targetingKey: '' });
    assert.equal(empty.reason, 'DEFAULT');
  });

  it('a disabled flag gives the caller default with reason DISABLED', () => {
    const r = flags.evaluate('off', 'boolean', false, { targetingKey: 'u' });
    assert.deepEqual([r.value, r.variant, r.reason], [false, undefined, 'DISABLED']);
  });

  it('a type mismatch gives the default with TYPE_MISMATCH', () => {
    const r = flags.evaluate('staff', 'boolean', false, { email: 'a@example.com' });
    assert.deepEqual([r.value, r.reason, r.errorCode], [false, 'ERROR', 'TYPE_MISMATCH']);
  });

  it('an unknown flag is FLAG_NOT_FOUND', () => {
    assert.equal(flags.evaluate('nope', undefined, 1, {}).errorCode, 'FLAG_NOT_FOUND');
  });

  it('a bad context never throws: not an object is INVALID_CONTEXT, a throwing getter is GENERAL, a key that is no string is the default', () => {
    for (const bad of [null, 42, 'x', [1]])
      assert.equal(flags.evaluate('staff', 'string', 'd', bad).errorCode, 'INVALID_CONTEXT');
    const hostile = Object.defineProperty({}, 'email', {
      enumerable: true,
      get() {
        throw new Error('boom');
      },
    });
    const r = flags.evaluate('staff', 'string', 'd', hostile);
    assert.deepEqual([r.value, r.errorCode], ['d', 'GENERAL']);
    // flagd (Go) buckets only on a string targeting key; anything else is an operator error.
    const odd = flags.evaluate('new-checkout', 'boolean', false, { targetingKey: Symbol('k') });
    assert.deepEqual([odd.value, odd.reason, odd.errorCode], [false, 'DEFAULT', undefined]);
  });

  it('$ref, sem_ver, starts_with and $flagd.flagKey work', () => {
    assert.equal(flags.evaluate('staff', 'string', '', { email: 'ann@example.com' }).value, 'staff');
    assert.equal(flags.evaluate('staff', 'string', '', { email: 'ann@else.org' }).reason, 'DEFAULT');
    assert.equal(flags.evaluate('versions', 'number', 0, { version: 'v1.6', region: 'eu-west' }).value, 2);
    assert.equal(flags.evaluate('versions', 'number', 0, { version: '1.4.9', region: 'eu-west' }).value, 1);
    assert.equal(flags.evaluate('stamp', 'string', '', {}).value, 'self');
  });

  it('no default variant and no match: the caller default, reason DEFAULT, no error', () => {
    const r = flags.evaluate('nodefault', 'string', 'mine', {});
    assert.deepEqual([r.value, r.reason, r.errorCode], ['mine', 'DEFAULT', undefined]);
  });

  it('gives what @openfeature/flagd-core gives on the same flags and contexts', () => {
    const core = new FlagdCore();
    core.setConfigurations(text);
    const types = {
      'new-checkout': 'boolean',
      staff: 'string',
      versions: 'number',
      off: 'boolean',
      nodefault: 'string',
      stamp: 'string',
    } as const;
    const defaults = { boolean: false, string: 'd', number: -1 };
    for (let i = 0; i < 2000; i++) {
      const ctx = {
        targetingKey: i % 17 === 0 ? '' : `user-${i}`,
        email: i % 3 === 0 ? `u${i}@example.com` : `u${i}@else.org`,
        version: `${i % 3}.${i % 10}.${i % 4}`,
        region: i % 2 ? 'eu-central' : 'us-east',
      };
      for (const [key, type] of Object.entries(types)) {
        const mine = flags.evaluate(key, type, defaults[type], ctx);
        const theirs = core.resolve(type, key, defaults[type], ctx);
        assert.deepEqual(
          [mine.value, mine.variant, mine.reason, mine.errorCode],
          [theirs.value, theirs.variant, theirs.reason, theirs.errorCode],
          `${key} ${JSON.stringify(ctx)}`,
        );
      }
    }
  });
});
