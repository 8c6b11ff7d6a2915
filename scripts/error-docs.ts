/** Regenerates the table of docs/errors.md from the error registry (run by `npm run docs`). */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ERROR_CODES } from '../src/domain/errors.ts';

export function errorTable(): string {
  const rows = Object.entries(ERROR_CODES).map(
    ([code, spec]) => `| \`${code}\` | ${spec.exit} | ${spec.status} | ${spec.summary} |`,
  );
  return ['| code | exit | HTTP | meaning |', '|---|---|---|---|', ...rows].join('\n');
}

if (import.meta.main) {
  const file = join(import.meta.dirname, '..', 'docs', 'errors.md');
  const text = readFileSync(file, 'utf8');
  const start = text.indexOf('| code |');
  writeFileSync(file, `${text.slice(0, start)}${errorTable()}\n`);
}
