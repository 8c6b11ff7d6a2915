/**
 * `slipway migrations lint|status|apply|rehearse`: the release's SQL migrations, checked with
 * PostgreSQL's own parser, applied to an environment's database, or rehearsed on a copy of it.
 */
import type { Command } from 'commander';
import { requireRelease } from '../../app/deployments.ts';
import { migrationDeps } from '../../app/migrations.ts';
import type { SlipwayConfig } from '../../config/schema.ts';
import { AppError } from '../../domain/errors.ts';
import { approveContract, pendingContract } from '../../migrations/contract.ts';
import { refuseContract, rehearseRelease, runMigrations } from '../../migrations/deploy.ts';
import { listMigrations, type MigrationFile } from '../../migrations/files.ts';
import {
  DEFAULT_PG_VERSION,
  type FileLint,
  formatFinding,
  openFindings,
} from '../../migrations/lint/lint.ts';
import { filesOf, lintFiles } from '../../migrations/lint/paths.ts';
import { RULES } from '../../migrations/lint/rules.ts';
import { appliedRows } from '../../migrations/postgres/apply.ts';
import { connect } from '../../migrations/postgres/connect.ts';
import type { Rehearsal } from '../../migrations/postgres/rehearse.ts';
import {
  dbTarget,
  projectMigrations,
  releaseMigrations,
  requireMigrations,
  urlSecrets,
} from '../../migrations/service.ts';
import { artifactPath } from '../../releases/artifacts.ts';
import { integer, text, version } from '../args.ts';
import type { Act, Context } from '../context.ts';
import { appFor } from '../deployments.ts';
import { table } from '../io.ts';

function configOrNull(c: Context): SlipwayConfig | null {
  try {
    return c.config().config;
  } catch (error) {
    if (c.options.file && error instanceof AppError && error.code === 'FILE_NOT_FOUND') return null;
    throw error;
  }
}

