/**
 * With SLIPWAY_URL + SLIPWAY_TOKEN set, every command either goes through the server or refuses
 * by name; none falls back to a local store. Checked for the whole command tree, and by running
 * commands against an address where nothing listens (loopback, nothing started).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Command } from 'commander';
import { buildProgram, commandPath } from '../src/cli/main.ts';
import { REMOTE_MODES } from '../src/cli/remote-dispatch.ts';
import { tempDir } from '../src/testing.ts';
import { cli } from './cli-helpers.ts';

/** Every command that runs something: the leaves, and parents with an action of their own (`agent`). */
const runnable = (c: Command): Command[] => {
  const own = (c as unknown as { _actionHandler: unknown })._actionHandler ? [c] : [];
  return c.commands.length ? [...own, ...c.commands.flatMap(runnable)] : [c];
};

test('every command of the CLI has a remote mode, and the table names no command that is gone', () => {
  const program = buildProgram(
    () => {
      throw new Error('not run');
    },
    (fn) =>
      async (...args) =>
        void (await fn(...args)),
    { stdout: process.stdout, stderr: process.stderr },
  );
  const paths = runnable(program).map(commandPath).sort();
  assert.deepEqual(paths, Object.keys(REMOTE_MODES).sort());
});

describe('against a server address where nothing listens', () => {
  const dir = tempDir();
  before(() => {
    mkdirSync(join(dir.path, 'build'));
    process.env.SLIPWAY_URL = 'http://127.0.0.1:9';
    process.env.SLIPWAY_TOKEN = 'slw_test';
  });
  after(() => {
    delete process.env.SLIPWAY_URL;
    delete process.env.SLIPWAY_TOKEN;
    dir.cleanup();
  });

  test('local-only commands refuse by name (exit 2) and say where to run them', async () => {
    for (const argv of [
      ['secret', 'list'],
      ['config', 'show', 'staging'],
      ['user', 'revoke', 'ann', '--role', 'viewer'],
      ['agent'],
      ['checklist', 'dep-1'],
    ]) {
      const r = await cli(dir.path, ...argv);
      assert.equal(r.code, 2, `${argv.join(' ')}: ${r.stderr}`);
      assert.match(
        r.stderr,
        /^error\[LOCAL_ONLY\]: slipway [a-z -]+ is not available against a server \(.+\); run it on the server's machine \(without SLIPWAY_URL\)\n$/,
      );
    }
  });

  test('server commands go to the server (exit 4 when it is down), never to a local store', async () => {
    for (const argv of [
      ['status'],
      ['history'],
      ['releases'],
      ['approve', 'dep-1'],
      ['promote', '--from', 'staging', '--to', 'production'],
      ['deploy', '1.0.0', '--env', 'staging'],
    ]) {
      const r = await cli(dir.path, ...argv);
      assert.equal(r.code, 4, `${argv.join(' ')}: ${r.stderr}`);
      assert.match(
        r.stderr,
        /^error\[SERVER_UNREACHABLE\]: cannot reach the slipway server at http:\/\/127\.0\.0\.1:9/,
      );
    }
    assert.equal(existsSync(join(dir.path, '.slipway')), false, 'no local store was created');
  });

  test('--store with SLIPWAY_URL set is a usage error, not a silent choice of one', async () => {
    const r = await cli(dir.path, 'status', '--store', 'local.db');
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--store names a local store, but SLIPWAY_URL is set/);
  });

  test('release create checks its input before it uploads', async () => {
    const empty = await cli(dir.path, 'release', 'create', '--version', '1', 'build');
    assert.equal(empty.code, 2);
    assert.match(empty.stderr, /build holds no files/);
    const bad = await cli(dir.path, 'release', 'create', '--version', 'a\nb', 'build');
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /RELEASE_VERSION_INVALID/);
  });

  test('validate still reads the local file', async () => {
    const r = await cli(dir.path, 'validate');
    assert.equal(r.code, 2);
    assert.match(r.stderr, /FILE_NOT_FOUND/);
  });
});
