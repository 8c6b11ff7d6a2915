/**
 * The gates' view of users (name → roles, as in slipway.yaml `users:`) built from the server's
 * store grants, so `decide()` and the engine's approval gate judge the same people the API
 * authorizes. Rule: a user known to the server store is judged by their grants on that
 * environment (grants on `*` included) — the store is authoritative when a token is used; users
 * only in slipway.yaml keep their listed roles (the CLI working without a server). An admin grant
 * also holds the role an approval asks for, as the API lets admins approve.
 */
import type { SlipwayConfig } from '../../config/schema.ts';
import { ANY_ENV } from '../../domain/auth.ts';
import type { Users } from '../../gates/approvals.ts';
import type { Store } from '../../store/contract.ts';

export function grantUsers(
  store: Pick<Store, 'listUsers'>,
  config: Pick<SlipwayConfig, 'environments' | 'users'> | null,
): (env: string) => Promise<Users> {
  return async (env) => {
    const approvalRole = config?.environments[env]?.approval?.role ?? 'approver';
    const users: Record<string, readonly string[]> = { ...(config?.users ?? {}) };
    for (const u of await store.listUsers()) {
      const roles = new Set<string>();
      for (const g of u.grants) {
        if (g.env !== ANY_ENV && g.env !== env) continue;
        roles.add(g.role);
        if (g.role === 'admin') roles.add(approvalRole);
      }
      users[u.name] = [...roles];
    }
    return users;
  };
}
