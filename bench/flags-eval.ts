/**
 * Issue 18 · a: in-process evaluations per second, slipway's evaluator against @openfeature/flagd-core
 * (the reference evaluator) on the same flags and the same 100,000 random contexts, side by side in
 * one run: a flag with `fractional` targeting and one with a 5-rule JSON Logic tree. Every result
 * (value, variant, reason, error code) must be identical. Goal: ≥ 2× flagd-core's throughput.
 *
 *   node_modules/.bin/node bench/flags-eval.ts            (CONTEXTS=100000 ROUNDS=5 by default)
 */
import { FlagdCore } from '@openfeature/flagd-core';
import { CompiledFlags } from '../src/flags/evaluate.ts';
import { parseFlagSet } from '../src/flags/parse.ts';

const CONTEXTS = Number(process.env.CONTEXTS ?? 100_000);
const ROUNDS = Number(process.env.ROUNDS ?? 5);

const DOC = {
  flags: {
    'new-checkout': {
      state: 'ENABLED',
      variants: { on: true, off: false },
      defaultVariant: 'off',
      targeting: {
        fractional: [
          ['on', 25],
          ['off', 75],
        ],
      },
    },
    tier: {
      state: 'ENABLED',
      variants: { gold: 'gold', silver: 'silver', bronze: 'bronze', eu: 'eu', staff: 'staff', none: 'none' },
      defaultVariant: 'none',
      targeting: {
        if: [
          { '==': [{ var: 'plan' }, 'enterprise'] },
          'gold',
          { and: [{ starts_with: [{ var: 'email' }, 'admin'] }, { '>=': [{ var: 'age' }, 21] }] },
          'silver',
          { sem_ver: [{ var: 'appVersion' }, '>=', '2.1.0'] },
          'bronze',
          { in: [{ var: 'country' }, ['DE', 'FR', 'NL']] },
          'eu',
          { ends_with: [{ var: 'email' }, '@example.com'] },
          'staff',
          null,
        ],
      },
    },
  },
};
const FLAGS = [
  { key: 'new-checkout', type: 'boolean', dflt: false },
  { key: 'tier', type: 'string', dflt: 'x' },
] as const;

// Deterministic "random" contexts (a small LCG), ASCII targeting keys (see the unicode note in bench/README.md).
let seed = 42;
const rnd = () => {
  seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
  return seed / 2 ** 31;
};
const pickOf = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
const contexts = Array.from({ length: CONTEXTS }, (_, i) => ({
  targetingKey: `user-${Math.floor(rnd() * 1e9).toString(36)}-${i}`,
  email: `${pickOf(['admin', 'ann', 'bob', 'cy'])}${i}@${pickOf(['example.com', 'mail.org', 'corp.io'])}`,
  plan: pickOf(['free', 'pro', 'enterprise', 'team']),
  age: Math.floor(rnd() * 60) + 10,
  appVersion: `${Math.floor(rnd() * 3)}.${Math.floor(rnd() * 4)}.${Math.floor(rnd() * 10)}`,
  country: pickOf(['DE', 'US', 'FR', 'JP', 'NL', 'BR']),
}));

const text = JSON.stringify(DOC);
const mine = new CompiledFlags(parseFlagSet(text, 'bench'));
const core = new FlagdCore();
core.setConfigurations(text);

// Identical results on every context, both flags.
let mismatches = 0;
for (const ctx of contexts)
  for (const f of FLAGS) {
    const a = mine.evaluate(f.key, f.type, f.dflt, ctx);
    const b = core.resolve(f.type, f.key, f.dflt, ctx);
    if (
      a.value !== b.value ||
      a.variant !== b.variant ||
      a.reason !== b.reason ||
      a.errorCode !== b.errorCode
    )
      mismatches++;
  }

type Run = (key: string, type: 'boolean' | 'string', dflt: unknown, ctx: Record<string, unknown>) => unknown;

/** Evaluations per second of one pass over every context. */
function pass(run: Run, key: string, type: 'boolean' | 'string', dflt: unknown): number {
  const start = process.hrtime.bigint();
  for (const ctx of contexts) run(key, type, dflt, ctx);
  return contexts.length / (Number(process.hrtime.bigint() - start) / 1e9);
}

const ours: Run = (k, t, d, c) => mine.evaluate(k, t, d, c);
const theirs: Run = (k, t, d, c) => core.resolve(t, k, d as never, c as never);
const rows: string[][] = [];
for (const f of FLAGS) {
  pass(ours, f.key, f.type, f.dflt); // warm-up (JIT) for both
  pass(theirs, f.key, f.type, f.dflt);
  // Rounds alternate between the two, so both see the same machine load; the best round counts.
  let a = 0;
  let b = 0;
  for (let r = 0; r < ROUNDS; r++) {
    a = Math.max(a, pass(ours, f.key, f.type, f.dflt));
    b = Math.max(b, pass(theirs, f.key, f.type, f.dflt));
  }
  rows.push([
    f.key,
    Math.round(a).toLocaleString('en'),
    Math.round(b).toLocaleString('en'),
    `${(a / b).toFixed(2)}×`,
    a / b >= 2 ? 'met' : 'NOT met',
  ]);
}
console.log(
  `contexts: ${CONTEXTS.toLocaleString('en')}, rounds: ${ROUNDS} (best), mismatching results: ${mismatches} (goal 0: ${mismatches === 0 ? 'met' : 'NOT met'})`,
);
console.log('| flag | slipway evals/s | flagd-core evals/s | ratio | goal ≥ 2× |');
console.log('|---|---|---|---|---|');
for (const r of rows) console.log(`| ${r.join(' | ')} |`);
