/**
 * Who may do what: users, their roles per environment, API tokens and dashboard sessions. Plain
 * readonly data; hashing and checks live in src/server/auth/.
 */

/** viewer reads; deployer starts and steers deployments; approver says go / no-go; admin does all. */
export const ROLES = ['viewer', 'deployer', 'approver', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}

/** Every environment, in a grant's `env`. */
export const ANY_ENV = '*';

/** A role a user holds on one environment (or on every one, with env `*`). */
export interface Grant {
  readonly user: string;
  readonly env: string;
  readonly role: Role;
}

export interface User {
  readonly name: string;
  readonly createdAt: string;
  readonly createdBy: string;
  readonly grants: readonly Grant[];
}

/** An API token as stored: never the secret itself, only its hash. */
export interface ApiToken {
  readonly id: string;
  readonly user: string;
  /** What the token is for, e.g. "ci" or "laptop". */
  readonly name: string;
  readonly createdAt: string;
  readonly expiresAt: string | null;
  readonly revokedAt: string | null;
}
export type NewApiToken = Pick<ApiToken, 'id' | 'user' | 'name' | 'expiresAt'> & {
  /** `sha256:<hex>` of the secret token. */
  readonly hash: string;
};

/** A dashboard session, opened with a token; the cookie's value is stored hashed. */
export interface Session {
  readonly idHash: string;
  readonly user: string;
  readonly tokenId: string;
  /** Sent back by the dashboard in X-CSRF-Token on every state change. */
  readonly csrf: string;
  readonly createdAt: string;
  readonly expiresAt: string;
}
export type NewSession = Omit<Session, 'createdAt'>;

/** One row of the environments overview: which release runs where, since when, by whom. */
export interface EnvironmentOverview {
  readonly app: string;
  readonly env: string;
  readonly release: { readonly id: string; readonly version: string; readonly digest: string } | null;
  readonly previousReleaseId: string | null;
  readonly since: string | null;
  readonly by: string | null;
}

/**
 * How the acting user was established, recorded with every decision: a server API token or a
 * dashboard session (the server's users and grants), or — on a store without server users — the
 * OS user running the CLI, or SLIPWAY_USER where slipway.yaml allows it for development.
 */
export const IDENTITY_SOURCES = ['token', 'session', 'os-user', 'SLIPWAY_USER'] as const;
export type IdentitySource = (typeof IDENTITY_SOURCES)[number];

/** True for the identities the CLI establishes on its own machine (no server vouches for them). */
export const isLocalIdentity = (via: IdentitySource | undefined): boolean =>
  via === 'os-user' || via === 'SLIPWAY_USER';
