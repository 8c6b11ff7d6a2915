/**
 * Connections to an environment's database, with every way it can fail said in one line that
 * names the environment, the config key and the fix. The URL's password never appears in text.
 */
import { spawnSync } from 'node:child_process';
import pg from 'pg';
import { AppError } from '../../domain/errors.ts';

/** Where a URL came from, for messages: `production` and `DATABASE_URL`. */
export interface DbTarget {
  readonly env: string;
  readonly key: string;
  readonly url: string;
}

/** The URL without its password, safe to print. */
export function safeUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(not a URL)';
  }
}

export function databaseName(t: DbTarget): string {
  const name = decodeURIComponent(new URL(t.url).pathname.replace(/^\//, ''));
  return name || new URL(t.url).username || 'postgres';
}

/** The same server, another database (the maintenance database `postgres` by default). */
export function withDatabase(url: string, db: string): string {
  const u = new URL(url);
  u.pathname = `/${encodeURIComponent(db)}`;
  return u.toString();
}

export function checkUrl(t: DbTarget): void {
  let u: URL | undefined;
  try {
    u = new URL(t.url);
  } catch {}
  if (!u || !['postgres:', 'postgresql:'].includes(u.protocol))
    throw new AppError(
      'DATABASE_UNAVAILABLE',
      `${t.env}: ${t.key} is not a PostgreSQL URL (${u ? safeUrl(t.url) : 'unparsable'}); set it to postgres://USER@HOST:PORT/DATABASE with \`slipway config set ${t.env} ${t.key} …\` or in .env.${t.env}`,
    );
}

/** Open a client, or fail with one line: unreachable, wrong credentials, no such database. */
export async function connect(t: DbTarget, url = t.url): Promise<pg.Client> {
  checkUrl(t);
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  // An idle connection the server drops must not crash the process: the next query reports it.
  client.on('error', () => {});
  try {
    await client.connect();
    return client;
  } catch (error) {
    await client.end().catch(() => {});
    throw new AppError('DATABASE_UNAVAILABLE', connectProblem(t, url, error as Error & { code?: string }));
  }
}

function connectProblem(t: DbTarget, url: string, e: Error & { code?: string }): string {
  const where = `${t.env}: the database in ${t.key} (${safeUrl(url)})`;
  switch (e.code) {
    case 'ECONNREFUSED':
    case 'ENOTFOUND':
    case 'EHOSTUNREACH':
    case 'ETIMEDOUT':
      return `${where} cannot be reached (${e.code}); check the host and port in ${t.key} for ${t.env}, and that PostgreSQL runs there`;
    case '28P01':
    case '28000':
      return `${where} refuses the credentials (${e.message}); fix the user or password in ${t.key} for ${t.env}`;
    case '3D000':
      return `${where} does not exist (${e.message}); create it, or fix the database name in ${t.key} for ${t.env}`;
    default:
      return `${where} cannot be used: ${e.message}; check ${t.key} for ${t.env}`;
  }
}

/** A dump tool (pg_dump, pg_restore) that must be on PATH, or one line saying how to get it. */
export function requireTool(t: DbTarget, tool: string): void {
  const found = spawnSync(tool, ['--version'], { encoding: 'utf8' });
  if (found.error || found.status !== 0)
    throw new AppError(
      'DATABASE_UNAVAILABLE',
      `${t.env}: ${tool} is not installed, and slipway needs it to back up or copy the database in ${t.key}; install the postgresql-client package (apt-get install postgresql-client)`,
    );
}
