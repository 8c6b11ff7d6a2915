import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { tempDir } from '../../testing.ts';
import { tailFile } from './log-file.ts';

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
