/**
 * One environment's config as a project sees it: slipway.yaml, the environment's .env file, the
 * values stored in slipway and the secret store named in `secrets:`. Shared by the CLI (`config`,
 * `secret`, `exec`, `logs`) and the deployment preflight, so both resolve exactly the same way.
 */
import { isAbsolute, resolve } from 'node:path';
import { AppError } from '../../domain/errors.ts';
import type { SecretStore } from '../../secrets/contract.ts';
import type { SecretPins } from '../../secrets/pins.ts';
import type { SlipwayConfig } from '../schema.ts';
import { type PreparedConfig, prepareConfig, secretKeys } from './prepare.ts';
import { readStoredValues } from './stored.ts';

type Env = Readonly<Record<string, string | undefined>>;

/** The key file of the local store (for `secret init` and `rotate-key`). */
export function projectKeyFile(config: SlipwayConfig, projectDir: string): string {
  const p = config.secrets?.keyFile ?? '.slipway/secret.key';
  return isAbsolute(p) ? p : resolve(projectDir, p);
}

/** The environment's .env file: `envFile`, else `.env.<env>` (skipped when it does not exist). */
export function dotenvPathOf(config: SlipwayConfig, env: string, projectDir: string): string {
  const p = config.environments[env]?.envFile ?? `.env.${env}`;
  return isAbsolute(p) ? p : resolve(projectDir, p);
}

export function environmentOf(config: SlipwayConfig, env: string) {
  const e = config.environments[env];
  if (!e) {
    throw new AppError(
      'ENV_NOT_FOUND',
      `unknown environment "${env}"; slipway.yaml has ${Object.keys(config.environments).join(', ')}`,
    );
  }
  return e;
}

export function projectSecretKeys(config: SlipwayConfig, env: string): string[] {
  const e = environmentOf(config, env);
  return secretKeys({
    ...(config.config && { shared: config.config }),
    environment: { ...(e.config ?? {}), ...(e.secrets && { secrets: e.secrets }) },
  });
}

export interface ProjectEnvInput {
  readonly config: SlipwayConfig;
  readonly env: string;
  readonly projectDir: string;
  readonly dataDir: string;
  readonly store: SecretStore;
  readonly processEnv?: Env;
  readonly pins?: SecretPins;
}

/** prepareConfig for one environment of the project. */
export function prepareEnvironment(input: ProjectEnvInput): Promise<PreparedConfig> {
  const e = environmentOf(input.config, input.env);
  return prepareConfig({
    env: input.env,
    ...(input.config.config && { shared: input.config.config }),
    environment: { ...(e.config ?? {}), ...(e.secrets && { secrets: e.secrets }) },
    dotenvPaths: [dotenvPathOf(input.config, input.env, input.projectDir)],
    stored: readStoredValues(input.dataDir, input.env),
    processEnv: input.processEnv ?? process.env,
    store: input.store,
    ...(input.pins && { pins: input.pins }),
  });
}

/** Every stored version of every secret of an environment, so a redactor also knows older values. */
export async function allSecretValues(
  store: SecretStore,
  env: string,
  keys: readonly string[],
): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const key of keys) {
    for (const v of await store.versions(env, key)) {
      const value = await store.get(env, key, v.version);
      if (value !== undefined) out.set(`${key}@${v.version}`, value);
    }
  }
  return out;
}
