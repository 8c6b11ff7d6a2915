/**
 * A full disk, for real: a 2 MB tmpfs holds the project, a filler file takes every free byte,
 * then a write to the store (through the CLI, as its own process) and to the agent's state file
 * must fail with DISK_FULL naming the path (exit 4) and leave the files as they were, with no temp
 * file behind. Mounting needs root; elsewhere the suite skips with its reason (never under CI).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, openSync, readdirSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { AgentStateFile, type EnvRecord } from '../src/agent/state.ts';
import { isAppError } from '../src/domain/errors.ts';
import { writeFileAtomic } from '../src/runtime/atomic-file.ts';
import { generateKey } from '../src/secrets/local/key.ts';
import { serviceSkip, tempDir } from '../src/testing.ts';
import { cliProcess } from './cli-helpers.ts';

const mountPoint = tempDir('slipway-disk-full-');
const mounted =
  spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', mountPoint.path], { stdio: 'ignore' })
    .status === 0;
const skip = serviceSkip('a small tmpfs', mounted, 'mounting one needs root: `mount -t tmpfs`');
const project = join(mountPoint.path, 'project');
const digest = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

const record = (release: string): EnvRecord => ({
  desired: {
    env: 'staging',
    listen: { host: '127.0.0.1', port: 0 },
    releases: [
      {
        release,
        weight: 100,
        app: 'shop',
        cwd: project,
        command: 'node server.js',
        vars: { LOG_LEVEL: 'info' },
        count: 1,
        health: { path: '/health', intervalMs: 100, timeoutMs: 100 },
        startTimeoutMs: 1000,
        stopTimeoutMs: 1000,
      },
    ],
  },
  instances: [],
  updatedAt: new Date(0).toISOString(),
});

/** Take every free byte of the filesystem with one file; returns its path. */
function fill(dir: string): string {
  const filler = join(dir, 'filler');
  const fd = openSync(filler, 'w');
  try {
    for (const size of [256 * 1024, 4096, 1]) {
      const chunk = Buffer.alloc(size, 0x55);
      for (;;) {
        try {
          writeSync(fd, chunk);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === 'ENOSPC') break;
          throw error;
        }
      }
    }
  } finally {
    closeSync(fd);
  }
  return filler;
}

const leftovers = (dir: string) => readdirSync(dir).filter((n) => n.endsWith('.tmp'));

describe('disk full while writing the store and the agent state', { skip }, () => {
  const stateDir = join(project, '.slipway/agent');
  let state: AgentStateFile;
  let filler = '';

  before(async () => {
    const first = await cliProcess(
      mountPoint.path,
      '--file',
      'project/slipway.yaml',
      'user',
      'add',
      'alice',
      '--role',
      'deployer',
    );
    assert.equal(first.code, 0, first.stderr);
    state = new AgentStateFile(stateDir, generateKey());
    await state.put(record('v1'));
    filler = fill(mountPoint.path);
  });
  after(() => {
    if (mounted) spawnSync('umount', [mountPoint.path]);
    mountPoint.cleanup();
  });

  test('a store write: DISK_FULL naming the store file, exit 4, the store unchanged', async () => {
    const db = join(project, '.slipway/slipway.db');
    const before = digest(db);
    const r = await cliProcess(
      mountPoint.path,
      '--file',
      'project/slipway.yaml',
      'user',
      'add',
      'bob',
      '--role',
      'viewer',
    );
    assert.equal(r.code, 4, r.stderr);
    assert.match(r.stderr, /^error\[DISK_FULL\]: disk full at \S+\/\.slipway\/slipway\.db: /);
    assert.match(r.stderr, /free space on that filesystem and run the command again/);
    assert.doesNotMatch(r.stderr, /at \w+ \(|INTERNAL/);
    assert.equal(digest(db), before);
    assert.deepEqual(leftovers(join(project, '.slipway')), []);
  });

  test('the agent state file: DISK_FULL naming it, the previous file intact, no temp file left', async () => {
    const before = digest(state.path);
    await assert.rejects(
      state.put(record('v2')),
      (error) =>
        isAppError(error) &&
        error.code === 'DISK_FULL' &&
        error.exitCode === 4 &&
        error.message.startsWith(`disk full at ${state.path}: nothing was written`),
    );
    assert.equal(digest(state.path), before);
    assert.deepEqual(leftovers(stateDir), []);
    assert.throws(
      () => writeFileAtomic(join(project, 'new.json'), 'x'.repeat(10_000)),
      /DISK_FULL|disk full at/,
    );
    assert.deepEqual(leftovers(project), []);
  });

  test('with space again, the same commands work and the store was never damaged', async () => {
    rmSync(filler);
    const r = await cliProcess(
      mountPoint.path,
      '--file',
      'project/slipway.yaml',
      'user',
      'add',
      'bob',
      '--role',
      'viewer',
    );
    assert.equal(r.code, 0, r.stderr);
    const doctor = await cliProcess(mountPoint.path, '--file', 'project/slipway.yaml', 'audit', 'verify');
    assert.equal(doctor.code, 0, doctor.stderr);
    assert.match(doctor.stdout, /intact: 2 entries/);
    await state.put(record('v2'));
  });
});
