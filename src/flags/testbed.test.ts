/**
 * Conformance with the scenarios of flagd's public test bed (open-feature/flagd-testbed, gherkin
 * targeting/evaluation/disabled features): for each, a flag written for this test in the flagd format,
 * the context, and the value (reason, error code) flagd gives. The flag file is read as `slipway
 * flags evaluate` reads one (flagd's looser file rules: a broken flag answers PARSE_ERROR, the rest run).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CompiledFlags } from './evaluate.ts';
import { parseFlagFileForEvaluation } from './parse.ts';

const E = 'ENABLED';
const str = (...names: string[]) => Object.fromEntries(names.map((n) => [n, n]));
const cards = { clubs: 'clubs', diamonds: 'diamonds', hearts: 'hearts', spades: 'spades', wild: 'wild' };
const quarters = [
  ['clubs', 25],
  ['diamonds', 25],
  ['hearts', 25],
  ['spades', 25],
];
const tf = str('true', 'false', 'fallback');
const ifTf = (cond: unknown) => ({ if: [cond, 'true', 'false'] });

const DOC = {
  $evaluators: {
    ballmer: { '==': ['ballmer@macrosoft.com', { var: ['email'] }] },
    privileged: { or: [{ $ref: 'ballmer' }, { '==': ['admin', { var: ['role'] }] }] },
  },
  flags: {
    'ref-flag': {
      state: E,
      variants: str('hi', 'bye', 'none'),
      defaultVariant: 'none',
      targeting: { if: [{ $ref: 'ballmer' }, 'hi', 'bye'] },
    },
    'nested-ref-flag': {
      state: E,
      variants: str('privileged', 'standard', 'none'),
      defaultVariant: 'none',
      targeting: { if: [{ $ref: 'privileged' }, 'privileged', 'standard'] },
    },
    'missing-ref-flag': {
      state: E,
      variants: str('a', 'b'),
      defaultVariant: 'a',
      targeting: { if: [{ $ref: 'nobody' }, 'b', 'a'] },
    },
    'fractional-flag': {
      state: E,
      variants: cards,
      defaultVariant: 'wild',
      targeting: { fractional: [{ cat: [{ var: '$flagd.flagKey' }, { var: 'user.name' }] }, ...quarters] },
    },
    'shared-seed': {
      state: E,
      variants: cards,
      defaultVariant: 'wild',
      targeting: { fractional: [{ cat: ['shared-seed', { var: 'user.name' }] }, ...quarters] },
    },
    'fractional-flag-shorthand': {
      state: E,
      variants: str('heads', 'tails', 'draw'),
      defaultVariant: 'draw',
      targeting: { fractional: [['heads'], ['tails', 1]] },
    },
    single: {
      state: E,
      variants: str('single', 'fallback'),
      defaultVariant: 'fallback',
      targeting: { fractional: [['single', 1]] },
    },
    'hash-edge': {
      state: E,
      variants: str('lower', 'upper'),
      defaultVariant: 'lower',
      targeting: { fractional: [{ var: 'targetingKey' }, ['lower', 50], ['upper', 50]] },
    },
    'nested-if': {
      state: E,
      variants: str('premium', 'standard', 'fallback'),
      defaultVariant: 'fallback',
      targeting: {
        fractional: [
          { var: 'targetingKey' },
          [{ if: [{ '==': [{ var: 'tier' }, 'premium'] }, 'premium', 'standard'] }, 50],
          ['standard', 50],
        ],
      },
    },
    'nested-weight': {
      state: E,
      variants: str('red', 'blue', 'fallback'),
      defaultVariant: 'fallback',
      targeting: {
        fractional: [
          { var: 'targetingKey' },
          ['red', { if: [{ '==': [{ var: 'tier' }, 'premium'] }, 100, 0] }],
          ['blue', 10],
        ],
      },
    },
    'as-condition': {
      state: E,
      variants: { big: 'hundreds', small: 'ones', fallback: 'zero' },
      defaultVariant: 'fallback',
      targeting: {
        if: [
          {
            fractional: [
              [false, 0],
              [true, 100],
            ],
          },
          'big',
          'small',
        ],
      },
    },
    affixes: {
      state: E,
      variants: str('prefix', 'postfix', 'none'),
      defaultVariant: 'none',
      targeting: {
        if: [
          { starts_with: [{ var: 'id' }, 'abc'] },
          'prefix',
          { if: [{ ends_with: [{ var: 'id' }, 'xyz'] }, 'postfix', 'none'] },
        ],
      },
    },
    versions: {
      state: E,
      variants: str('equal', 'greater', 'lesser', 'none'),
      defaultVariant: 'none',
      targeting: {
        if: [
          { sem_ver: [{ var: 'version' }, '=', '2.0.0'] },
          'equal',
          {
            if: [
              { sem_ver: [{ var: 'version' }, '>', '2.0.0'] },
              'greater',
              {
                if: [
                  { sem_ver: [{ var: 'version' }, '<', '2.0.0'] },
                  'lesser',
                  { if: [{ sem_ver: [{ var: 'version' }, '=', '2.0.0.0'] }, 'fail', 'none'] },
                ],
              },
            ],
          },
        ],
      },
    },
    'major-minor': {
      state: E,
      variants: str('minor', 'major', 'none'),
      defaultVariant: 'none',
      targeting: {
        if: [
          { sem_ver: [{ var: 'version' }, '~', '3.0.0'] },
          'minor',
          { if: [{ sem_ver: [{ var: 'version' }, '^', '3.0.0'] }, 'major', 'none'] },
        ],
      },
    },
    'v-prefix': {
      state: E,
      variants: str('match', 'no-match'),
      defaultVariant: 'no-match',
      targeting: { if: [{ sem_ver: [{ var: 'version' }, '=', 'v1.0.0'] }, 'match', 'no-match'] },
    },
    partial: {
      state: E,
      variants: str('match', 'no-match'),
      defaultVariant: 'no-match',
      targeting: { if: [{ sem_ver: [{ var: 'version' }, '^', '1'] }, 'match', 'no-match'] },
    },
    'build-meta': {
      state: E,
      variants: str('match', 'no-match'),
      defaultVariant: 'no-match',
      targeting: { if: [{ sem_ver: [{ var: 'version' }, '=', '1.0.0+build'] }, 'match', 'no-match'] },
    },
    'null-variant': {
      state: E,
      variants: { one: 1, two: 2 },
      defaultVariant: 'two',
      targeting: { if: [true, null, 'one'] },
    },
    'unknown-op': {
      state: E,
      variants: { one: 1, two: 2 },
      defaultVariant: 'two',
      targeting: { invalid: ['not targeting'] },
    },
    'missing-variant': {
      state: E,
      variants: { one: 1, two: 2 },
      defaultVariant: 'two',
      targeting: { if: [true, 'three', 'one'] },
    },
    'boolean-variant': {
      state: E,
      variants: { false: 1, true: 2 },
      defaultVariant: 'false',
      targeting: { if: [true, true, false] },
    },
    'empty-targeting': { state: E, variants: { false: 1, true: 2 }, defaultVariant: 'false', targeting: {} },
    'semver-bad-version': {
      state: E,
      variants: tf,
      defaultVariant: 'fallback',
      targeting: ifTf({ sem_ver: [{ var: 'version' }, '=', '1.0.0'] }),
    },
    'semver-bad-op': {
      state: E,
      variants: tf,
      defaultVariant: 'fallback',
      targeting: ifTf({ sem_ver: [{ var: 'version' }, '===', '1.0.0'] }),
    },
    'semver-two-args': {
      state: E,
      variants: tf,
      defaultVariant: 'fallback',
      targeting: ifTf({ sem_ver: [{ var: 'version' }, '='] }),
    },
    'null-bucket-key': {
      state: E,
      variants: tf,
      defaultVariant: 'fallback',
      targeting: ifTf({ fractional: [{ var: 'missing_key' }, ['one', 50], ['two', 50]] }),
    },
    'starts-non-string': {
      state: E,
      variants: tf,
      defaultVariant: 'fallback',
      targeting: ifTf({ starts_with: [{ var: 'num' }, 'abc'] }),
    },
    'ends-one-arg': {
      state: E,
      variants: tf,
      defaultVariant: 'fallback',
      targeting: ifTf({ ends_with: ['xyz'] }),
    },
    'zero-weights': {
      state: E,
      variants: tf,
      defaultVariant: 'fallback',
      targeting: ifTf({ fractional: [{ var: 'targetingKey' }, ['one', 0], ['two', 0]] }),
    },
    'negative-weight': {
      state: E,
      variants: str('one', 'two', 'fallback'),
      defaultVariant: 'fallback',
      targeting: { fractional: [{ var: 'targetingKey' }, ['one', -50], ['two', 100]] },
    },
    'over-100': {
      state: E,
      variants: str('a', 'b'),
      defaultVariant: 'a',
      targeting: {
        fractional: [
          ['a', 60],
          ['b', 60],
        ],
      },
    },
    disabled: { state: 'DISABLED', variants: { on: true, off: false }, defaultVariant: 'on' },
    'default-not-a-variant': { state: E, variants: { a: 'A' }, defaultVariant: 'zzz' },
    'null-default': { state: E, variants: { on: true, off: false }, defaultVariant: null },
    'no-default-targeted': {
      state: E,
      variants: str('CEO', 'CFO'),
      targeting: {
        if: [
          { in: ['@orange.com', { var: 'email' }] },
          { if: [{ '==': [{ var: 'email' }, 'jobs@orange.com'] }, 'CEO', null] },
          null,
        ],
      },
    },
    'zero-string': { state: E, variants: { zero: '', 'non-zero': 'str' }, defaultVariant: 'zero' },
    timestamp: {
      state: E,
      variants: { past: -1, future: 1, none: 0 },
      defaultVariant: 'none',
      targeting: { if: [{ '>': [{ var: '$flagd.timestamp' }, { var: 'time' }] }, 'past', 'future'] },
    },
  },
};

type Row = readonly [key: string, ctx: object, value: unknown, reason?: string, code?: string];
const ROWS: Row[] = [
  ['ref-flag', { email: 'ballmer@macrosoft.com' }, 'hi', 'TARGETING_MATCH'],
  ['ref-flag', { email: 'user@example.com' }, 'bye', 'TARGETING_MATCH'],
  ['nested-ref-flag', { role: 'admin' }, 'privileged'],
  ['nested-ref-flag', { email: 'ballmer@macrosoft.com' }, 'privileged'],
  ['nested-ref-flag', { email: 'x' }, 'standard'],
  ['missing-ref-flag', {}, 'fallback', 'ERROR', 'PARSE_ERROR'],
  // Bucketing as flagd v2: ⌊murmur3(key) · total / 2³²⌋.
  ['fractional-flag', { user: { name: 'jack' } }, 'hearts'],
  ['fractional-flag', { user: { name: 'queen' } }, 'spades'],
  ['fractional-flag', { user: { name: 'ten' } }, 'clubs'],
  ['fractional-flag', { user: { name: 'nine' } }, 'diamonds'],
  ['fractional-flag', { user: { name: '3' } }, 'clubs'],
  ['shared-seed', { user: { name: 'seven' } }, 'hearts'],
  ['shared-seed', { user: { name: 'eight' } }, 'diamonds'],
  ['shared-seed', { user: { name: 'nine' } }, 'clubs'],
  ['shared-seed', { user: { name: 'two' } }, 'spades'],
  ['fractional-flag-shorthand', { targetingKey: 'jon@company.com' }, 'heads'],
  ['fractional-flag-shorthand', { targetingKey: 'jane@company.com' }, 'tails'],
  ['single', {}, 'single'],
  // Keys whose hash is 0, 1, 2^31-1, 2^31 and 2^32-1.
  ['hash-edge', { targetingKey: 'ejOoVL' }, 'lower'],
  ['hash-edge', { targetingKey: 'bY9fO-' }, 'lower'],
  ['hash-edge', { targetingKey: 'SI7p-' }, 'lower'],
  ['hash-edge', { targetingKey: '6LvT0' }, 'upper'],
  ['hash-edge', { targetingKey: 'ceQdGm' }, 'upper'],
  ['nested-if', { targetingKey: 'jon@company.com', tier: 'premium' }, 'premium'],
  ['nested-if', { targetingKey: 'jon@company.com', tier: 'basic' }, 'standard'],
  ['nested-if', { targetingKey: 'user1', tier: 'premium' }, 'standard'],
  ['nested-weight', { targetingKey: 'jon@company.com', tier: 'premium' }, 'red'],
  ['nested-weight', { targetingKey: 'user1', tier: 'basic' }, 'blue'],
  ['as-condition', { targetingKey: 'some-targeting-key' }, 'hundreds'],
  ['affixes', { id: 'abcdef' }, 'prefix'],
  ['affixes', { id: 'uvwxyz' }, 'postfix'],
  ['affixes', { id: 'lmnopq' }, 'none'],
  ['versions', { version: '2.0.0' }, 'equal'],
  ['versions', { version: '2.1.0' }, 'greater'],
  ['versions', { version: '1.9.0' }, 'lesser'],
  ['versions', { version: '2.0.0-alpha' }, 'lesser'],
  ['versions', { version: '2.0.0.0' }, 'none', 'DEFAULT'],
  ['major-minor', { version: '3.0.1' }, 'minor'],
  ['major-minor', { version: '3.1.0' }, 'major'],
  ['major-minor', { version: '4.0.0' }, 'none'],
  ['v-prefix', { version: 'v1.0.0' }, 'match'],
  ['v-prefix', { version: 'V1.0.0' }, 'match'],
  ['v-prefix', { version: '2.0.0' }, 'no-match'],
  ['partial', { version: '1.0' }, 'match'],
  ['partial', { version: 1 }, 'match'],
  ['partial', { version: '2.0.0' }, 'no-match'],
  ['build-meta', { version: '1.0.0+other' }, 'match'],
  ['null-variant', {}, 2, 'DEFAULT'],
  ['unknown-op', {}, 3, 'ERROR', 'PARSE_ERROR'],
  ['missing-variant', {}, 3, 'ERROR', 'GENERAL'],
  ['boolean-variant', {}, 2, 'TARGETING_MATCH'],
  ['empty-targeting', {}, 1, 'STATIC'],
  // An operator used wrongly voids the rule: the default variant, reason DEFAULT (not the else branch).
  ['semver-bad-version', { version: 'not-a-version' }, 'fallback', 'DEFAULT'],
  ['semver-bad-op', { version: '1.0.0' }, 'fallback', 'DEFAULT'],
  ['semver-two-args', { version: '1.0.0' }, 'fallback', 'DEFAULT'],
  ['null-bucket-key', {}, 'fallback', 'DEFAULT'],
  ['starts-non-string', { num: 123 }, 'fallback', 'DEFAULT'],
  ['ends-one-arg', {}, 'fallback', 'DEFAULT'],
  ['zero-weights', { targetingKey: 'any-user' }, 'fallback', 'DEFAULT'],
  ['negative-weight', { targetingKey: 'any-user' }, 'two'],
  ['disabled', {}, 3, 'DISABLED'],
  // A default variant that does not exist: flagd reads the file and answers GENERAL when it is chosen.
  ['default-not-a-variant', {}, 'fallback', 'ERROR', 'GENERAL'],
  ['null-default', {}, 3, 'DEFAULT'],
  ['no-default-targeted', { email: 'wozniak@orange.com' }, 3, 'DEFAULT'],
  ['no-default-targeted', { email: 'jobs@orange.com' }, 'CEO', 'TARGETING_MATCH'],
  ['zero-string', {}, '', 'STATIC'],
  ['timestamp', { time: 1 }, -1],
  ['timestamp', { time: 4133980802 }, 1],
];

describe('flagd test bed scenarios, as `slipway flags evaluate` reads a file', () => {
  const file = parseFlagFileForEvaluation(JSON.stringify(DOC), 'testbed.json');
  const flags = new CompiledFlags(file.set, file.broken);
  const fallback = (key: string) =>
    [
      'null-variant',
      'unknown-op',
      'missing-variant',
      'boolean-variant',
      'empty-targeting',
      'disabled',
      'null-default',
      'no-default-targeted',
    ].includes(key)
      ? 3
      : 'fallback';

  it('gives flagd’s value, reason and error code in every scenario', () => {
    for (const [key, ctx, value, reason, code] of ROWS) {
      const dflt = key === 'null-default' || key === 'disabled' ? 3 : fallback(key);
      const r = flags.evaluate(key, undefined, dflt, ctx);
      const at = `${key} ${JSON.stringify(ctx)}: ${JSON.stringify(r)}`;
      assert.deepEqual(r.value, value, at);
      if (reason !== undefined) assert.equal(r.reason, reason, at);
      assert.equal(r.errorCode, code, at);
    }
  });

  it('keeps flags flagd cannot run aside (PARSE_ERROR) instead of refusing the file', () => {
    assert.deepEqual([...file.broken.keys()].sort(), ['missing-ref-flag', 'unknown-op']);
    assert.match(
      file.broken.get('unknown-op') ?? '',
      /\/flags\/unknown-op\/targeting\/invalid: unknown operator "invalid"/,
    );
  });

  it('a type the caller did not ask for is TYPE_MISMATCH with the caller default', () => {
    const r = flags.evaluate('ref-flag', 'boolean', true, { email: 'ballmer@macrosoft.com' });
    assert.deepEqual([r.value, r.reason, r.errorCode], [true, 'ERROR', 'TYPE_MISMATCH']);
  });

  it('weights over 100 are relative, as in flagd (the stored-flag check refuses them)', () => {
    const r = flags.evaluate('over-100', 'string', 'x', { targetingKey: 'user-1' });
    assert.equal(r.reason, 'TARGETING_MATCH');
  });
});
