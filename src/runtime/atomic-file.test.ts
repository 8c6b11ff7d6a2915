import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { isAppError } from '../domain/errors.ts';
import { tempDir } from '../testing.ts';
import { diskError, writeFileAtomic, writeJsonFileAtomic } from './atomic-file.ts';

test('replaces a file whole, mode 0600 by default, creating its folder', () => {
  const dir = tempDir();
  try {
    const file = join(dir.path, 'sub/state.json');
    writeJsonFileAtomic(file, { a: 1 });
    writeJsonFileAtomic(file, { a: 2 });
    assert.deepEqual(JSON.parse(readFileSync(file, 'utf8')), { a: 2 });
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.deepEqual(readdirSync(join(dir.path, 'sub')), ['state.json'], 'no temp file left');
  } finally {
    dir.cleanup();
  }
});

test('a writer that dies before its rename leaves the old file; a failed write removes its temp file', () => {
  const dir = tempDir();
  try {
    const file = join(dir.path, 'state.json');
    writeFileSync(file, 'old');
    assert.throws(
      () =>
        writeFileAtomic(file, 'new', {
          beforeRename: () => {
            throw new Error('crash');
          },
        }),
      /crash/,
    );
    assert.equal(readFileSync(file, 'utf8'), 'old');
    assert.deepEqual(readdirSync(dir.path), ['state.json']);
  } finally {
    dir.cleanup();
  }
});

test('exclusive refuses to replace an existing file with the caller’s error', () => {
  const dir = tempDir();
  try {
    const file = join(dir.path, 'key');
    writeFileAtomic(file, 'first', { exclusive: () => new Error('exists') });
    assert.throws(() => writeFileAtomic(file, 'second', { exclusive: () => new Error('exists') }), /exists/);
    assert.equal(readFileSync(file, 'utf8'), 'first');
    assert.deepEqual(readdirSync(dir.path), ['key']);
  } finally {
    dir.cleanup();
  }
});

test('ENOSPC and EDQUOT become DISK_FULL naming the path (exit 4); other errors pass unchanged', () => {
  for (const code of ['ENOSPC', 'EDQUOT']) {
    const error = diskError(Object.assign(new Error('no space'), { code }), '/srv/x/state.json');
    assert.ok(isAppError(error) && error.code === 'DISK_FULL' && error.exitCode === 4);
    assert.match((error as Error).message, /^disk full at \/srv\/x\/state\.json: nothing was written/);
  }
  const other = Object.assign(new Error('denied'), { code: 'EACCES' });
  assert.equal(diskError(other, '/x'), other);
});
