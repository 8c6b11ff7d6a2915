/**
 * Migrations in a deployment: refuse a contract migration while the environment's live or
 * rollback-target release still needs the old schema, back up, then apply. Also the rehearsal
 * that ticks the checklist item "migrations tested" for a release. Used by the engine's migrate
 * step (through the Migrator port) and by `slipway migrations apply|rehearse`.
 */
import { join } from 'node:path';
import type { SlipwayConfig } from '../config/schema.ts';
import { AppError } from '../domain/errors.ts';
import type { Release } from '../domain/types.ts';
import type { Store } from '../store/contract.ts';
import { rehearsalTarget } from './audit.ts';
import { backupDatabase, engineOf } from './backups.ts';
import { recordCovered, runCommand } from './command.ts';
import type { MigrationFile } from './files.ts';
import { listMigrations } from './files.ts';
import { DEFAULT_PG_VERSION, formatFinding, lintSql, openFindings } from './lint/lint.ts';
import { rehearseMaria } from './mariadb/rehearse.ts';
import { loadParser } from './parse.ts';
import { type ApplyResult, appliedRows, applyMigrations, pendingOf } from './postgres/apply.ts';
import type { BackupManifest } from './postgres/backup.ts';
import { connect, type DbTarget } from './postgres/connect.ts';
import { type Rehearsal, rehearse } from './postgres/rehearse.ts';
import { backupRoot, dbTarget, type MigrationsConfig, requireMigrations } from './service.ts';
import { rehearseSqlite } from './sqlite/rehearse.ts';

export interface MigrationDeps {
  readonly config: SlipwayConfig;
  readonly projectDir: string;
  readonly store: Store;
  /** The environment's resolved config values and secrets. */
  readonly vars: (env: string) => Promise<Readonly<Record<string, string>>>;
}

export interface RunResult extends ApplyResult {
  /**
   * Pending files left for the contract phase: the first contract migration and whatever follows
   * it (order is kept). They run after the release is verified, with their own approval.
   */
  readonly held: readonly string[];
  readonly backup: Pick<BackupManifest, 'id' | 'bytes' | 'durationMs' | 'sha256'> | null;
  readonly kinds: Readonly<Record<string, 'expand' | 'contract'>>;
  readonly summary: string;
}

/**
 * Lint what is about to run: a file that does not parse or has an unsafe finding not accepted
 * inline is refused before the backup; otherwise each file's kind (expand or contract).
 */
async function classify(env: string, files: readonly MigrationFile[], m: MigrationsConfig) {
  await loadParser();
  const opts = {
    pgVersion: m.pgVersion ?? DEFAULT_PG_VERSION,
    runnerSetsLockTimeout: m.command === undefined,
  };
  const results = files.map((f) => lintSql(f.name, f.sql, opts));
  const problems = results.flatMap((r) => [
    ...(r.parseError
      ? [`${r.file}:${r.parseError.line}:${r.parseError.column} syntax: ${r.parseError.message}`]
      : []),
    ...openFindings(r).map(formatFinding),
  ]);
  if (problems.length > 0)
    throw new AppError(
      'MIGRATION_REFUSED',
      `${env}: ${problems.length} unsafe finding(s) in the pending migrations; nothing ran. Fix them, or accept one with \`-- slipway:allow RULE because WHY\` (see \`slipway migrations lint\`)`,
      { details: problems },
    );
  return new Map(results.map((r) => [r.file, r] as const));
}

/**
 * A contract migration breaks the release it replaces. It runs only when every release the
 * environment may serve (the live one, and the one a rollback would go back to) was registered at
 * or after the release its `slipway:contract-after` names: the first that no longer needs the old schema.
 */
