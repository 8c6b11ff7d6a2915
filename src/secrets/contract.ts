/**
 * The SecretStore contract: versioned secret values per environment and key. Implementations:
 * `local/` (encrypted file, the embedded default), `env/` (read-only, SLIPWAY_SECRET_<ENV>_<KEY>,
 * for CI), `vault/` (HashiCorp Vault KV v2). Every one must pass `contract.case.test.ts`
 * (`env/` is read-only and has its own tests).
 *
 * Versions start at 1 and only grow, also across `remove` (a tombstone): `set` adds version n+1
 * and keeps the old ones, so a rollback can restore exactly the versions a release ran with. Values never appear in `list`, `versions`,
 * errors or logs.
 *
 * @example
 * const v = await store.set('production', 'STRIPE_KEY', 'sk_live_...'); // → 3
 * await store.get('production', 'STRIPE_KEY');      // latest
 * await store.get('production', 'STRIPE_KEY', 2);   // the value a release pinned
 */
import { AppError } from '../domain/errors.ts';

export interface SecretVersion {
  readonly version: number;
  /** ISO-8601 time the version was written. */
  readonly createdAt: string;
}

export interface SecretListing {
  readonly key: string;
  /** Version numbers still stored, ascending. */
  readonly versions: readonly number[];
  readonly latest: number;
}

export interface SecretStore {
  /** `local`, `env`, `vault`, `fake`. */
  readonly name: string;
  /** True when `set` and `remove` always throw SECRET_STORE_READ_ONLY. */
  readonly readOnly: boolean;
  /** The latest value, or a given version; undefined when the key (or that version) is not stored. */
  get(env: string, key: string, version?: number): Promise<string | undefined>;
  /** Store a new version and return its number (1 for a new key). */
  set(env: string, key: string, value: string): Promise<number>;
  /** Keys of an environment with their versions, sorted by key; never values. */
  list(env: string): Promise<readonly SecretListing[]>;
  /**
   * Withdraw a key: a tombstone takes the next version number, so `get` without a version, `list`
   * and `versions` no longer show it and the next `set` continues the numbering (a version is never
   * reused). Versions before the tombstone stay readable by number, for the deployments pinned to
   * them and rollbacks. Removing an absent key is not an error (idempotent).
   */
  remove(env: string, key: string): Promise<void>;
  /** Versions set since the last tombstone, ascending; empty when the key is not stored or removed. */
  versions(env: string, key: string): Promise<readonly SecretVersion[]>;
  /** Release resources (connections, timers). Idempotent. */
  close(): Promise<void>;
}

const ENV_NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/i;
const KEY_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;

/** Shared argument checks, so every provider rejects the same bad names with the same message. */
export function assertSecretName(env: string, key: string): void {
  if (typeof env !== 'string' || !ENV_NAME.test(env)) {
    throw new AppError(
      'USAGE',
      `secret environment name ${JSON.stringify(env)} is not valid; use letters, digits, - and _ (e.g. production)`,
    );
  }
  if (typeof key !== 'string' || !KEY_NAME.test(key)) {
    throw new AppError(
      'USAGE',
      `secret key ${JSON.stringify(key)} is not valid; use an environment variable name like STRIPE_KEY`,
    );
  }
}

export function assertSecretValue(env: string, key: string, value: unknown): asserts value is string {
  if (typeof value !== 'string') {
    throw new AppError('USAGE', `secret ${env}/${key}: the value must be a string`);
  }
}

export function assertVersion(env: string, key: string, version: number | undefined): void {
  if (version !== undefined && (!Number.isSafeInteger(version) || version < 1)) {
    throw new AppError(
      'USAGE',
      `secret ${env}/${key}: version ${version} is not valid; versions are 1, 2, 3, ...`,
    );
  }
}

/** The error `set`/`remove` of a read-only store throw. */
export function readOnlyError(store: string, env: string, key: string): AppError {
  return new AppError(
    'SECRET_STORE_READ_ONLY',
    `the ${store} secret store is read-only; cannot change ${env}/${key}. Set it in the local or vault store instead`,
  );
}
