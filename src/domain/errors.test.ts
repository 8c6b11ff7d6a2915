import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { repoRoot } from '../testing.ts';
import { AppError, ERROR_CODES, type ErrorCode } from './errors.ts';

test('every error code is documented in docs/errors.md with its exit code and status', () => {
  const doc = readFileSync(`${repoRoot}/docs/errors.md`, 'utf8');
  const rows = doc
    .split('\n')
    .filter((line) => line.startsWith('| `'))
    .map((line) =>
      line
        .split('|')
        .slice(1, -1)
        .map((cell) => cell.trim()),
    );
  for (const [code, spec] of Object.entries(ERROR_CODES)) {
    const row = rows.find((r) => r[0] === `\`${code}\``);
    assert.deepEqual(
      row,
      [`\`${code}\``, String(spec.exit), String(spec.status), spec.summary],
      `docs/errors.md row for ${code}`,
    );
  }
  const documented = rows.map((r) => r[0]?.replaceAll('`', ''));
  assert.deepEqual(
    documented.sort(),
    Object.keys(ERROR_CODES).sort(),
    'docs/errors.md documents a code that does not exist',
  );
});

test('an AppError carries its code, status and exit code, and serialises without a stack', () => {
  const e = new AppError('LOCK_HELD' satisfies ErrorCode, 'staging is locked by dep-1', {
    details: ['held since 10:00'],
  });
  assert.equal(e.status, 409);
  assert.equal(e.exitCode, 3);
  assert.deepEqual(JSON.parse(JSON.stringify(e)), {
    code: 'LOCK_HELD',
    message: 'staging is locked by dep-1',
    details: ['held since 10:00'],
  });
});
