/**
 * What each role may do, per environment. Roles do not nest: an approver cannot deploy and a
 * deployer cannot approve (the person who ships is not the one who says go); admin may do all.
 */
import { ANY_ENV, type Grant, type Role } from '../../domain/auth.ts';

export const PERMISSIONS = [
  'read',
  'deploy',
  'release',
  'pause',
  'resume',
  'abort',
  'rollback',
  'approve',
  'reject',
  'admin',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

const ALLOWS: Record<Role, ReadonlySet<Permission>> = {
  viewer: new Set(['read']),
  deployer: new Set(['read', 'deploy', 'release', 'pause', 'resume', 'abort', 'rollback']),
  approver: new Set(['read', 'approve', 'reject']),
  admin: new Set(PERMISSIONS),
};

/** True when a grant on `env` (or on every environment) allows `permission`. */
export function can(grants: readonly Grant[], permission: Permission, env: string = ANY_ENV): boolean {
  return grants.some(
    (g) => (g.env === ANY_ENV || (env !== ANY_ENV && g.env === env)) && ALLOWS[g.role].has(permission),
  );
}

/** The environments a user may read, or `all`. */
export function readableEnvs(grants: readonly Grant[]): 'all' | readonly string[] {
  if (can(grants, 'read')) return 'all';
  return [...new Set(grants.filter((g) => ALLOWS[g.role].has('read')).map((g) => g.env))];
}
