/**
 * The env secret store: read-only, for CI and containers. The secret KEY of environment ENV is the
 * variable `SLIPWAY_SECRET_<ENV>_<KEY>` (ENV upper-cased, `-` as `_`), e.g.
 * `SLIPWAY_SECRET_PRODUCTION_STRIPE_KEY`. There is one version (1) of each secret.
 * Names are read as written: with environments `prod` and `prod-eu`, `list('prod')` also sees the
 * variables of `prod-eu` unless `environments` names them, so give `environments` when names nest.
 */
import {
  assertSecretName,
  assertVersion,
  readOnlyError,
  type SecretListing,
  type SecretStore,
  type SecretVersion,
} from '../contract.ts';

export const ENV_SECRET_PREFIX = 'SLIPWAY_SECRET_';

export interface EnvSecretStoreOptions {
  /** Usually process.env; read at each call. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** All environment names of the app, to keep `list` of `prod` from seeing `prod-eu`'s variables. */
  readonly environments?: readonly string[];
  /** Reported as the creation time of version 1 (default: when the store was made). */
  readonly startedAt?: Date;
}

/** `production` → `PRODUCTION`, `eu-west` → `EU_WEST`. */
export function envPart(env: string): string {
  return env.toUpperCase().replace(/-/g, '_');
}

/** The variable that holds one secret. */
export function envSecretVariable(env: string, key: string): string {
  return `${ENV_SECRET_PREFIX}${envPart(env)}_${key}`;
}

export class EnvSecretStore implements SecretStore {
  readonly name = 'env';
  readonly readOnly = true;
  readonly #env: Readonly<Record<string, string | undefined>>;
  readonly #environments: readonly string[];
  readonly #createdAt: string;

  constructor(options: EnvSecretStoreOptions) {
    this.#env = options.env;
    this.#environments = options.environments ?? [];
    this.#createdAt = (options.startedAt ?? new Date()).toISOString();
  }

  async get(env: string, key: string, version?: number): Promise<string | undefined> {
    assertSecretName(env, key);
    assertVersion(env, key, version);
    if (version !== undefined && version !== 1) return undefined;
    return this.#env[envSecretVariable(env, key)];
  }

  async set(env: string, key: string, _value: string): Promise<number> {
    assertSecretName(env, key);
    throw readOnlyError(this.name, env, key);
  }

  async remove(env: string, key: string): Promise<void> {
    assertSecretName(env, key);
    throw readOnlyError(this.name, env, key);
  }

  async list(env: string): Promise<readonly SecretListing[]> {
    assertSecretName(env, 'X');
    const prefix = `${ENV_SECRET_PREFIX}${envPart(env)}_`;
    // Prefixes of longer environment names that start with this one (prod → prod-eu).
    const others = this.#environments
      .map((e) => `${ENV_SECRET_PREFIX}${envPart(e)}_`)
      .filter((p) => p !== prefix && p.startsWith(prefix));
    const keys: SecretListing[] = [];
    for (const [name, value] of Object.entries(this.#env)) {
      if (value === undefined || !name.startsWith(prefix) || others.some((p) => name.startsWith(p))) continue;
      const key = name.slice(prefix.length);
      if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) keys.push({ key, versions: [1], latest: 1 });
    }
    return keys.sort((a, b) => a.key.localeCompare(b.key));
  }

  async versions(env: string, key: string): Promise<readonly SecretVersion[]> {
    return (await this.get(env, key)) === undefined ? [] : [{ version: 1, createdAt: this.#createdAt }];
  }

  async close(): Promise<void> {}
}
