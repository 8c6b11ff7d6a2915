/**
 * `slipway validate` on hostile and large files, as a user runs it: an alias bomb, a file over the
 * size limit, deep nesting, bytes that are not UTF-8, a UTF-16 file, ten thousand duplicate keys.
 * Each is refused with exit 1 and a located message — never exit 70, never a stack trace, never
 * a hang.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { MAX_FILE_BYTES } from '../src/config/bytes.ts';
import { tempDir } from '../src/testing.ts';
import { cli } from './cli-helpers.ts';

const HEAD = 'app: shop\nrun: { command: node server.js }\nenvironments: { staging: {} }\n';

describe('slipway validate on hostile input', () => {
  const dir = tempDir('slipway-hostile-');
  after(() => dir.cleanup());
  const validate = async (name: string, content: string | Buffer) => {
    writeFileSync(join(dir.path, name), content);
    const r = await cli(dir.path, 'validate', '-f', name);
    assert.doesNotMatch(r.stderr, /INTERNAL|\n\s+at /, r.stderr);
    return r;
  };

  test('an alias bomb is refused at its first alias', async () => {
    const levels = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i'];
    const bomb = levels
      .map(
        (n, i) =>
          `${n}: &${n} [${
            i === 0
              ? 'x, x, x, x, x, x, x, x, x'
              : Array(9)
                  .fill(`*${levels[i - 1]}`)
                  .join(', ')
          }]`,
      )
      .join('\n');
    const r = await validate('bomb.yaml', `${HEAD}${bomb}\n`);
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /^bomb\.yaml:5:8: YAML syntax: aliases \(\*name\) expand to more than 100 copies; write the values out, or use fewer aliases\n/,
    );
  });

  test('a file over the size limit is refused before it is read', async () => {
    const big = Buffer.alloc(MAX_FILE_BYTES + 1, '#');
    const r = await validate('big.yaml', big);
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /^big\.yaml:1:1: \(file\): the file is 16\.0 MB, larger than the limit of 16 MB; split the configuration or remove generated parts\n/,
    );
  });

  test('nesting ten thousand levels deep is refused with its place', async () => {
    const r = await validate('deep.yaml', `${HEAD}users: ${'['.repeat(10_000)}${']'.repeat(10_000)}\n`);
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /^deep\.yaml:4:\d+: YAML syntax: nesting deeper than 64 levels of mappings and lists/,
    );
  });

  test('bytes that are not UTF-8 are refused with the byte offset, never replaced', async () => {
    const latin1 = Buffer.concat([
      Buffer.from(HEAD),
      Buffer.from('config: { values: { GREETING: "gr'),
      Buffer.from([0xfc]),
      Buffer.from('n" } }\n'),
    ]);
    const r = await validate('latin1.yaml', latin1);
    assert.equal(r.code, 1);
    assert.equal(
      r.stderr.split('\n')[0],
      `latin1.yaml:4:1: (file): expected UTF-8 text, found the byte 0xfc at byte offset ${HEAD.length + 33} (line 4); save the file as UTF-8`,
    );
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(HEAD, 'utf16le')]);
    const r16 = await validate('utf16.yaml', utf16);
    assert.equal(r16.code, 1);
    assert.match(
      r16.stderr,
      /^utf16\.yaml:1:1: \(file\): expected UTF-8 text, found a UTF-16 byte order mark/,
    );
  });

  test('ten thousand duplicate keys are found in one pass, each naming its first line', async () => {
    const keys = Array.from({ length: 10_000 }, (_, i) => `    K${i}: x`).join('\n');
    const r = await validate('dups.yaml', `${HEAD}config:\n  values:\n${keys}\n${keys}\n`);
    assert.equal(r.code, 1);
    const lines = r.stderr.trimEnd().split('\n');
    assert.equal(
      lines[0],
      'dups.yaml:10006:5: config.values.K0: duplicate key "K0", first set on line 6; keep one of them',
    );
    // 50 problems shown, the rest counted, then the summary line.
    assert.match(lines[50] ?? '', /and 9950 more problem\(s\) after this one/);
  });

  test('an impossible date and a secret written in plain text are found by validate', async () => {
    const r = await validate(
      'subtle.yaml',
      'app: shop\nrun: { command: node server.js }\nenvironments:\n  production:\n    secrets: [STRIPE_KEY]\n    config: { values: { STRIPE_KEY: sk_live_1 } }\n    windows: { freeze: ["2027-02-30"] }\n',
    );
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /subtle\.yaml:6:37: environments\.production\.config\.values\.STRIPE_KEY: STRIPE_KEY is a secret/,
    );
    assert.match(
      r.stderr,
      /subtle\.yaml:7:25: environments\.production\.windows\.freeze\[0\]: "2027-02-30" is not a calendar date: February 2027 has 28 days/,
    );
    assert.doesNotMatch(r.stderr, /sk_live_1/);
  });
});
