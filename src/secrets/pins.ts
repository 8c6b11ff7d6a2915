/**
 * Secrets for a deployment: the values an environment's config needs now, and the exact versions
 * a release ran with, so a rollback restores those versions rather than whatever is latest.
 */
import { AppError } from '../domain/errors.ts';
import type { SecretStore } from './contract.ts';

/** Version of each secret, by key, as recorded with a deployment. */
export type SecretPins = Readonly<Record<string, number>>;

/** Latest values of `keys` that exist in the store (absent keys are left out; `check` reports them). */
export async function loadSecrets(
  store: SecretStore,
  env: string,
  keys: readonly string[],
): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const key of keys) {
    const value = await store.get(env, key);
    if (value !== undefined) out[key] = value;
  }
  return out;
}

/** The latest version of every key, to record with a deployment; every missing key is named at once. */
export async function pinSecretVersions(
  store: SecretStore,
  env: string,
  keys: readonly string[],
): Promise<SecretPins> {
  const pins: Record<string, number> = {};
  const missing: string[] = [];
  for (const key of keys) {
    const versions = await store.versions(env, key);
    const latest = versions.at(-1);
    if (latest === undefined) missing.push(key);
    else pins[key] = latest.version;
  }
  if (missing.length > 0) {
    throw new AppError(
      'SECRET_NOT_FOUND',
      `secret${missing.length === 1 ? '' : 's'} ${missing.join(', ')} not in the ${store.name} secret store for "${env}"; set with \`slipway secret set ${env} KEY\``,
    );
  }
  return pins;
}

/** The values of pinned versions (for a rollback); a version no longer stored is an error naming it. */
export async function readPinnedSecrets(
  store: SecretStore,
  env: string,
  pins: SecretPins,
): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const gone: string[] = [];
  for (const [key, version] of Object.entries(pins)) {
    const value = await store.get(env, key, version);
    if (value === undefined) gone.push(`${key} v${version}`);
    else out[key] = value;
  }
  if (gone.length > 0) {
    throw new AppError(
      'SECRET_NOT_FOUND',
      `the release ran with ${gone.join(', ')} in "${env}", which the ${store.name} secret store no longer has (removed, or dropped by a version limit); set the value again or deploy with the current versions`,
    );
  }
  return out;
}
