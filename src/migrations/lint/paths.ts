/** The files `slipway migrations lint` reads: each PATH a .sql file or a folder of them, in order. */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { AppError } from '../../domain/errors.ts';
import { listMigrations, type MigrationFile } from '../files.ts';
import { loadParser } from '../parse.ts';
import type { CheckOptions } from './check.ts';
import { type FileLint, lintSql } from './lint.ts';

export function filesOf(paths: readonly string[], cwd: string): MigrationFile[] {
  return paths.flatMap((p) => {
    const full = resolve(cwd, p);
    if (!existsSync(full))
      throw new AppError('FILE_NOT_FOUND', `${p} does not exist; give a .sql file or a folder of them`);
    if (statSync(full).isDirectory()) return listMigrations(full).map((f) => ({ ...f, path: f.path }));
    return [{ name: p, path: full, sql: readFileSync(full, 'utf8'), checksum: '' }];
  });
}

export async function lintFiles(
  files: readonly MigrationFile[],
  cwd: string,
  opts: CheckOptions,
): Promise<FileLint[]> {
  await loadParser();
  return files.map((f) => lintSql(relative(cwd, f.path) || f.name, f.sql, opts));
}