export async function refuseContract(
  store: Store,
  app: string,
  env: string,
  contract: readonly { readonly file: string; readonly contractAfter?: string }[],
  only: 'marked' | 'serving' = 'serving',
): Promise<void> {
  if (contract.length === 0) return;
  const state = (await store.listEnvironments(app)).find((e) => e.name === env);
  const serving =
    only === 'marked' ? [] : [state?.releaseId, state?.previousReleaseId].filter((x): x is string => !!x);
  for (const f of contract) {
    const after = f.contractAfter;
    if (!after)
      throw new AppError(
        'MIGRATION_REFUSED',
        `${f.file} is a contract migration (it drops, renames or tightens what the running release uses) and says nothing of which releases stopped using it; add \`-- slipway:contract-after VERSION\` naming the first release that no longer needs the old schema, once that release is live`,
      );
    const since = await store.findRelease(app, after);
    if (!since)
      throw new AppError(
        'MIGRATION_REFUSED',
        `${f.file} is a contract migration for releases from ${after} on, but no release ${after} is registered; register and deploy it first`,
      );
    for (const id of serving) {
      const r = await store.findRelease(app, id);
      if (r && r.createdAt < since.createdAt)
        throw new AppError(
          'MIGRATION_REFUSED',
          `${f.file} is a contract migration and ${env}'s ${id === state?.releaseId ? 'live' : 'rollback-target'} release ${r.version} predates ${after}: it still needs the old schema; deploy ${after} or later to ${env} (and let it become the rollback target) first`,
        );
    }
  }
}

/**
 * Apply a release's pending migrations to `env`. In the `expand` phase (a deployment's migrate
 * step, `slipway migrations apply`) only the files before the first contract migration run; the
 * rest are held for the `contract` phase (`slipway migrations contract`, its own approval), which
 * also refuses while a serving release still needs the old schema.
 */
