/** How users and tokens are shown, the same for the local store and a server's admin API. */
import type { Context } from './context.ts';
import { table } from './io.ts';

interface ShownUser {
  readonly name: string;
  readonly createdBy: string;
  readonly grants: readonly { readonly role: string; readonly env: string }[];
}

interface ShownToken {
  readonly id: string;
  readonly user: string;
  readonly name: string;
  readonly createdAt: string;
  readonly expiresAt: string | null;
  readonly revokedAt: string | null;
}

export function printUsers(c: Context, users: readonly ShownUser[]): void {
  if (c.io.json) {
    c.io.data(users);
    return;
  }
  c.io.out(
    table([
      ['USER', 'ROLES', 'CREATED BY'],
      ...users.map((u) => [u.name, u.grants.map((g) => `${g.role}@${g.env}`).join(' ') || '-', u.createdBy]),
    ]),
  );
}

export function printTokens(c: Context, list: readonly ShownToken[]): void {
  if (c.io.json) {
    c.io.data(list);
    return;
  }
  const now = Date.now();
  const state = (t: ShownToken) =>
    t.revokedAt
      ? `revoked ${t.revokedAt.slice(0, 16)}`
      : t.expiresAt && Date.parse(t.expiresAt) <= now
        ? 'expired'
        : 'active';
  c.io.out(
    table([
      ['ID', 'USER', 'NAME', 'CREATED', 'EXPIRES', 'STATE'],
      ...list.map((t) => [
        t.id,
        t.user,
        t.name,
        t.createdAt.slice(0, 16),
        t.expiresAt?.slice(0, 16) ?? 'never',
        state(t),
      ]),
    ]),
  );
}
