/**
 * Conformance vectors for `fractional`: MurmurHash3 x86_32 values computed with the reference C
 * implementation (Python mmh3 5.3.0 over the UTF-8 bytes, seed 0), and buckets from flagd's arithmetic
 * ⌊hash · totalWeight / 2^32⌋ with the first bucket whose running weight exceeds it. Each row is
 * then checked end to end through a flag file, as `slipway flags evaluate` reads it.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CompiledFlags } from './evaluate.ts';
import { bucketOf, murmur3 } from './hash.ts';
import { parseFlagSet } from './parse.ts';

const VECTORS = [
  { text: 'new-checkoutuser-1', hash: 1954156369, b5_95: 1, b25_25_50: 1, b1_1: 0 },
  { text: 'new-checkoutuser-2', hash: 986941360, b5_95: 1, b25_25_50: 0, b1_1: 0 },
  { text: 'new-checkoutjack', hash: 4204408448, b5_95: 1, b25_25_50: 2, b1_1: 1 },
  { text: 'new-checkoutjürgen', hash: 1258052639, b5_95: 1, b25_25_50: 1, b1_1: 0 },
  { text: 'new-checkout用户42', hash: 2114196867, b5_95: 1, b25_25_50: 1, b1_1: 0 },
  { text: 'flag🚀user', hash: 2668292535, b5_95: 1, b25_25_50: 2, b1_1: 1 },
  { text: 'headerColorjon@company.com', hash: 2152463623, b5_95: 1, b25_25_50: 2, b1_1: 1 },
  { text: 'headerColorsulisa@company.com', hash: 2184598, b5_95: 0, b25_25_50: 0, b1_1: 0 },
  { text: 'new-checkout', hash: 4135362259, b5_95: 1, b25_25_50: 2, b1_1: 1 },
  { text: '', hash: 0, b5_95: 0, b25_25_50: 0, b1_1: 0 },
];

const pick = (hash: number, weights: readonly number[]): number => {
  const b = bucketOf(
    hash,
    weights.reduce((s, w) => s + w, 0),
  );
  let sum = 0;
  return weights.findIndex((w) => {
    sum += w;
    return sum > b;
  });
};

describe('fractional conformance', () => {
  it('hashes the UTF-8 bytes as MurmurHash3 x86_32 does (the published vectors too)', () => {
    for (const v of VECTORS) assert.equal(murmur3(v.text), v.hash, v.text);
    assert.equal(murmur3('hello'), 0x248bfa47);
    assert.equal(murmur3('The quick brown fox jumps over the lazy dog'), 0x2e4ff723);
  });

  it('puts each hash in the bucket flagd does, for weights summing to 100 and to other totals', () => {
    for (const v of VECTORS) {
      assert.equal(pick(v.hash, [5, 95]), v.b5_95, v.text);
      assert.equal(pick(v.hash, [25, 25, 50]), v.b25_25_50, v.text);
      assert.equal(pick(v.hash, [1, 1]), v.b1_1, v.text);
    }
  });

  it('agrees with BigInt arithmetic for totals past 2^21', () => {
    for (const v of VECTORS)
      for (const total of [3_000_000, 2_147_483_647])
        assert.equal(bucketOf(v.hash, total), Number((BigInt(v.hash) * BigInt(total)) >> 32n));
  });

  it('evaluates the vectors end to end: flagKey + targetingKey, and a custom bucketing string', () => {
    const flags = new CompiledFlags(
      parseFlagSet(
        JSON.stringify({
          flags: {
            'new-checkout': {
              state: 'ENABLED',
              variants: { on: true, off: false },
              defaultVariant: 'off',
              targeting: {
                fractional: [
                  ['on', 5],
                  ['off', 95],
                ],
              },
            },
            headerColor: {
              state: 'ENABLED',
              variants: { red: '#f00', blue: '#00f', yellow: '#ff0' },
              defaultVariant: 'red',
              targeting: {
                fractional: [
                  { cat: [{ var: '$flagd.flagKey' }, { var: 'email' }] },
                  ['red', 25],
                  ['blue', 25],
                  ['yellow', 50],
                ],
              },
            },
          },
        }),
        'vectors.json',
      ),
    );
    for (const user of ['user-1', 'user-2', 'jack', 'jürgen', '用户42']) {
      const v = VECTORS.find((x) => x.text === `new-checkout${user}`);
      const r = flags.evaluate('new-checkout', 'boolean', false, { targetingKey: user });
      assert.equal(r.variant, v?.b5_95 === 0 ? 'on' : 'off', user);
      assert.equal(r.reason, 'TARGETING_MATCH');
    }
    for (const email of ['jon@company.com', 'sulisa@company.com']) {
      const v = VECTORS.find((x) => x.text === `headerColor${email}`);
      const r = flags.evaluate('headerColor', 'string', '', { email });
      assert.equal(r.variant, ['red', 'blue', 'yellow'][v?.b25_25_50 ?? -1], email);
    }
  });
});