export async function runMigrations(
  deps: MigrationDeps,
  env: string,
  release: Pick<Release, 'version'> & { readonly dir: string },
  user: string,
  log: (line: string) => void = () => {},
  phase: 'expand' | 'contract' = 'expand',
): Promise<RunResult> {
  const m = requireMigrations(deps.config);
  const t: DbTarget = dbTarget(deps.config, env, await deps.vars(env));
  let files = listMigrations(join(release.dir, m.dir));
  const client = await connect(t);
  let pending: MigrationFile[];
  try {
    pending = pendingOf(files, await appliedRows(client));
  } finally {
    await client.end().catch(() => {});
  }
  const linted = await classify(env, pending, m);
  const kinds = Object.fromEntries([...linted].map(([name, r]) => [name, r.kind] as const));
  const contract = [...linted.values()].filter((r) => r.kind === 'contract');
  // A contract file nobody marked could never run: say so now, not after the release went live.
  await refuseContract(deps.store, deps.config.app, env, contract, phase === 'expand' ? 'marked' : 'serving');
  const first = pending.findIndex((f) => kinds[f.name] === 'contract');
  // A team's tool applies everything it finds: with a contract pending, the whole run waits.
  const cut = phase === 'contract' || first < 0 ? -1 : m.command ? 0 : first;
  const held = cut < 0 ? [] : pending.slice(cut).map((f) => f.name);
  // An expand file behind a held contract is schema this release needs before it starts.
  const stuck = held.filter((name) => kinds[name] !== 'contract');
  if (stuck.length > 0)
    throw new AppError(
      'MIGRATION_REFUSED',
      `${env}: ${stuck.join(', ')} (expand) ${stuck.length > 1 ? 'come' : 'comes'} after the contract migration ${held[0]}, which waits for its own go, so this release would start without its schema; nothing ran. Run the contract phase first (\`slipway migrations contract ${env} --approve\`, once the release that brought it is live), or number the expand file before the contract one`,
    );
  const heldNote = held.length
    ? `; held for the contract phase: ${held.join(', ')} (contract: runs once ${env} has verified this release and no serving release needs the old schema, with its own approval: \`slipway migrations contract ${env}\`)`
    : '';
  if (cut >= 0) {
    pending = pending.slice(0, cut);
    files = files.filter((f) => !held.includes(f.name));
  }
  if (pending.length === 0)
    return {
      applied: [],
      skipped: files.map((f) => f.name),
      held,
      backup: null,
      kinds,
      summary: `${env}: no pending ${phase === 'expand' && held.length ? 'expand ' : ''}migrations (${files.length} applied)${heldNote}`,
    };
  log(`${env}: backing up before ${pending.length} migration(s)`);
  const backup = await backupDatabase(t, backupRoot(deps.config, deps.projectDir), {
    keep: m.backup.keep,
    release: release.version,
  });
  await deps.store.appendAudit({
    actor: user,
    action: 'db.backup',
    target: `${deps.config.app}/${env}`,
    data: {
      backup: backup.id,
      bytes: backup.bytes,
      durationMs: backup.durationMs,
      sha256: backup.sha256,
      release: release.version,
    },
  });
  const client2 = await connect(t);
  let result: ApplyResult;
  const started = Date.now();
  try {
    if (m.command) {
      log(`${env}: running ${m.command}`);
      const ran = await runCommand(m.command, release.dir, t, m.statementTimeout);
      await recordCovered(client2, pending, release.version, ran.durationMs);
      result = {
        applied: pending.map((f) => ({ name: f.name, durationMs: ran.durationMs, attempts: 1 })),
        skipped: files.filter((f) => !pending.includes(f)).map((f) => f.name),
      };
    } else
      result = await applyMigrations(client2, files, {
        lockTimeoutMs: m.lockTimeout,
        statementTimeoutMs: m.statementTimeout,
        retries: m.retries,
        release: release.version,
        onRetry: (file, attempt, error) => log(`${file}: ${error}; retry ${attempt} of ${m.retries}`),
      });
  } catch (error) {
    await deps.store.appendAudit({
      actor: user,
      action: 'migrations.failed',
      target: `${deps.config.app}/${env}`,
      data: { release: release.version, error: (error as Error).message, backup: backup.id },
    });
    throw error;
  } finally {
    await client2.end().catch(() => {});
  }
  await deps.store.appendAudit({
    actor: user,
    action: 'migrations.applied',
    target: `${deps.config.app}/${env}`,
    data: {
      release: release.version,
      phase,
      files: result.applied.map((a) => a.name),
      ms: Date.now() - started,
      backup: backup.id,
    },
  });
  const expandOnly = result.applied.every((a) => kinds[a.name] !== 'contract');
  const summary = `${env}: applied ${result.applied.map((a) => `${a.name} (${kinds[a.name]}, ${a.durationMs} ms${a.attempts > 1 ? `, ${a.attempts} attempts` : ''})`).join(', ')} after backup ${backup.id} (${backup.bytes} bytes, ${backup.durationMs} ms)${
    expandOnly
      ? '; expand only: a rollback is a plain traffic switch, no database restore needed'
      : `; contract: a rollback needs \`slipway db restore ${env} --to ${backup.id}\``
  }${heldNote}`;
  return {
    ...result,
    held,
    backup: { id: backup.id, bytes: backup.bytes, durationMs: backup.durationMs, sha256: backup.sha256 },
    kinds,
    summary,
  };
}

export async function rehearseRelease(
  deps: MigrationDeps,
  env: string,
  files: readonly MigrationFile[],
  release: Pick<Release, 'version' | 'digest'> | undefined,
  user: string,
  /** Rows per table to generate instead of copying the data (the CLI's --generate). */
  generate?: number,
): Promise<Rehearsal> {
  const m = requireMigrations(deps.config);
  const t = dbTarget(deps.config, env, await deps.vars(env));
  const rows = generate ?? m.rehearse?.generate;
  const opts = {
    lockTimeoutMs: m.lockTimeout,
    statementTimeoutMs: m.statementTimeout,
    budgetMs: m.lockBudget,
    release: release?.version ?? 'rehearsal',
    ...(rows !== undefined && { generate: rows }),
  };
  const engine = engineOf(t);
  if (engine !== 'postgres' && rows !== undefined)
    throw new AppError(
      'USAGE',
      `${env}: generated data (--generate, migrations.rehearse.generate) is for PostgreSQL only; ${t.key} is a ${engine} database: rehearse on its copy (drop --generate)`,
    );
  const r =
    engine === 'mariadb'
      ? await rehearseMaria(t, files, opts)
      : engine === 'sqlite'
        ? await rehearseSqlite(t, files, opts)
        : await rehearse(t, files, opts);
  if (release)
    await deps.store.appendAudit({
      actor: user,
      action: 'migrations.rehearsed',
      target: rehearsalTarget(deps.config.app, release.digest),
      data: {
        env,
        release: release.version,
        ok: r.ok,
        files: r.files,
        copy: r.copy,
        ...(r.engine && { engine: r.engine }),
        ...(r.generated && { generatedRows: r.generated.rowsPerTable }),
        worst: r.statements.reduce((n, s) => Math.max(n, s.lock === 'ACCESS EXCLUSIVE' ? s.heldMs : 0), 0),
        budgetMs: r.budgetMs,
        ...(r.error && { error: r.error }),
      },
    });
  return r;
}
