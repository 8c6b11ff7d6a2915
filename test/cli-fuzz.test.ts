/**
 * A seeded fuzz of the command line through the real entry (`main`, in-process): for every
 * command, argument lists built from its own options and arguments with hostile values (bad
 * numbers, versions with escapes, missing files, unknown flags, flags without values). Whatever
 * is typed, slipway answers with a message and an exit code a user can act on — never exit 70,
 * never a stack trace. A failure names its seed: rerun it with FUZZ_SEED=<seed>.
 *
 * Commands that run until stopped (agent, server, logs --follow) or run a program (exec) are
 * fuzzed only through their argument parsing (with a value that must be refused), not run.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { after, before, test } from 'node:test';
import type { Command } from 'commander';
import { mulberry32 } from '../src/analysis/judges/seeded.ts';
import { buildProgram, main } from '../src/cli/main.ts';
import { tempDir } from '../src/testing.ts';

const SEED = Number(process.env.FUZZ_SEED ?? 20261206);
const PER_COMMAND = Number(process.env.FUZZ_ITERATIONS ?? 6);
const TAG = `[FUZZ_SEED=${SEED}]`;
/** Far above any refusal here (they take milliseconds); reaching it means a command waited. */
const HANG_MS = 60_000;

const CONFIG = `app: shop
run: { command: node server.js }
identity: { allowSlipwayUser: true } # development: these tests play several people
users: { alice: [deployer, approver, admin] }
environments:
  staging: {}
  production: { after: staging, approval: { required: 1 } }
`;

/** Long-running or program-running commands: only argument errors are sent to them. */
const PARSE_ONLY = new Set(['agent', 'server', 'exec']);

const VALUES = [
  '',
  '0',
  '-1',
  '1',
  '20',
  '1000',
  '1001',
  'abc',
  '1e3',
  '0x10',
  ' 5',
  '9'.repeat(30),
  'NaN',
  'Infinity',
  'staging',
  'production',
  'prod',
  '1.0.0',
  'v\u001b[2J',
  'a\nb',
  'x'.repeat(300),
  '../..',
  'no/such/dir/x',
  'out.json',
  'build',
  'missing.tgz',
  'dep-1a2b3c4d5e6f',
  'tok-1a2b3c4d5e6f',
  '*',
  'admin',
  'approver',
  '30s',
  '1h30m',
  'passed',
  'failed',
  '\u202e',
  '%s%n',
  "'; DROP TABLE releases;--",
  '{"a":1}',
  'alice',
  'eve',
  'ci-passed',
  'window',
  'GREETING',
  'on-call-available',
  '-',
  '--',
  'sqlite:',
  ':memory:',
];

/** Values that fit an option or argument by its name, so runs also get past argument checks. */
const PLAUSIBLE: [RegExp, readonly string[]][] = [
  [/env|from|^to$|^a$|^b$/, ['staging', 'production']],
  [/version|release/, ['1.0.0', '1.0.1', '2.0.0-rc.1']],
  [/path|dir/, ['build']],
  [/limit|lines|^n$|days/, ['1', '5', '1000']],
  [/reason|note|notes|override/, ['because', 'a reason']],
  [/user|by|name/, ['alice', 'bob']],
  [/role/, ['approver', 'admin', 'deployer']],
  [/key/, ['GREETING', 'STRIPE_KEY']],
  [/item/, ['on-call-available', 'rollback-plan']],
  [/status/, ['succeeded', 'failed', 'running']],
  [/commit|sha/, ['abc1234']],
  [/out|file/, ['out.json', 'slipway.yaml']],
];

function plausible(name: string, choices: readonly string[] | undefined): readonly string[] | undefined {
  if (choices && choices.length > 0) return choices;
  return PLAUSIBLE.find(([re]) => re.test(name.replace(/^-+/, '').toLowerCase()))?.[1];
}

function rng(seed: number) {
  const next = mulberry32(seed);
  const int = (n: number) => Math.floor(next() * n);
  return {
    int,
    chance: (p: number) => next() < p,
    pick: <T>(xs: readonly T[]): T => xs[int(xs.length)] as T,
  };
}

interface Leaf {
  readonly path: string[];
  readonly command: Command;
}

function leaves(command: Command, path: string[] = []): Leaf[] {
  return command.commands.flatMap((sub) => {
    const here = [...path, sub.name()];
    return sub.commands.length > 0 ? leaves(sub, here) : [{ path: here, command: sub }];
  });
}

