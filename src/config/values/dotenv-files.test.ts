import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { tempDir } from '../../testing.ts';
import { findBadDotenvLines, parseDotenv, readDotenvFiles } from './dotenv-files.ts';

describe('.env files', () => {
  test('values come from dotenv, including quotes, export and multi-line values', () => {
    const text = '# comment\nA=1\nexport B="two words"\nC=\'x#y\' # trailing\nD="line1\nline2"\nE=\n';
    const { file, errors } = parseDotenv('.env', text);
    assert.deepEqual(errors, []);
    assert.deepEqual(file.values, { A: '1', B: 'two words', C: 'x#y', D: 'line1\nline2', E: '' });
  });

  test('every line dotenv would skip is reported with file and line', () => {
    const text =
      'GOOD=1\nthis is not a setting\n\n  # indented comment\n=novalue\nALSO_GOOD=2\nexport\r\nBAD KEY=3\n';
    const errors = findBadDotenvLines('config/.env', text);
    assert.deepEqual(
      errors.map((e) => e.line),
      [2, 5, 7, 8],
    );
    assert.match(errors[0]!.message, /^config\/\.env:2: cannot parse this line; write KEY=value/);
  });

  test('reads files in order, skips missing ones, reports bad lines of each', () => {
    const dir = tempDir();
    try {
      writeFileSync(join(dir.path, '.env'), 'A=1\nB=1\n');
      writeFileSync(join(dir.path, '.env.local'), 'B=2\noops\n');
      const { files, errors } = readDotenvFiles([
        join(dir.path, '.env'),
        join(dir.path, '.env.missing'),
        join(dir.path, '.env.local'),
      ]);
      assert.equal(files.length, 2);
      assert.deepEqual(files[1]!.values, { B: '2' });
      assert.equal(errors.length, 1);
      assert.equal(errors[0]!.line, 2);
      assert.ok(errors[0]!.file.endsWith('.env.local'));
    } finally {
      dir.cleanup();
    }
  });

  test('a folder given as a .env file is an AppError, not a crash', () => {
    const dir = tempDir();
    try {
      assert.throws(() => readDotenvFiles([dir.path]), /cannot read .*check its permissions/);
    } finally {
      dir.cleanup();
    }
  });
});
