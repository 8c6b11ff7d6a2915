/**
 * The one place a SecretStore is chosen by name (slipway.yaml `secrets.provider`, or `--secrets`).
 */
import { AppError } from '../domain/errors.ts';
import type { SecretStore } from './contract.ts';
import { EnvSecretStore } from './env/env-store.ts';
import { openLocalSecretStore } from './local/local-store.ts';
import { VaultSecretStore } from './vault/vault-store.ts';

export const SECRET_PROVIDERS = ['local', 'env', 'vault'] as const;
export type SecretProviderName = (typeof SECRET_PROVIDERS)[number];

export interface SecretStoreConfig {
  readonly provider: string;
  /** local: the secrets file and the key file (the key may come from SLIPWAY_SECRET_KEY instead). */
  readonly path?: string;
  readonly keyFile?: string;
  /** vault: defaults from VAULT_ADDR, VAULT_TOKEN, VAULT_NAMESPACE. */
  readonly address?: string;
  readonly mount?: string;
  readonly prefix?: string;
  /** All environment names (env provider: keeps nested names apart). */
  readonly environments?: readonly string[];
}

export function createSecretStore(
  config: SecretStoreConfig,
  processEnv: Readonly<Record<string, string | undefined>> = process.env,
): SecretStore {
  switch (config.provider) {
    case 'local':
      return openLocalSecretStore({
        path: config.path ?? '.slipway/secrets.json',
        keyFile: config.keyFile ?? '.slipway/secret.key',
        env: processEnv,
      });
    case 'env':
      return new EnvSecretStore({ env: processEnv, environments: config.environments ?? [] });
    case 'vault': {
      const address = config.address ?? processEnv.VAULT_ADDR;
      if (!address) {
        throw new AppError(
          'USAGE',
          'the vault secret store needs an address: set secrets.address or VAULT_ADDR',
        );
      }
      return new VaultSecretStore({
        address,
        token: processEnv.VAULT_TOKEN ?? '',
        mount: config.mount,
        prefix: config.prefix,
        namespace: processEnv.VAULT_NAMESPACE,
      });
    }
    default:
      throw new AppError(
        'USAGE',
        `unknown secret store "${config.provider}"; use one of ${SECRET_PROVIDERS.join(', ')}`,
      );
  }
}
