/**
 * A seeded fuzz of `validate`: mutated copies of examples/shop/slipway.yaml (spans deleted,
 * lines repeated and swapped, indentation shifted, values replaced with hostile ones, YAML
 * anchors, aliases and brackets inserted) and files of random bytes. Whatever the input, loading
 * never throws and never hangs; a refusal is a list of located problems, each with a line, a
 * column and a message. A failure names its seed: rerun it with FUZZ_SEED=<seed>.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { mulberry32 } from '../analysis/judges/seeded.ts';
import { isAppError } from '../domain/errors.ts';
import { repoRoot, tempDir } from '../testing.ts';
import { formatProblem, type LoadResult, loadConfigFile, parseConfig } from './load.ts';

const SEED = Number(process.env.FUZZ_SEED ?? 20261206);
const MUTANTS = Number(process.env.FUZZ_ITERATIONS ?? 600);
const TAG = `[FUZZ_SEED=${SEED}]`;
const EXAMPLE = readFileSync(join(repoRoot, 'examples/shop/slipway.yaml'), 'utf8');

function rng(seed: number) {
  const next = mulberry32(seed);
  const int = (n: number) => Math.floor(next() * n);
  return {
    int,
    chance: (p: number) => next() < p,
    pick: <T>(xs: readonly T[]): T => xs[int(xs.length)] as T,
  };
}
type Rand = ReturnType<typeof rng>;

/** Values that look plausible, are wrong in a subtle way, or are hostile to a parser. */
const VALUES = [
  '0',
  '-1',
  '1e309',
  '0x10',
  '99999999999999999999',
  '1.5',
  '150%',
  '-5%',
  '0%',
  '100%',
  '1h30m',
  '30m1h',
  '1M',
  '30',
  '2027-02-30',
  '2026-12-24/2026-12-20',
  'Tue-Thu 10:00-14:00 Mars/Olympus',
  'Mon 25:00-26:00',
  '20',
  '"<700"',
  '6xx',
  'ftp://x/y',
  'javascript:alert(1)',
  'http://',
  '~',
  'null',
  'true',
  '[]',
  '{}',
  '[',
  '{',
  '*a',
  '&a x',
  '!!binary aGk=',
  '!!js/function x',
  '"\\u0000"',
  "'",
  '"',
  '|',
  '>',
  '- x',
  '? x',
  '%YAML 1.2',
  '---',
  '...',
  'a'.repeat(300),
  '𝕊lipway',
  '\u202e',
  'x\ty',
  '"\\e[2J"',
  'until-resumed',
  'canary',
  'admin',
  'aprover',
  'header:',
  'cookie:x',
  '<<: *a',
  '{ a: 1, a: 2 }',
  '[&x a, *x, *x]',
  'GREETNG',
];
const INSERTS = [
  '&',
  '*',
  '[',
  ']',
  '{',
  '}',
  ':',
  '- ',
  '#',
  '!',
  '|',
  '>',
  '\t',
  '"',
  "'",
  '\\',
  '\u0000',
  '\u00ff',
  '\n',
  '  ',
  '%',
  '@',
  '`',
  ',',
  '?',
];