export function registerMigrations(program: Command, ctx: () => Context, act: Act): void {
  const cmd = program
    .command('migrations')
    .description(
      'Database migrations: lint them, see what an environment applied, apply, rehearse on a copy.',
    );

  cmd
    .command('lint')
    .description(
      "Lint SQL migrations with PostgreSQL's parser: each finding as file:line:col rule: why; fix. Exit 1 when something unsafe is found.",
    )
    .argument('[paths...]', '.sql files or folders (default: migrations.dir of slipway.yaml)')
    .option('--release <version>', 'lint the migrations a registered release brings', version('--release'))
    .option(
      '--pg-version <major>',
      `the PostgreSQL major version to judge for (default migrations.pgVersion, else ${DEFAULT_PG_VERSION})`,
      integer('--pg-version', 9, 30),
    )
    .option('--rules', 'list the rules: id, lock, what it catches')
    .action(
      act(async (paths: string[], opts: { release?: string; pgVersion?: number; rules?: boolean }) => {
        const c = ctx();
        if (opts.rules) {
          const rules = Object.values(RULES);
          if (c.io.json) c.io.data(rules);
          else
            c.io.out(
              table([
                ['RULE', 'LOCK', 'KIND', 'WHY'],
                ...rules.map((r) => [r.id, r.lock, r.contract ? 'contract' : 'expand', r.why]),
              ]),
            );
          return 0;
        }
        const config = paths.length > 0 && !opts.release ? configOrNull(c) : c.config().config;
        let files: MigrationFile[];
        if (opts.release) {
          const store = await c.store();
          const release = await requireRelease(store, (config as SlipwayConfig).app, opts.release);
          files = releaseMigrations(config as SlipwayConfig, c.dataDir(), release);
        } else if (paths.length > 0) files = filesOf(paths, c.cwd);
        else files = projectMigrations(config as SlipwayConfig, c.projectDir());
        const m = config?.migrations;
        const results = await lintFiles(files, c.cwd, {
          pgVersion: opts.pgVersion ?? m?.pgVersion ?? DEFAULT_PG_VERSION,
          // slipway's own runner sets lock_timeout; a migration tool run by `command:` does not.
          runnerSetsLockTimeout: m !== undefined && m.command === undefined,
        });
        return printLint(c, results);
      }),
    );

  cmd
    .command('status')
    .description(
      "The migrations an environment's database has applied, and those of the project still pending.",
    )
    .argument('<env>', 'the environment')
    .action(
      act(async (env: string) => {
        const c = ctx();
        const app = await appFor(c);
        const config = app.requireEnv(env);
        requireMigrations(config);
        const vars = await migrationDeps(app).vars(env);
        c.remember(urlSecrets(vars[config.migrations?.database ?? 'DATABASE_URL']));
        const t = dbTarget(config, env, vars);
        const client = await connect(t);
        try {
          const applied = await appliedRows(client);
          const done = new Set(applied.map((a) => a.name));
          const pending = projectMigrations(config, c.projectDir()).filter((f) => !done.has(f.name));
          if (c.io.json) c.io.data({ env, applied, pending: pending.map((f) => f.name) });
          else {
            c.io.out(
              table([
                ['MIGRATION', 'RELEASE', 'APPLIED', 'MS'],
                ...applied.map((a) => [
                  a.name,
                  a.release,
                  a.appliedAt.slice(0, 19).replace('T', ' '),
                  String(a.durationMs),
                ]),
              ]),
            );
            c.io.out(
              pending.length
                ? `pending in this project: ${pending.map((f) => f.name).join(', ')}`
                : 'nothing pending',
            );
          }
          return 0;
        } finally {
          await client.end().catch(() => {});
        }
      }),
    );

  cmd
    .command('apply')
    .description(
      "Back up the environment's database, then apply the pending expand migrations of a release, as deploy does before traffic moves (contract ones wait for `migrations contract`).",
    )
    .requiredOption('--env <env>', 'the environment')
    .requiredOption('--release <version>', 'the release whose migrations to apply', version('--release'))
    .action(
      act(async (opts: { env: string; release: string }) => {
        const c = ctx();
        const app = await appFor(c);
        const release = await requireRelease(app.store, app.requireEnv(opts.env).app, opts.release);
        const deps = migrationDeps(app);
        c.remember(
          urlSecrets((await deps.vars(opts.env))[deps.config.migrations?.database ?? 'DATABASE_URL']),
        );
        const dir = artifactPath(c.dataDir(), release.digest);
        const result = await runMigrations(
          deps,
          opts.env,
          { version: release.version, dir },
          c.user,
          (line) => c.io.err(line),
        );
        if (c.io.json) c.io.data(result);
        else c.io.out(result.summary);
        return 0;
      }),
    );

  cmd
    .command('contract')
    .description(
      "The contract phase of the environment's live release: the contract migrations its deployment held back. Without --approve, show them and whether they may run; with it, record your go and run them.",
    )
    .argument('<env>', 'the environment')
    .option('--approve', 'record the go (audited) and run the held contract migrations')
    .option('--reason <text>', 'why it is a go', text('--reason'))
    .action(
      act(async (env: string, opts: { approve?: boolean; reason?: string }) => {
        const c = ctx();
        const app = await appFor(c);
        app.requireEnv(env);
        const deps = { ...migrationDeps(app), dataDir: c.dataDir() };
        c.remember(urlSecrets((await deps.vars(env))[deps.config.migrations?.database ?? 'DATABASE_URL']));
        if (!opts.approve) {
          const { live, contract } = await pendingContract(deps, env);
          let verdict = 'may run: approve with `slipway migrations contract ' + env + ' --approve`';
          try {
            await refuseContract(deps.store, deps.config.app, env, contract);
          } catch (error) {
            verdict = `may not run yet: ${(error as Error).message}`;
          }
          if (c.io.json)
            c.io.data({ env, release: live.version, pending: contract.map((f) => f.file), verdict });
          else
            c.io.out(
              contract.length === 0
                ? `${env}'s live release ${live.version} holds no pending contract migration`
                : `${env}'s live release ${live.version} holds ${contract.map((f) => f.file).join(', ')} (contract); ${verdict}`,
            );
          return 0;
        }
        const r = await approveContract(
          deps,
          env,
          {
            user: c.user,
            via: c.identity().via,
            checkRole: true,
            ...(opts.reason !== undefined && { reason: opts.reason }),
          },
          (line) => c.io.err(line),
        );
        if (c.io.json) c.io.data(r);
        else c.io.out(r.summary);
        return 0;
      }),
    );

  cmd
    .command('rehearse')
    .description(
      'Run the pending migrations on a scratch copy of the environment\'s database: per statement duration, strongest lock and how long it was held, rows; ticks "migrations tested" for the release.',
    )
    .requiredOption('--env <env>', 'the environment whose database is copied')
    .option(
      '--release <version>',
      "the release whose migrations to rehearse (default: the project's migrations folder)",
      version('--release'),
    )
    .option(
      '--generate <rows>',
      "rehearse on the environment's schema only, with this many generated rows per table, instead of a copy of its data (default: migrations.rehearse.generate)",
      integer('--generate', 1, 1_000_000_000),
    )
    .action(
      act(async (opts: { env: string; release?: string; generate?: number }) => {
        const c = ctx();
        const app = await appFor(c);
        const config = app.requireEnv(opts.env);
        requireMigrations(config);
        const release = opts.release ? await requireRelease(app.store, config.app, opts.release) : undefined;
        const files = release
          ? releaseMigrations(config, c.dataDir(), release)
          : listMigrations(`${c.projectDir()}/${config.migrations?.dir}`);
        const deps = migrationDeps(app);
        c.remember(
          urlSecrets((await deps.vars(opts.env))[deps.config.migrations?.database ?? 'DATABASE_URL']),
        );
        const r = await rehearseRelease(deps, opts.env, files, release, c.user, opts.generate);
        if (c.io.json) {
          c.io.data(r);
          return r.ok ? 0 : 1;
        }
        if (r.engine) printOtherEngine(c, opts.env, r);
        else {
          c.io.out(
            r.generated
              ? `generated ${r.generated.rowsPerTable} rows in each of ${r.generated.tables.length} table(s) on ${opts.env}'s schema (no data copied) in ${r.copyMs} ms; lock budget ${r.budgetMs} ms of ACCESS EXCLUSIVE`
              : `copied ${opts.env}'s database by ${r.copy === 'template' ? 'CREATE DATABASE … TEMPLATE' : 'pg_dump | pg_restore'} in ${r.copyMs} ms; lock budget ${r.budgetMs} ms of ACCESS EXCLUSIVE`,
          );
          const rows = r.statements.map((s) => [
            `${s.file}:${s.line}`,
            `${s.durationMs}`,
            s.lock === 'none' ? '-' : `${s.lock}${s.on ? ` on ${s.on}` : ''}`,
            `${s.heldMs}`,
            s.rows === null ? '-' : String(s.rows),
            s.overBudget ? 'OVER BUDGET' : 'ok',
            s.statement.replace(/\s+/g, ' ').slice(0, 60),
          ]);
          c.io.out(
            table([['WHERE', 'MS', 'STRONGEST LOCK', 'HELD MS', 'ROWS', 'BUDGET', 'STATEMENT'], ...rows]),
          );
        }
        if (r.files.length === 0) c.io.out('nothing pending: the copy has every migration applied');
        if (r.error) c.io.out(`failed: ${r.error}`);
        c.io.out(
          r.ok
            ? `rehearsal passed${release ? `: "migrations tested" is ticked for ${release.version}` : ''}`
            : 'rehearsal failed: fix the migration before deploying it',
        );
        return r.ok ? 0 : 1;
      }),
    );
}

