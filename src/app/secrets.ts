/**
 * Opening the project's secret store: only the composition root (and the `secret` command, which
 * manages the store itself) opens one; config/ and engine/ are handed a SecretStore.
 */
import { isAbsolute, resolve } from 'node:path';
import type { SlipwayConfig } from '../config/schema.ts';
import { AppError } from '../domain/errors.ts';
import { storedStateOrUndefined } from '../engine/stored-state.ts';
import type { SecretStore } from '../secrets/contract.ts';
import { createSecretStore } from '../secrets/factory.ts';
import type { Store } from '../store/contract.ts';

type Env = Readonly<Record<string, string | undefined>>;

/** The secret store of a project; relative paths in slipway.yaml are relative to its folder. */
export function openProjectSecrets(config: SlipwayConfig, projectDir: string, processEnv: Env = process.env) {
  const s = config.secrets;
  const at = (p: string) => (isAbsolute(p) ? p : resolve(projectDir, p));
  return createSecretStore(
    {
      provider: s?.provider ?? 'local',
      path: at(s?.path ?? '.slipway/secrets.json'),
      keyFile: at(s?.keyFile ?? '.slipway/secret.key'),
      ...(s?.address !== undefined && { address: s.address }),
      ...(s?.mount !== undefined && { mount: s.mount }),
      ...(s?.prefix !== undefined && { prefix: s.prefix }),
      environments: Object.keys(config.environments),
    },
    processEnv,
  );
}

/**
 * The project's secret store, opened on first use: a project (or a command) that never touches a
 * secret needs no key file.
 */
export function lazyProjectSecrets(
  config: SlipwayConfig,
  projectDir: string,
  processEnv: Env = process.env,
): SecretStore {
  let inner: SecretStore | undefined;
  const open = () => {
    inner ??= openProjectSecrets(config, projectDir, processEnv);
    return inner;
  };
  const provider = config.secrets?.provider ?? 'local';
  return {
    name: provider,
    readOnly: provider === 'env',
    get: (env, key, version) => open().get(env, key, version),
    set: (env, key, value) => open().set(env, key, value),
    list: (env) => open().list(env),
    remove: (env, key) => open().remove(env, key),
    versions: (env, key) => open().versions(env, key),
    close: async () => inner?.close(),
  };
}

/** For a server without a slipway.yaml: there is no project secret store to read. */
export function noProjectSecrets(): SecretStore {
  const none = (): never => {
    throw new AppError('USAGE', 'no slipway.yaml was given, so there is no project secret store');
  };
  return {
    name: 'none',
    readOnly: true,
    get: none,
    set: none,
    list: none,
    remove: none,
    versions: none,
    close: async () => {},
  };
}

/**
 * Every secret value the deployments of `env` still on record were pinned to (`KEY@version`),
 * including versions withdrawn by `secret rm`: an instance keeps printing the value it started
 * with, and a rollback target runs with its pins again, so all of them stay redacted.
 */
export async function pinnedSecretValues(
  store: Pick<Store, 'listDeployments'>,
  secrets: SecretStore,
  app: string,
  env: string,
): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const d of await store.listDeployments({ app, env, limit: 1000 })) {
    const pins = storedStateOrUndefined(d)?.ctx.secretPins ?? {};
    for (const [key, version] of Object.entries(pins)) {
      const label = `${key}@${version}`;
      if (out.has(label)) continue;
      const value = await secrets.get(env, key, version).catch(() => undefined);
      if (value !== undefined) out.set(label, value);
    }
  }
  return out;
}
