/**
 * Everything the deployment preflight and `slipway exec` need about one environment's config, in
 * one call: read the .env files, fetch the secrets, resolve, check, pin the secret versions, and
 * build the Redactor for the instances' logs. The effectful shell around the pure pieces.
 *
 * @example
 * const prepared = await prepareConfig({ env: 'staging', shared, environment, dotenvPaths: ['.env'], store });
 * assertNoIssues('staging', prepared.issues);
 * runtime.start({ ...spec, vars: prepared.vars });
 */
import type { SecretStore } from '../../secrets/contract.ts';
import { loadSecrets, readPinnedSecrets, type SecretPins } from '../../secrets/pins.ts';
import { Redactor } from '../../secrets/redact.ts';
import { type ConfigIssue, checkResolved } from './check.ts';
import { readDotenvFiles } from './dotenv-files.ts';
import { type Resolution, type ResolveInput, resolveConfig, resolvedVars } from './resolve.ts';

export interface PrepareInput extends Omit<ResolveInput, 'dotenv' | 'secrets' | 'secretStoreName'> {
  /** .env files in precedence order (later wins); missing files are skipped. */
  readonly dotenvPaths?: readonly string[];
  readonly store: SecretStore;
  /** Versions to use instead of the latest (a rollback restores what a release ran with). */
  readonly pins?: SecretPins;
}

export interface PreparedConfig {
  readonly resolution: Resolution;
  /** Every problem at once; empty when the environment can start. */
  readonly issues: readonly ConfigIssue[];
  /** What the app's processes get as environment variables (real secret values). */
  readonly vars: Readonly<Record<string, string>>;
  /** Version of each secret used, to record with the deployment for rollback. */
  readonly secretPins: SecretPins;
  /** Knows every secret and credential-named value of this environment. */
  readonly redactor: Redactor;
}

/** Secret keys of an environment: declared `secret` in require, or listed under `secrets:`. */
export function secretKeys(input: Pick<ResolveInput, 'shared' | 'environment'>): string[] {
  const keys = new Set(input.environment?.secrets ?? []);
  const requires = { ...(input.shared?.require ?? {}), ...(input.environment?.require ?? {}) };
  for (const [key, spec] of Object.entries(requires)) {
    const type = typeof spec === 'string' ? spec : spec?.type;
    if (typeof type === 'string' && type.trim() === 'secret') keys.add(key);
  }
  return [...keys].sort();
}

export async function prepareConfig(input: PrepareInput): Promise<PreparedConfig> {
  const { files, errors } = readDotenvFiles(input.dotenvPaths ?? []);
  const keys = secretKeys(input);
  const pinned = Object.fromEntries(Object.entries(input.pins ?? {}).filter(([k]) => keys.includes(k)));
  const secrets = {
    ...(await loadSecrets(
      input.store,
      input.env,
      keys.filter((k) => !(k in pinned)),
    )),
    ...(await readPinnedSecrets(input.store, input.env, pinned)),
  };
  const pins: Record<string, number> = { ...pinned };
  for (const key of Object.keys(secrets)) {
    if (key in pins) continue;
    const latest = (await input.store.versions(input.env, key)).at(-1);
    if (latest) pins[key] = latest.version;
  }
  const resolution = resolveConfig({ ...input, dotenv: files, secrets, secretStoreName: input.store.name });
  const sensitive: Record<string, string> = {};
  for (const k of resolution.keys) if (k.sensitive && k.value !== undefined) sensitive[k.key] = k.value;
  return {
    resolution,
    issues: checkResolved(resolution, errors),
    vars: resolvedVars(resolution),
    secretPins: pins,
    redactor: new Redactor(sensitive),
  };
}