function argvFor(r: ReturnType<typeof rng>, leaf: Leaf): string[] {
  const positional: string[] = [];
  for (const a of leaf.command.registeredArguments) {
    if (!a.required && r.chance(0.5)) continue;
    if (r.chance(0.1)) continue; // a missing argument
    const fit = plausible(a.name(), a.argChoices);
    positional.push(fit && r.chance(0.6) ? r.pick(fit) : r.pick(VALUES));
    if (a.variadic && r.chance(0.5)) positional.push(r.pick(VALUES));
  }
  const groups: string[][] = [];
  const options = leaf.command.options.filter((o) => o.long !== '--follow' && o.long !== '--store');
  for (const o of options) {
    if (!o.mandatory && r.chance(0.5)) continue;
    const flag = o.long ?? o.short ?? '';
    if (!o.required && !o.optional) groups.push([flag]);
    else if (r.chance(0.05))
      groups.push([flag]); // the value is missing
    else {
      const fit = plausible(o.attributeName(), o.argChoices);
      groups.push([flag, fit && r.chance(0.6) ? r.pick(fit) : r.pick(VALUES)]);
    }
  }
  if (r.chance(0.1)) groups.push([r.pick(['--bogus', '-z', '--limit=', '--json=1', 'extra'])]);
  // Options in any order, before or after the arguments, as people type them.
  for (let i = groups.length - 1; i > 0; i--) {
    const j = r.int(i + 1);
    [groups[i], groups[j]] = [groups[j] as string[], groups[i] as string[]];
  }
  const cut = r.int(groups.length + 1);
  return [...leaf.path, ...groups.slice(0, cut).flat(), ...positional, ...groups.slice(cut).flat()];
}

async function run(cwd: string, argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c) => (out += c));
  stderr.on('data', (c) => (err += c));
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<number>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${TAG} hung: slipway ${JSON.stringify(argv)}`)), HANG_MS);
  });
  try {
    const code = await Promise.race([
      main(argv, { cwd, streams: { stdout, stderr }, stdin: Readable.from([]) }),
      hang,
    ]);
    return { code, out, err };
  } finally {
    clearTimeout(timer);
  }
}

const dir = tempDir('slipway-cli-fuzz-');
const saved = {
  url: process.env.SLIPWAY_URL,
  token: process.env.SLIPWAY_TOKEN,
  user: process.env.SLIPWAY_USER,
};
before(() => {
  writeFileSync(join(dir.path, 'slipway.yaml'), CONFIG);
  mkdirSync(join(dir.path, 'build'));
  writeFileSync(join(dir.path, 'build', 'server.js'), 'console.log("v1")\n');
  // Local mode only: a server named in the environment must not receive fuzz.
  process.env.SLIPWAY_URL = '';
  process.env.SLIPWAY_TOKEN = '';
  process.env.SLIPWAY_USER = 'alice';
});
after(() => {
  for (const [key, value] of [
    ['SLIPWAY_URL', saved.url],
    ['SLIPWAY_TOKEN', saved.token],
    ['SLIPWAY_USER', saved.user],
  ] as const) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
  dir.cleanup();
});

test(`CLI fuzz: random argv for every command never ends in exit 70 ${TAG}`, async () => {
  const none = new PassThrough();
  const program = buildProgram(
    () => {
      throw new Error('not run');
    },
    () => async () => {},
    { stdout: none, stderr: none },
  );
  const all = leaves(program);
  assert.ok(all.length >= 30, `found only ${all.length} commands`);
  const codes = new Map<number, number>();
  for (const [index, leaf] of all.entries()) {
    for (let n = 0; n < PER_COMMAND; n++) {
      const r = rng(SEED + index * 1000 + n);
      let argv = argvFor(r, leaf);
      if (PARSE_ONLY.has(leaf.path[0] as string))
        argv = [...leaf.path, '--bogus-flag', ...argv.slice(leaf.path.length)];
      const result = await run(dir.path, argv);
      const shown = `${TAG} slipway ${JSON.stringify(argv)} → exit ${result.code}\n${result.err}${result.out}`;
      assert.notEqual(result.code, 70, shown);
      assert.ok([0, 1, 2, 3, 4].includes(result.code), shown);
      assert.doesNotMatch(result.err, /error\[INTERNAL\]|\n\s+at .+:\d+:\d+/, shown);
      if (result.code !== 0 && !argv.includes('--json')) assert.match(result.err, /error\[[A-Z_]+\]/, shown);
      codes.set(result.code, (codes.get(result.code) ?? 0) + 1);
      if (process.env.FUZZ_VERBOSE)
        console.error(result.code, JSON.stringify(argv), result.err.split('\n')[0]);
    }
  }
  // The fuzz must reach past argument parsing, not only be refused by it.
  assert.ok((codes.get(0) ?? 0) > 0, `${TAG} no command succeeded: ${JSON.stringify([...codes])}`);
});