/** MariaDB and SQLite: duration, rows, MariaDB's metadata-lock wait, and what is not measured. */
function printOtherEngine(c: Context, env: string, r: Rehearsal): void {
  const maria = r.engine === 'mariadb';
  c.io.out(
    maria
      ? `copied ${env}'s MariaDB database by mariadb-dump into a scratch database in ${r.copyMs} ms`
      : `copied ${env}'s SQLite database with SQLite's online backup to a temporary file in ${r.copyMs} ms`,
  );
  const rows = r.statements.map((s) => [
    `${s.file}:${s.line}`,
    `${s.durationMs}`,
    ...(maria ? [`${s.lockWaitMs ?? '-'}`] : []),
    s.rows === null ? '-' : String(s.rows),
    s.statement.replace(/\s+/g, ' ').slice(0, 60),
  ]);
  c.io.out(table([['WHERE', 'MS', ...(maria ? ['MDL WAIT MS'] : []), 'ROWS', 'STATEMENT'], ...rows]));
  if (r.unmeasured) c.io.out(`not measured: ${r.unmeasured}`);
}

function printLint(c: Context, results: readonly FileLint[]): number {
  const parseErrors = results.filter((r) => r.parseError);
  const open = results.flatMap(openFindings);
  if (c.io.json) {
    c.io.data({
      files: results.map((r) => ({
        file: r.file,
        kind: r.kind,
        statements: r.statements,
        ...(r.parseError && { parseError: r.parseError }),
      })),
      findings: results.flatMap((r) =>
        r.findings.map(({ file, line, column, rule, lock, message, fix, allowed }) => ({
          file,
          line,
          column,
          rule,
          lock,
          message,
          fix,
          ...(allowed !== undefined && { allowed }),
        })),
      ),
    });
    return open.length > 0 || parseErrors.length > 0 ? 1 : 0;
  }
  for (const r of parseErrors)
    c.io.out(`${r.file}:${r.parseError?.line}:${r.parseError?.column} syntax: ${r.parseError?.message}`);
  for (const r of results) for (const f of r.findings) c.io.out(formatFinding(f));
  const statements = results.reduce((n, r) => n + r.statements, 0);
  const contract = results.filter((r) => r.kind === 'contract').map((r) => r.file);
  c.io.out(
    `${results.length} file(s), ${statements} statement(s): ${open.length} unsafe, ${results.reduce((n, r) => n + r.findings.length, 0) - open.length} allowed${parseErrors.length ? `, ${parseErrors.length} that do not parse` : ''}${contract.length ? `; contract: ${contract.join(', ')}` : ''}`,
  );
  return open.length > 0 || parseErrors.length > 0 ? 1 : 0;
}
