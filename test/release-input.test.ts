/**
 * Release registration refuses what is not a build, and registers nothing half: empty folders and
 * archives, a text file named .tar.gz, versions that would forge terminal output, the project
 * folder itself (slipway's own `.slipway/` left out), conflicting metadata, and `release rm`.
 */
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import * as tar from 'tar';
import { repoRoot, tempDir } from '../src/testing.ts';
import { cli } from './cli-helpers.ts';

const example = join(repoRoot, 'examples/shop/slipway.yaml');

describe('slipway release create refuses what is not a build', () => {
  const dir = tempDir();
  const releases = () => join(dir.path, '.slipway', 'releases');
  const listed = async () =>
    JSON.parse((await cli(dir.path, '--json', 'releases')).stdout) as { version: string }[];
  before(() => {
    cpSync(example, join(dir.path, 'slipway.yaml'));
    mkdirSync(join(dir.path, 'empty', '.git'), { recursive: true });
    writeFileSync(join(dir.path, 'empty', '.DS_Store'), 'x');
    writeFileSync(join(dir.path, 'text.tar.gz'), 'this is not an archive\n');
    writeFileSync(join(dir.path, 'zero.tgz'), '');
    mkdirSync(join(dir.path, 'build'));
    writeFileSync(join(dir.path, 'build', 'server.js'), 'console.log(1)\n');
  });
  after(() => dir.cleanup());

  test('an empty folder, a text file named .tar.gz and a 0-byte archive: exit 2, the path and why', async () => {
    const empty = await cli(dir.path, 'release', 'create', '--version', '1', 'empty');
    assert.equal(empty.code, 2, empty.stderr);
    assert.match(
      empty.stderr,
      /^error\[RELEASE_SOURCE_INVALID\]: \S+empty holds no files \(besides \.slipway, \.git/,
    );
    const text = await cli(dir.path, 'release', 'create', '--version', '1', 'text.tar.gz');
    assert.equal(text.code, 2, text.stderr);
    assert.match(text.stderr, /text\.tar\.gz is not a readable tar archive/);
    const zero = await cli(dir.path, 'release', 'create', '--version', '1', 'zero.tgz');
    assert.equal(zero.code, 2, zero.stderr);
    assert.match(zero.stderr, /zero\.tgz is empty \(0 bytes\)/);
    await tar.c({ gzip: true, file: join(dir.path, 'dirs-only.tgz'), cwd: join(dir.path, 'empty') }, ['.']);
    const dirsOnly = await cli(dir.path, 'release', 'create', '--version', '1', 'dirs-only.tgz');
    assert.equal(dirsOnly.code, 2, dirsOnly.stderr);
    assert.match(dirsOnly.stderr, /dirs-only\.tgz holds no files/);
    assert.deepEqual(await listed(), [], 'nothing registered');
    assert.deepEqual(readdirSync(releases()), [], 'no staging folder left behind');
  });

  test('versions with newlines, escapes, spaces or over 128 characters are refused by name', async () => {
    for (const [version, why] of [
      ['1.0\n2.0', /holds a control character/],
      ['1.0\u001b[31m', /holds a control character/],
      ['1.0 beta', /holds a space/],
      ['', /is empty/],
      ['x'.repeat(129), /is 129 characters long, over 128/],
    ] as const) {
      const r = await cli(dir.path, 'release', 'create', '--version', version, 'build');
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /^error\[RELEASE_VERSION_INVALID\]: version "/);
      assert.match(r.stderr, why);
      assert.doesNotMatch(r.stderr, /\u001b/, 'the escape is shown escaped, never raw');
    }
    const notes = await cli(
      dir.path,
      'release',
      'create',
      '--version',
      '1',
      '--notes',
      'a\u001b[2Jb',
      'build',
    );
    assert.equal(notes.code, 2, notes.stderr);
    assert.match(
      notes.stderr,
      /--notes("a\\u001b\[2Jb" holds a control character|: expected printable text)/,
    );
    assert.deepEqual(await listed(), []);
  });

  test('`release create .` in the project folder leaves .slipway out and registers a working release', async () => {
    const r = await cli(dir.path, '--json', 'release', 'create', '--version', '0.1.0', '.');
    assert.equal(r.code, 0, r.stderr);
    const { release } = JSON.parse(r.stdout) as { release: { digest: string; files: number } };
    const kept = join(releases(), release.digest.replace(':', '-'));
    assert.ok(existsSync(join(kept, 'build', 'server.js')));
    assert.ok(existsSync(join(kept, 'slipway.yaml')));
    assert.equal(existsSync(join(kept, '.slipway')), false);
    assert.equal(existsSync(join(kept, 'empty', '.DS_Store')), false);
    const again = await cli(dir.path, 'release', 'create', '--version', '0.1.0', '.');
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /^already registered shop 0\.1\.0/);
  });

  test('the same version with another CI result is refused with what differs; the same one is idempotent', async () => {
    const a = await cli(dir.path, 'release', 'create', '--version', '2.0.0', '--ci', 'failed', 'build');
    assert.equal(a.code, 0, a.stderr);
    const b = await cli(dir.path, 'release', 'create', '--version', '2.0.0', '--ci', 'passed', 'build');
    assert.equal(b.code, 3, b.stderr);
    assert.match(b.stderr, /RELEASE_CONFLICT.*2\.0\.0 is already registered differently/);
    assert.match(b.stderr, /\n {2}CI result: failed registered, passed now\n$/);
    const c = await cli(dir.path, 'release', 'create', '--version', '2.0.0', '--ci', 'failed', 'build');
    assert.equal(c.code, 0, c.stderr);
    assert.match(c.stdout, /^already registered/);
  });

  test('a registration whose files went missing is repaired by registering the same build again', async () => {
    const r = JSON.parse(
      (await cli(dir.path, '--json', 'release', 'create', '--version', '3', 'build')).stdout,
    ) as {
      release: { digest: string };
    };
    const kept = join(releases(), r.release.digest.replace(':', '-'));
    await import('node:fs/promises').then((fs) => fs.rm(kept, { recursive: true }));
    const again = await cli(dir.path, 'release', 'create', '--version', '3', 'build');
    assert.equal(again.code, 0, again.stderr);
    assert.ok(existsSync(join(kept, 'server.js')));
  });

  test('release rm removes an unused registration and its files; unknown versions say so', async () => {
    writeFileSync(join(dir.path, 'build', 'other.js'), '2\n');
    const made = JSON.parse(
      (await cli(dir.path, '--json', 'release', 'create', '--version', '9', 'build')).stdout,
    ) as {
      release: { digest: string };
    };
    const rm = await cli(dir.path, 'release', 'rm', '9');
    assert.equal(rm.code, 0, rm.stderr);
    assert.match(rm.stdout, /^removed release shop 9 \(sha256:/);
    assert.equal(existsSync(join(releases(), made.release.digest.replace(':', '-'))), false);
    assert.ok(!(await listed()).some((x) => x.version === '9'));
    const gone = await cli(dir.path, 'release', 'rm', '9');
    assert.equal(gone.code, 2);
    assert.match(gone.stderr, /^error\[RELEASE_NOT_FOUND\]: no release "9" of shop/);
    const limit = await cli(dir.path, 'releases', '--limit', '0');
    assert.equal(limit.code, 2);
    assert.match(limit.stderr, /--limit: expected a whole number from 1 to 1000, found "0"/);
  });
});

test('a staging folder left by a killed registration is swept by the next one', async () => {
  const dir = tempDir();
  try {
    cpSync(example, join(dir.path, 'slipway.yaml'));
    mkdirSync(join(dir.path, 'build'));
    writeFileSync(join(dir.path, 'build', 'a.js'), '1');
    const releases = join(dir.path, '.slipway', 'releases');
    // pid 2^22 + 1 is above the largest pid Linux hands out: no such process.
    mkdirSync(join(releases, '.staging-4194305-deadbeef', 'half'), { recursive: true });
    const r = await cli(dir.path, 'release', 'create', '--version', '1', 'build');
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(
      readdirSync(releases).filter((n) => n.startsWith('.')),
      [],
    );
  } finally {
    dir.cleanup();
  }
});

test('server --max-upload takes sizes with units and refuses anything else by name', async () => {
  const { parseSize } = await import('../src/cli/commands/server.ts');
  assert.equal(parseSize('--max-upload', '500MB'), 500_000_000);
  assert.equal(parseSize('--max-upload', '2GiB'), 2 * 1024 ** 3);
  assert.equal(parseSize('--max-upload', '1024'), 1024);
  const r = await cli(repoRoot, 'server', '--max-upload', 'lots');
  assert.equal(r.code, 2);
  assert.match(
    r.stderr,
    /--max-upload: expected a size such as 500MB, 2GiB or a number of bytes, found "lots"/,
  );
});
