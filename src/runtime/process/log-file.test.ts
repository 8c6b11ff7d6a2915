import assert from 'node:assert/strict';
import { appendFileSync, closeSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { tempDir } from '../../testing.ts';
import { rotateIfLarge, tailFile } from './log-file.ts';

test('tailFile returns the last lines of a file larger than one read chunk, oldest first', () => {
  const dir = tempDir();
  try {
    const file = join(dir.path, 'a.log');
    const lines = Array.from({ length: 5000 }, (_, i) => `line ${i} ${'x'.repeat(20)}`);
    writeFileSync(file, `${lines.join('\n')}\n`);
    assert.deepEqual(tailFile(file, 3), lines.slice(-3));
    assert.deepEqual(tailFile(file, 2000), lines.slice(-2000));
    assert.deepEqual(tailFile(join(dir.path, 'missing.log'), 5), []);
  } finally {
    dir.cleanup();
  }
});

test('rotateIfLarge moves a big log to .1 and the writer goes on appending at the new start', () => {
  const dir = tempDir();
  try {
    const file = join(dir.path, 'a.log');
    const writer = openSync(file, 'a'); // the instance's own O_APPEND descriptor
    writeSync(writer, 'x'.repeat(300));
    assert.equal(rotateIfLarge(file, 1000), false);
    appendFileSync(file, 'y'.repeat(800));
    assert.equal(rotateIfLarge(file, 1000), true);
    writeSync(writer, 'after rotation\n');
    closeSync(writer);
    assert.equal(readFileSync(file, 'utf8'), 'after rotation\n');
    assert.equal(readFileSync(`${file}.1`, 'utf8').length, 1100);
  } finally {
    dir.cleanup();
  }
});
