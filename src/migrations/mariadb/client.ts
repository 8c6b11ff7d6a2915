/**
 * MariaDB/MySQL through Debian's own clients (`mariadb`, `mariadb-dump`) for backup and restore,
 * which those tools do best. (The rehearsal, which times statements one by one and samples the
 * processlist beside them, uses the `mariadb` npm connector: rehearse.ts.) The password goes in MYSQL_PWD (the environment), never on a command line,
 * and every failure is one line naming the environment, the key and the fix.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { AppError } from '../../domain/errors.ts';
import type { DbTarget } from '../postgres/connect.ts';
import { safeUrl } from '../postgres/connect.ts';

export const isMariaUrl = (url: string) => /^(mysql|mariadb):\/\//i.test(url);

export function mariaDatabase(t: DbTarget): string {
  const name = decodeURIComponent(new URL(t.url).pathname.replace(/^\//, ''));
  if (!name)
    throw new AppError(
      'DATABASE_UNAVAILABLE',
      `${t.env}: ${t.key} names no database (${safeUrl(t.url)}); write it as mysql://USER@HOST:3306/DATABASE`,
    );
  return name;
}

/** Connection options of the URL (no password: that goes in MYSQL_PWD). */
function connArgs(url: string): { args: string[]; env: NodeJS.ProcessEnv } {
  const u = new URL(url);
  const args = ['-h', u.hostname || '127.0.0.1', '-P', u.port || '3306', '--protocol=TCP'];
  if (u.username) args.push('-u', decodeURIComponent(u.username));
  const env = { ...process.env, ...(u.password && { MYSQL_PWD: decodeURIComponent(u.password) }) };
  return { args, env };
}

export function requireMariaTool(t: DbTarget, tool: 'mariadb' | 'mariadb-dump'): void {
  const found = spawnSync(tool, ['--version'], { encoding: 'utf8' });
  if (found.error || found.status !== 0)
    throw new AppError(
      'DATABASE_UNAVAILABLE',
      `${t.env}: ${tool} is not installed, and slipway needs it to back up or restore the MariaDB database in ${t.key}; install the mariadb-client package (apt-get install mariadb-client)`,
    );
}

/** One line for a client's error text: unreachable, refused credentials, no such database. */
function problem(t: DbTarget, tool: string, stderr: string): string {
  const where = `${t.env}: the database in ${t.key} (${safeUrl(t.url)})`;
  // "(using password: YES)" says nothing useful and reads like a secret to output redaction.
  const text = (stderr.trim().split('\n').at(-1) ?? '').replace(/ \(using password: \w+\)/, '');
  if (/\b(2002|2003|2005)\b|Can't connect/i.test(text))
    return `${where} cannot be reached (${text}); check the host and port in ${t.key} for ${t.env}, and that MariaDB runs there`;
  if (/\b1045\b|Access denied/i.test(text))
    return `${where} refuses the credentials (${text}); fix the user or password in ${t.key} for ${t.env}`;
  if (/\b1049\b|Unknown database/i.test(text))
    return `${where} does not exist (${text}); create it, or fix the database name in ${t.key} for ${t.env}`;
  return `${where}: ${tool} failed: ${text}`;
}

/**
 * Run `tool` with the URL's connection options; resolves with stdout. `stdinFile` feeds a dump to
 * `mariadb`; `outFile` is passed as --result-file to mariadb-dump.
 */
export function runMaria(
  t: DbTarget,
  tool: 'mariadb' | 'mariadb-dump',
  args: readonly string[],
  stdinFile?: string,
): Promise<string> {
  const { args: conn, env } = connArgs(t.url);
  return new Promise((resolve, reject) => {
    const child = spawn(tool, [...conn, ...args], {
      env,
      stdio: [stdinFile ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout?.on('data', (d) => (out += d));
    child.stderr?.on('data', (d) => (err = (err + d).slice(-4000)));
    child.on('error', reject);
    if (stdinFile && child.stdin) {
      const input = createReadStream(stdinFile);
      input.on('error', reject);
      child.stdin.on('error', () => {}); // the tool exiting early reports through its exit code
      input.pipe(child.stdin);
    }
    child.on('close', (code) =>
      code === 0 ? resolve(out) : reject(new AppError('DATABASE_UNAVAILABLE', problem(t, tool, err))),
    );
  });
}

/** Rows of a query, tab-separated columns (`mariadb --batch --skip-column-names`). */
export async function mariaQuery(t: DbTarget, sql: string, database?: string): Promise<string[][]> {
  const out = await runMaria(t, 'mariadb', [
    '--batch',
    '--skip-column-names',
    ...(database ? [database] : []),
    '-e',
    sql,
  ]);
  return out
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => l.split('\t'));
}

/** A MariaDB identifier, backquoted. */
export const ident = (id: string) => `\`${id.replaceAll('`', '``')}\``;
