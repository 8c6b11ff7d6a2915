/**
 * What the CLI, the engine and the server share about an environment's migrations: the settings,
 * the database URL (a config value or secret of the environment), the files a release brings and
 * where backups live. Kept apart from the pg code so a command can say what is wrong before it
 * opens any connection.
 */
import { isAbsolute, join, resolve } from 'node:path';
import type { SlipwayConfig } from '../config/schema.ts';
import { AppError } from '../domain/errors.ts';
import type { Release } from '../domain/types.ts';
import { artifactPath } from '../releases/artifacts.ts';
import { listMigrations, type MigrationFile } from './files.ts';
import type { DbTarget } from './postgres/connect.ts';

export type MigrationsConfig = NonNullable<SlipwayConfig['migrations']>;

export function requireMigrations(config: SlipwayConfig): MigrationsConfig {
  if (!config.migrations)
    throw new AppError(
      'MIGRATIONS_NOT_CONFIGURED',
      'slipway.yaml declares no migrations; add `migrations: { dir: migrations, database: DATABASE_URL }` (see `slipway schema`)',
    );
  return config.migrations;
}

/** The environment's database, from the config key or secret the migrations block names. */
export function dbTarget(
  config: SlipwayConfig,
  env: string,
  vars: Readonly<Record<string, string>>,
): DbTarget {
  const m = requireMigrations(config);
  // The schema admits only postgres today; MariaDB and SQLite would get their own folder here.
  if (m.engine !== 'postgres') throw new AppError('USAGE', `migrations.engine ${m.engine} is not supported`);
  const key = m.database;
  const url = vars[key];
  if (!url)
    throw new AppError(
      'DATABASE_UNAVAILABLE',
      `${env}: ${key} has no value, and migrations.database names it as the database URL; set it with \`slipway config set ${env} ${key} postgres://USER@HOST:5432/DB\` (or \`slipway secret set ${env} ${key}\` when it holds a password)`,
    );
  return { env, key, url };
}

/** The migration files a release brings (its migrations.dir). */
export function releaseMigrations(
  config: SlipwayConfig,
  dataDir: string,
  release: Pick<Release, 'digest'>,
): MigrationFile[] {
  const m = requireMigrations(config);
  return listMigrations(join(artifactPath(dataDir, release.digest), m.dir));
}

/** The project's copy of the migrations (slipway.yaml's folder + dir), for lint and rehearse before a release exists. */
export function projectMigrations(config: SlipwayConfig, projectDir: string): MigrationFile[] {
  return listMigrations(join(projectDir, requireMigrations(config).dir));
}

/**
 * What output must hide of the environment's database URL: its password. The rest of the URL
 * (host, port, database) is what messages name, so a user can see which database was meant.
 */
export function urlSecrets(url: string | undefined): Record<string, string> {
  try {
    const password = url ? decodeURIComponent(new URL(url).password) : '';
    return password ? { DATABASE_PASSWORD: password } : {};
  } catch {
    return {};
  }
}

export function backupRoot(config: SlipwayConfig, projectDir: string): string {
  const dir = config.migrations?.backup.dir ?? '.slipway/db-backups';
  return isAbsolute(dir) ? dir : resolve(projectDir, dir);
}
