/**
 * Values stored in slipway (`slipway config set ENV KEY VALUE`): layer 4 of the precedence in
 * resolve.ts. They live in `.slipway/config-values.json` beside the local secret store, not in a
 * store table: like `.env` files they are per project checkout, the deployment reads them where it
 * reads the rest of the config, and no migration is needed. Plain values only: a key that is a
 * secret, or named like a credential, is refused and pointed to `slipway secret set`, so this file
 * never holds a secret in plain text.
 */
import { join } from 'node:path';
import { AppError } from '../../domain/errors.ts';
import { readJson, writeJsonAtomic } from '../../runtime/process/atomic-json.ts';
import { looksLikeSecretName } from '../../secrets/key-names.ts';

const FORMAT = 'slipway-config-values/v1';
const KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

interface StoredFile {
  readonly format: typeof FORMAT;
  readonly envs: Record<string, Record<string, string>>;
}

export function storedValuesPath(dataDir: string): string {
  return join(dataDir, 'config-values.json');
}

function readFile(path: string): StoredFile {
  const file = readJson<StoredFile>(path, { format: FORMAT, envs: {} });
  if (file?.format !== FORMAT || typeof file.envs !== 'object' || file.envs === null) {
    throw new AppError(
      'CONFIG_INVALID',
      `${path} is not a slipway config values file (${FORMAT}); move it away to start with no stored values`,
    );
  }
  return file;
}

/** The stored values of one environment; empty when none are stored. */
export function readStoredValues(dataDir: string, env: string): Record<string, string> {
  return { ...(readFile(storedValuesPath(dataDir)).envs[env] ?? {}) };
}

/** Store (or with `value` undefined, remove) one value; returns whether anything changed. */
export function writeStoredValue(
  dataDir: string,
  env: string,
  key: string,
  value: string | undefined,
  secretKeys: readonly string[] = [],
): boolean {
  if (!KEY.test(key)) {
    throw new AppError(
      'USAGE',
      `config key ${JSON.stringify(key)} is not valid; use an environment variable name like LOG_LEVEL`,
    );
  }
  if (value !== undefined && (secretKeys.includes(key) || looksLikeSecretName(key))) {
    throw new AppError(
      'USAGE',
      `${key} is ${secretKeys.includes(key) ? 'a secret' : 'named like a credential'}; config values are stored in plain text, so store it encrypted with \`slipway secret set ${env} ${key} --from-stdin\``,
    );
  }
  const path = storedValuesPath(dataDir);
  const file = readFile(path);
  const current = file.envs[env] ?? {};
  if (current[key] === value) return false;
  const { [key]: _old, ...rest } = current;
  const next = value === undefined ? rest : { ...rest, [key]: value };
  const envs = { ...file.envs, [env]: next };
  if (Object.keys(next).length === 0) delete envs[env];
  writeJsonAtomic(path, { format: FORMAT, envs } satisfies StoredFile);
  return true;
}
