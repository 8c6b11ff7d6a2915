/**
 * Tokens, users and the audit log through a server's admin API (role admin): the same output as
 * the local commands. Taking a role away has no API route yet and refuses (remote-dispatch.ts).
 */

import type { z } from '@hono/zod-openapi';
import { AppError } from '../domain/errors.ts';
import type { Token, User } from '../server/schemas.ts';
import { printTokens, printUsers } from './admin-tables.ts';
import type { Context } from './context.ts';
import type { ApiClient } from './remote.ts';

type RemoteUser = z.infer<typeof User>;

export async function remoteTokenCreate(
  c: Context,
  r: ApiClient,
  opts: { user: string; name: string; expiresInDays: number },
): Promise<number> {
  const { token: t, secret } = await r.http.json<{ token: z.infer<typeof Token>; secret: string }>(
    'POST',
    '/api/tokens',
    opts,
  );
  if (c.io.json) c.io.data({ ...t, secret });
  else {
    c.io.out(`token ${t.id} for ${t.user} (expires ${t.expiresAt}); it is shown only this once:`);
    c.io.out(secret);
  }
  return 0;
}

export async function remoteTokenList(c: Context, r: ApiClient, opts: { user?: string }): Promise<number> {
  const list = (await r.http.json<z.infer<typeof Token>[]>('GET', '/api/tokens')).filter(
    (t) => opts.user === undefined || t.user === opts.user,
  );
  printTokens(c, list);
  return 0;
}

export async function remoteTokenRevoke(c: Context, r: ApiClient, id: string): Promise<number> {
  const t = await r.http.json<z.infer<typeof Token>>('DELETE', `/api/tokens/${encodeURIComponent(id)}`);
  c.io.out(`token ${id} of ${t.user} is revoked`);
  return 0;
}

/** `user add` and `user grant`: the API's PUT-like POST /api/users adds the user and the role. */
export async function remoteUserPut(
  c: Context,
  r: ApiClient,
  verb: 'add' | 'grant',
  name: string,
  opts: { role?: string; env: string },
): Promise<number> {
  if (verb === 'grant' && !opts.role) throw new AppError('USAGE', 'user grant: --role is required');
  if (
    verb === 'grant' &&
    !(await r.http.json<RemoteUser[]>('GET', '/api/users')).some((u) => u.name === name)
  )
    throw new AppError('USER_NOT_FOUND', `no user "${name}"; add it with \`slipway user add ${name}\``);
  const u = await r.http.json<RemoteUser>('POST', '/api/users', {
    name,
    grants: opts.role ? [{ env: opts.env, role: opts.role }] : [],
  });
  if (c.io.json) c.io.data(u);
  else c.io.out(`${name}: ${u.grants.map((g) => `${g.role} on ${g.env}`).join(', ') || 'no roles'}`);
  return 0;
}

export async function remoteUserList(c: Context, r: ApiClient): Promise<number> {
  const users = await r.http.json<RemoteUser[]>('GET', '/api/users');
  printUsers(c, users);
  return 0;
}

export async function remoteAuditVerify(c: Context, r: ApiClient): Promise<number> {
  const { entries, broken } = await r.http.json<{
    entries: number;
    broken: { seq: number; problem: string } | null;
  }>('GET', '/api/audit/verify');
  if (broken)
    throw new AppError(
      'AUDIT_CHAIN_BROKEN',
      `audit entry ${broken.seq} is bad: ${broken.problem} (${entries} entries read on ${r.url}); export the log with \`slipway audit export\` and compare it with a copy you trust`,
    );
  if (c.io.json) c.io.data({ entries, intact: true });
  else c.io.out(`audit log on ${r.url} intact: ${entries} entries, each linked to the one before`);
  return 0;
}

/** Every entry, oldest first, one JSON object per line (to standard output only). */
export async function remoteAuditExport(c: Context, r: ApiClient, opts: { out?: string }): Promise<number> {
  if (opts.out !== undefined)
    throw new AppError(
      'USAGE',
      'audit export --out writes on the server machine only; redirect standard output instead',
    );
  let after = 0;
  for (;;) {
    const page = await r.http.json<{ seq: number }[]>('GET', `/api/audit?after=${after}&limit=1000`);
    for (const entry of page) c.io.out(JSON.stringify(entry));
    if (page.length < 1000) return 0;
    after = page.at(-1)?.seq ?? after;
  }
}
