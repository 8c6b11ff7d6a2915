/**
 * What the app on each host gets as environment variables: the environment's config resolved the
 * same way as on this machine (slipway.yaml values, its .env file, stored values, and the secrets
 * named in `secrets:` read from the secret store). The values travel only inside the agent's
 * `PUT /v1/envs/:env` body, through the SSH tunnel: never a command line or a file written on the
 * host by slipway (the agent keeps them sealed in its state file under its own key), never a log
 * line; `secretKeys` tells the agent which ones to hide in its answers and logs.
 */
import type { SlipwayConfig } from '../config/schema.ts';
import { assertNoIssues } from '../config/values/check.ts';
import { prepareEnvironment, projectSecretKeys } from '../config/values/project.ts';
import type { SecretStore } from '../secrets/contract.ts';

export interface HostVars {
  readonly vars: Readonly<Record<string, string>>;
  /** The secret keys among `vars`. */
  readonly secretKeys: readonly string[];
}

export async function hostVars(input: {
  config: SlipwayConfig;
  env: string;
  projectDir: string;
  dataDir: string;
  secrets: () => SecretStore;
}): Promise<HostVars> {
  const needsStore = projectSecretKeys(input.config, input.env).length > 0;
  const prepared = await prepareEnvironment({
    config: input.config,
    env: input.env,
    projectDir: input.projectDir,
    dataDir: input.dataDir,
    // Without secrets no store is opened (an environment may have none configured).
    store: needsStore ? input.secrets() : emptyStore,
  });
  assertNoIssues(input.env, prepared.issues);
  const secretKeys = prepared.resolution.keys
    .filter((k) => k.sensitive && k.value !== undefined)
    .map((k) => k.key)
    .sort();
  return { vars: prepared.vars, secretKeys };
}

const emptyStore: SecretStore = {
  name: 'none',
  readOnly: true,
  get: async () => undefined,
  set: () => Promise.reject(new Error('no secret store')),
  list: async () => [],
  versions: async () => [],
  remove: async () => {},
  close: async () => {},
};
