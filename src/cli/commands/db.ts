/** `slipway db backup|backups|restore ENV`: the environment's database, backed up and restored with checksums. */
import type { Command } from 'commander';
import { migrationDeps } from '../../app/migrations.ts';
import { backupDatabase, restoreDatabase } from '../../migrations/backups.ts';
import { listBackups } from '../../migrations/postgres/backup.ts';
import { backupRoot, dbTarget, requireMigrations, urlSecrets } from '../../migrations/service.ts';
import { name } from '../args.ts';
import type { Act, Context } from '../context.ts';
import { appFor } from '../deployments.ts';
import { table } from '../io.ts';

async function target(c: Context, env: string) {
  const app = await appFor(c);
  const config = app.requireEnv(env);
  const m = requireMigrations(config);
  const deps = migrationDeps(app);
  const vars = await deps.vars(env);
  const t = dbTarget(config, env, vars);
  c.remember(urlSecrets(t.url));
  return { app, config, m, t, root: backupRoot(config, c.projectDir()) };
}

const mb = (bytes: number) => `${(bytes / 1_048_576).toFixed(1)} MB`;

export function registerDb(program: Command, ctx: () => Context, act: Act): void {
  const cmd = program
    .command('db')
    .description(
      "An environment's database (migrations.database): backups taken with checksums, restores that verify every table.",
    );

  cmd
    .command('backup')
    .description(
      "Back up the environment's database now (pg_dump -Fc, mariadb-dump or SQLite's backup API by the URL's scheme; sha256, per-table row sums); keeps the last migrations.backup.keep.",
    )
    .argument('<env>', 'the environment')
    .action(
      act(async (env: string) => {
        const c = ctx();
        const { app, m, t, root, config } = await target(c, env);
        const b = await backupDatabase(t, root, { keep: m.backup.keep });
        await app.store.appendAudit({
          actor: c.user,
          action: 'db.backup',
          target: `${config.app}/${env}`,
          data: {
            backup: b.id,
            engine: b.engine,
            bytes: b.bytes,
            durationMs: b.durationMs,
            sha256: b.sha256,
          },
        });
        if (c.io.json) c.io.data(b);
        else
          c.io.out(
            `backup ${b.id} of ${env}: ${mb(b.bytes)} in ${b.durationMs} ms, ${Object.keys(b.tables).length} tables, sha256 ${b.sha256.slice(0, 16)}…`,
          );
        return 0;
      }),
    );

  cmd
    .command('backups')
    .description("List the environment's backups, oldest first.")
    .argument('<env>', 'the environment')
    .action(
      act(async (env: string) => {
        const c = ctx();
        const { root } = await target(c, env);
        const all = listBackups(root, env);
        if (c.io.json) c.io.data(all.map(({ tables: _t, ...b }) => b));
        else
          c.io.out(
            all.length === 0
              ? `${env} has no backup yet`
              : table([
                  ['ID', 'TAKEN', 'SIZE', 'MS', 'RELEASE'],
                  ...all.map((b) => [
                    b.id,
                    b.createdAt.slice(0, 19).replace('T', ' '),
                    mb(b.bytes),
                    String(b.durationMs),
                    b.release ?? '-',
                  ]),
                ]),
          );
        return 0;
      }),
    );

  cmd
    .command('restore')
    .description(
      'Restore a backup into a new database, verify row counts and checksums of every table, then swap it in (the replaced database is kept, renamed).',
    )
    .argument('<env>', 'the environment')
    .option('--to <backup>', 'the backup id (default the newest)', name('--to'))
    .action(
      act(async (env: string, opts: { to?: string }) => {
        const c = ctx();
        const { app, t, root, config } = await target(c, env);
        const audit = (action: string, data: Record<string, unknown>) =>
          app.store.appendAudit({ actor: c.user, action, target: `${config.app}/${env}`, data });
        let r: Awaited<ReturnType<typeof restoreDatabase>>;
        try {
          r = await restoreDatabase(t, root, opts.to);
        } catch (error) {
          await audit('db.restore.failed', { backup: opts.to ?? 'latest', error: (error as Error).message });
          throw error;
        }
        await audit('db.restore', {
          backup: r.backup.id,
          keptAs: r.keptAs,
          tables: r.tables,
          rows: r.rows,
          restoreMs: r.restoreMs,
          verifyMs: r.verifyMs,
          swapMs: r.swapMs,
          totalMs: r.totalMs,
        });
        if (c.io.json) c.io.data({ ...r, backup: r.backup.id });
        else {
          c.io.out(
            `restored ${r.backup.id} into ${r.database}: ${r.tables} tables, ${r.rows} rows, every table's count and checksum verified`,
          );
          c.io.out(
            `took ${r.totalMs} ms (restore ${r.restoreMs}, verify ${r.verifyMs}, swap ${r.swapMs}); the replaced database is kept as ${r.keptAs} — drop it once satisfied`,
          );
        }
        return 0;
      }),
    );
}
