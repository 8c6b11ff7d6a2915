/**
 * `slipway store backup [PATH]` / `slipway store restore PATH`: copies of the store (SQLite's
 * online backup API; pg_dump for PostgreSQL), and a verified restore that keeps the store it
 * replaces and refuses while a deployment is in flight.
 */
import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { AppError } from '../../domain/errors.ts';
import { advanceAnchor } from '../../store/anchor.ts';
import { backupDir, manualBackupName } from '../../store/backup-files.ts';
import { unmarkStore } from '../../store/marker.ts';
import { backupPostgres } from '../../store/postgres/backup.ts';
import { inFlightDeployments, restoreStore } from '../../store/restore.ts';
import { backupSqlite } from '../../store/sqlite/backup.ts';
import { sqliteHandle } from '../../store/sqlite/store.ts';
import { type Act, type Context, storeDescription } from '../context.ts';

export function registerStore(program: Command, ctx: () => Context, act: Act): void {
  const store = program
    .command('store')
    .description('Back up and restore the store (releases, deployments, audit log).');
  store
    .command('backup')
    .description(
      'Copy the store while it is in use (SQLite online backup, or pg_dump) to PATH, by default .slipway/backups/backup-<time>.db|.pgdump; the copy is integrity-checked.',
    )
    .argument('[path]', 'where to write the backup (must not exist)')
    .action(act((path: string | undefined) => backup(ctx(), path)));
  store
    .command('restore')
    .description(
      'Replace the store with a backup made by `slipway store backup` (verified first); the replaced store is kept aside. Refused while a deployment is in flight unless --force.',
    )
    .argument('<path>', 'the backup file')
    .option('--force', 'restore even while a deployment is in flight (its progress is lost from the store)')
    .action(act((path: string, opts: { force?: boolean }) => restore(ctx(), path, opts.force === true)));
}

async function backup(c: Context, path: string | undefined): Promise<number> {
  const { target } = storeDescription(c);
  const dest = path ? resolve(c.cwd, path) : join(backupDir(c.dataDir()), manualBackupName(target.kind));
  if (existsSync(dest))
    throw new AppError('USAGE', `${path ?? dest} exists; give a new file name for the backup`);
  const s = await c.store();
  if (target.kind === 'sqlite') {
    const handle = sqliteHandle(s);
    if (!handle) throw new AppError('USAGE', 'an in-memory store cannot be backed up');
    await backupSqlite(handle, dest);
  } else await backupPostgres(target.url, dest);
  const bytes = statSync(dest).size;
  await s.appendAudit({
    actor: c.user,
    action: 'store.backup',
    target: 'store',
    data: { file: dest, bytes },
  });
  if (c.io.json) c.io.data({ file: dest, bytes, storeId: s.id, dialect: s.dialect });
  else {
    c.io.out(`backed up store ${s.id} (${s.dialect}, ${bytes} bytes) to ${dest}`);
    c.io.out(`restore it with: slipway store restore ${dest}`);
  }
  return 0;
}

async function restore(c: Context, path: string, force: boolean): Promise<number> {
  const file = resolve(c.cwd, path);
  if (!existsSync(file))
    throw new AppError('FILE_NOT_FOUND', `no backup at ${path}; backups are in ${backupDir(c.dataDir())}`);
  const { target, key, shown } = storeDescription(c);
  const flying = await inFlightDeployments(target);
  if (flying.length > 0 && !force) {
    throw new AppError(
      'STORE_BUSY',
      `${flying.length} deployment(s) in flight in ${shown}: ${flying.map((d) => `${d.id} (${d.env}, ${d.status})`).join(', ')}; the agent is driving their traffic and the restored store would not know it. Let them finish or abort them (\`slipway abort ENV\`), or pass --force`,
    );
  }
  const aside = await restoreStore(file, target, c.dataDir());
  // The restored store is recorded afresh by the next open; the anchor then starts at its head.
  unmarkStore(c.dataDir(), key);
  const s = await c.store();
  const entry = await s.appendAudit({
    actor: c.user,
    action: 'store.restore',
    target: 'store',
    data: { from: file, replacedKeptAt: aside ?? null, forced: force && flying.length > 0 },
  });
  advanceAnchor(c.dataDir(), key, s.id, entry, true);
  if (c.io.json) c.io.data({ restored: file, storeId: s.id, replacedKeptAt: aside ?? null });
  else {
    c.io.out(`restored store ${s.id} from ${file}`);
    c.io.out(aside ? `the replaced store is kept at ${aside}` : 'there was no store to keep aside');
    c.io.out('check it with: slipway doctor && slipway status');
  }
  return 0;
}