function mutate(r: Rand, text: string): string {
  let lines = text.split('\n');
  const rounds = 1 + r.int(3);
  for (let k = 0; k < rounds; k++) {
    const i = r.int(lines.length);
    const line = lines[i] ?? '';
    // Value replacements (4) are the most frequent: they reach the schema and the semantic rules.
    switch (r.chance(0.5) ? 4 : r.int(9)) {
      case 0: // delete a span of lines
        lines.splice(i, 1 + r.int(5));
        break;
      case 1: // repeat a line (duplicate keys)
        lines.splice(i, 0, line);
        break;
      case 2: // swap two lines
        [lines[i], lines[r.int(lines.length)]] = [lines[r.int(lines.length)] ?? '', line];
        break;
      case 3: // shift indentation
        lines[i] = r.chance(0.5) ? ` ${line}` : line.replace(/^ /, '');
        break;
      case 4: {
        // replace a value after a colon
        const at = line.indexOf(': ');
        if (at >= 0) lines[i] = `${line.slice(0, at + 2)}${r.pick(VALUES)}`;
        break;
      }
      case 5: {
        // insert a character
        const at = r.int(line.length + 1);
        lines[i] = `${line.slice(0, at)}${r.pick(INSERTS)}${line.slice(at)}`;
        break;
      }
      case 6: // truncate the file
        lines = lines.slice(0, i);
        break;
      case 7: // anchors and aliases
        lines[i] = line.replace(/: (\S)/, `: &n${r.int(3)} $1`);
        lines.splice(r.int(lines.length), 0, `${' '.repeat(r.int(3) * 2)}k${r.int(9)}: *n${r.int(3)}`);
        break;
      default: {
        // deep nesting or a bracket storm
        const n = r.pick([3, 40, 70, 2000]);
        if (r.chance(0.5)) break;
        lines[i] = `${line.replace(/:.*$/, ':')} ${'['.repeat(n)}${r.chance(0.5) ? ']'.repeat(n) : ''}`;
      }
    }
  }
  return lines.join('\n');
}

function checkResult(result: LoadResult, what: string): void {
  if (result.ok) return;
  assert.ok(result.problems.length > 0, `${TAG} ${what}: refused without a problem`);
  assert.ok(result.problems.length <= 51, `${TAG} ${what}: ${result.problems.length} problems, not capped`);
  for (const p of result.problems) {
    const shown = formatProblem(p);
    assert.ok(p.line >= 1 && p.column >= 1, `${TAG} ${what}: no position in ${shown}`);
    assert.ok(p.message.length > 0, `${TAG} ${what}: empty message`);
    assert.doesNotMatch(
      p.message,
      /Maximum call stack|undefined|\[object Object\]|NaN/,
      `${TAG} ${what}: ${shown}`,
    );
  }
}

test(`validate fuzz: ${MUTANTS} mutants of the example never crash ${TAG}`, () => {
  for (let n = 0; n < MUTANTS; n++) {
    const r = rng(SEED + n);
    const text = mutate(r, EXAMPLE);
    let result: LoadResult;
    try {
      result = parseConfig(text, 'slipway.yaml');
    } catch (error) {
      assert.fail(
        `${TAG} mutant ${n} threw ${(error as Error)?.stack ?? error}\n--- input ---\n${text.slice(0, 2000)}`,
      );
    }
    checkResult(result, `mutant ${n}`);
  }
});

test(`validate fuzz: files of random bytes are refused with a place, never read wrongly ${TAG}`, () => {
  const dir = tempDir('slipway-fuzz-');
  try {
    for (let n = 0; n < 150; n++) {
      const r = rng(SEED * 31 + n);
      const size = r.pick([0, 1, 3, 64, 1000, 20_000]);
      const bytes = Buffer.alloc(size);
      for (let i = 0; i < size; i++) bytes[i] = r.chance(0.7) ? 32 + r.int(95) : r.int(256);
      // Half of them start as a valid config, so the damage is found deep inside.
      const content = r.chance(0.5) ? Buffer.concat([Buffer.from(EXAMPLE), bytes]) : bytes;
      const file = join(dir.path, `${n}.yaml`);
      writeFileSync(file, content);
      let result: LoadResult;
      try {
        result = loadConfigFile(file, 'slipway.yaml');
      } catch (error) {
        if (isAppError(error) && error.code !== 'INTERNAL') continue;
        assert.fail(`${TAG} bytes ${n} threw ${(error as Error)?.stack ?? error}`);
      }
      checkResult(result, `bytes ${n}`);
      const valid = (() => {
        try {
          new TextDecoder('utf-8', { fatal: true }).decode(content);
          return true;
        } catch {
          return false;
        }
      })();
      if (!valid) {
        assert.equal(result.ok, false, `${TAG} bytes ${n}: invalid UTF-8 accepted`);
        assert.match(
          result.problems[0]?.message ?? '',
          /expected UTF-8 text, found the byte 0x[0-9a-f]{2} at byte offset \d+/,
        );
      }
    }
  } finally {
    dir.cleanup();
  }
});
