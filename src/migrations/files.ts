/** A release's migration files: the `.sql` files of its migrations folder, in file-name order. */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

export interface MigrationFile {
  /** The file name, which is also its id in the applied-migrations table. */
  readonly name: string;
  readonly path: string;
  readonly sql: string;
  /** sha256 of the contents: an applied migration whose file changed is refused. */
  readonly checksum: string;
}

/** Numbered names sort by number (2_x before 10_y), then by name. */
const byName = (a: string, b: string) => a.localeCompare(b, 'en', { numeric: true });

export function listMigrations(dir: string): MigrationFile[] {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.sql'))
    .sort(byName)
    .map((name) => {
      const path = join(dir, name);
      const sql = readFileSync(path, 'utf8');
      return { name, path, sql, checksum: createHash('sha256').update(sql).digest('hex') };
    });
}
