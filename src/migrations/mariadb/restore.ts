import { AppError } from '../../domain/errors.ts';
import type { DbTarget } from '../postgres/connect.ts';
import { type RestoreResult, verifiedBackup } from '../postgres/restore.ts';
import { compareSums } from '../postgres/tables.ts';
import { loadInto, mariaSums, mariaTables } from './backup.ts';
import { ident, mariaDatabase, mariaQuery, requireMariaTool } from './client.ts';

export async function restoreMariaBackup(t: DbTarget, root: string, id?: string): Promise<RestoreResult> {
  const started = performance.now();
  const { backup, file } = await verifiedBackup(root, t.env, id);
  requireMariaTool(t, 'mariadb');
  const db = mariaDatabase(t);
  const stamp = Date.now().toString(36);
  const fresh = `${db}_restore_${stamp}`.slice(0, 64);
  const keptAs = `${db}_before_${stamp}`.slice(0, 64);
  let swapped = false;
  try {
    const t0 = performance.now();
    await loadInto(t, fresh, file).catch((e: Error) => {
      throw new AppError(
        'BACKUP_INVALID',
        `restoring ${backup.id} into a new database failed, ${db} is untouched: ${e.message}`,
      );
    });
    const restoreMs = performance.now() - t0;
    const t1 = performance.now();
    const sums = await mariaSums(t, fresh);
    const diff = compareSums(backup.tables, sums);
    if (diff.length > 0)
      throw new AppError(
        'BACKUP_INVALID',
        `the restored copy of ${backup.id} differs from the backup, ${db} is untouched: ${diff.join('; ')}`,
      );
    const verifyMs = performance.now() - t1;
    const t2 = performance.now();
    const live = await mariaTables(t, db);
    const move = (from: string, to: string, tables: readonly string[]) =>
      tables.map((n) => `${ident(from)}.${ident(n)} TO ${ident(to)}.${ident(n)}`);
    await mariaQuery(t, `CREATE DATABASE ${ident(keptAs)}`);
    // One statement: readers see the old tables or the restored ones, never a mix.
    await mariaQuery(
      t,
      `RENAME TABLE ${[...move(db, keptAs, live), ...move(fresh, db, Object.keys(sums))].join(', ')}`,
    );
    swapped = true;
    const swapMs = performance.now() - t2;
    await mariaQuery(t, `DROP DATABASE IF EXISTS ${ident(fresh)}`).catch(() => {});
    return {
      backup,
      database: db,
      keptAs,
      tables: Object.keys(sums).length,
      rows: Object.values(sums).reduce((n, x) => n + x.rows, 0),
      restoreMs: Math.round(restoreMs),
      verifyMs: Math.round(verifyMs),
      swapMs: Math.round(swapMs),
      totalMs: Math.round(performance.now() - started),
    };
  } finally {
    if (!swapped) {
      await mariaQuery(t, `DROP DATABASE IF EXISTS ${ident(fresh)}`).catch(() => {});
      await mariaQuery(t, `DROP DATABASE IF EXISTS ${ident(keptAs)}`).catch(() => {});
    }
  }
}
