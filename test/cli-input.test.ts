/**
 * Command-line input through the real CLI entry: numbers, versions and free text checked before
 * use (exit 2, naming the flag, the value and what is expected), commander's own usage errors
 * carrying their code, and stored text with terminal escapes printed escaped.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { openStore } from '../src/store/factory.ts';
import { tempDir } from '../src/testing.ts';
import { cli } from './cli-helpers.ts';

const CONFIG = 'app: shop\nrun: { command: node server.js }\nenvironments:\n  staging: {}\n';

describe('CLI input', () => {
  const dir = tempDir('slipway-cli-input-');
  before(() => {
    writeFileSync(join(dir.path, 'slipway.yaml'), CONFIG);
    mkdirSync(join(dir.path, 'build'));
    writeFileSync(join(dir.path, 'build', 'server.js'), 'console.log("v1")\n');
  });
  after(() => dir.cleanup());

  test('--limit takes a whole number from 1 to 1000, on history and releases', async () => {
    for (const [command, value] of [
      ['history', 'abc'],
      ['history', '-5'],
      ['history', '2.5'],
      ['history', '1e3'],
      ['releases', '0'],
      ['releases', '1001'],
      ['releases', ''],
    ] as const) {
      const r = await cli(dir.path, command, '--limit', value);
      assert.equal(r.code, 2, `${command} --limit ${value}: ${r.stderr}`);
      assert.equal(
        r.stderr,
        `error[USAGE]: --limit: expected a whole number from 1 to 1000, found ${JSON.stringify(value)}\n`,
      );
      assert.equal(r.stdout, '');
    }
    const ok = await cli(dir.path, 'releases', '--limit', '1000');
    assert.equal(ok.code, 0, ok.stderr);
  });

  test("commander's usage errors carry their code, in text and in JSON", async () => {
    const unknown = await cli(dir.path, 'history', '--bogus');
    assert.equal(unknown.code, 2);
    assert.equal(unknown.stderr, "error[USAGE]: unknown option '--bogus'\n(run with --help for usage)\n");
    const missing = await cli(dir.path, 'release', 'create', 'build');
    assert.equal(missing.code, 2);
    assert.match(
      missing.stderr,
      /^error\[USAGE\]: release create: required option '--version <version>' not specified\n/,
    );
    const noArg = await cli(dir.path, 'history', '--limit');
    assert.equal(noArg.code, 2);
    assert.match(noArg.stderr, /^error\[USAGE\]: option '--limit <n>' argument missing\n/);
    const json = await cli(dir.path, '--json', 'history', '--limit', 'abc');
    assert.equal(json.code, 2);
    assert.deepEqual(JSON.parse(json.stdout), {
      error: {
        code: 'USAGE',
        message: '--limit: expected a whole number from 1 to 1000, found "abc"',
        details: [],
      },
    });
    const jsonCommander = await cli(dir.path, 'history', '--json', '--bogus');
    assert.equal(jsonCommander.code, 2);
    assert.equal(JSON.parse(jsonCommander.stdout).error.code, 'USAGE');
  });

  test('versions with control characters or of absurd length are refused before anything is stored', async () => {
    for (const version of [
      '1.0\n2',
      '1.0\u001b]0;pwned\u0007',
      'v\u001b[2J',
      '1.0\u202e',
      ' 1.0',
      'x'.repeat(129),
    ]) {
      const r = await cli(dir.path, 'release', 'create', '--version', version, 'build');
      assert.equal(r.code, 2, r.stderr);
      assert.match(
        r.stderr,
        /^error\[(USAGE|RELEASE_VERSION_INVALID)\]: (--version: expected a version |version )/,
      );
      // The message itself never carries the raw control characters back to the terminal.
      assert.doesNotMatch(r.stderr.trimEnd(), /[\u0000-\u0009\u000b-\u001f\u202e]/);
    }
    const list = await cli(dir.path, '--json', 'releases');
    assert.deepEqual(JSON.parse(list.stdout).releases ?? JSON.parse(list.stdout), []);
    const rollback = await cli(dir.path, 'rollback', 'staging', '--to', 'a\u001b[31m');
    assert.equal(rollback.code, 2);
    const reason = await cli(dir.path, 'abort', 'staging', '--reason', 'x\u001b[2Jy');
    assert.equal(reason.code, 2);
    assert.match(reason.stderr, /--reason: expected printable text/);
    const ok = await cli(dir.path, 'release', 'create', '--version', '1.0.0+build.7', 'build');
    assert.equal(ok.code, 0, ok.stderr);
  });

  test('init -f into a folder that does not exist is a usage error, nothing written', async () => {
    const r = await cli(dir.path, 'init', '--force', '-f', 'no/such/dir/slipway.yaml');
    assert.equal(r.code, 2, r.stderr);
    assert.equal(
      r.stderr,
      'error[USAGE]: -f no/such/dir/slipway.yaml: cannot write it (ENOENT); its folder does not exist\n',
    );
    const folder = await cli(dir.path, 'init', '--force', '-f', 'build');
    assert.equal(folder.code, 2);
    assert.match(folder.stderr, /cannot write it \(EISDIR\); it is a folder/);
  });

  test('text stored by other means is printed with its control characters escaped', async () => {
    const store = await openStore(undefined, dir.path);
    try {
      await store.putRelease({
        app: 'shop',
        version: 'evil\u001b]0;title\u0007\n2',
        digest: `sha256:${'b'.repeat(64)}`,
        commit: 'c\u001b[2J',
        ci: 'passed',
        createdBy: 'mallory\r',
        files: 1,
        bytes: 1,
        notes: null,
      });
    } finally {
      await store.close();
    }
    const r = await cli(dir.path, 'releases');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /evil\\(x1b|u001b)\]0;title\\(x07|u0007)\\n2/);
    assert.match(r.stdout, /c\\(x1b|u001b)\[2J/);
    assert.match(r.stdout, /mallory\\r/);
    assert.doesNotMatch(r.stdout, /[\u0000-\u0009\u000b-\u001f]/);
  });
});
