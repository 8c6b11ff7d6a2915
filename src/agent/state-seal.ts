/**
 * The `vars` of every release in agent-state.json hold the app's secrets, so they are sealed with
 * AES-256-GCM (the local secret store's record format) under the agent's own key,
 * `<stateDir>/state.key` (mode 0600, created on first start). Why not the project's secret key:
 * the agent must restart and serve without the control plane, the project key can be rotated
 * (`slipway secret rotate-key`) while the agent runs, and with the env or vault provider there is
 * no local key at all. The state file can then be copied, backed up or attached to a bug report
 * without carrying a secret; reading the vars takes the key file too.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { AppError } from '../domain/errors.ts';
import { generateKey, loadKey, writeKeyFile } from '../secrets/local/key.ts';
import { open, type SealedRecord, seal } from '../secrets/local/secrets-file.ts';

export function stateKeyPath(stateDir: string): string {
  return join(stateDir, 'state.key');
}

/** The agent's state key; created (0600, never replaced) when missing. */
export function loadOrCreateStateKey(stateDir: string): Buffer {
  const path = stateKeyPath(stateDir);
  if (!existsSync(path)) {
    try {
      writeKeyFile(path, generateKey(), true);
    } catch (error) {
      if ((error as { code?: string }).code !== 'INIT_EXISTS') throw error;
    }
  }
  return loadKey({ keyFile: path });
}

const AAD_KEY = 'agent-vars';

export function sealVars(key: Buffer, env: string, release: string, vars: Readonly<Record<string, string>>) {
  return seal(key, env, `${AAD_KEY}:${release}`, 1, JSON.stringify(vars), new Date(0).toISOString());
}

export function openVars(
  key: Buffer,
  env: string,
  release: string,
  record: SealedRecord,
  path: string,
): Record<string, string> {
  const text = open(key, env, `${AAD_KEY}:${release}`, record);
  if (text === undefined) {
    throw new AppError(
      'RUNTIME_STATE_INVALID',
      `${path}: the vars of release ${release} in ${env} cannot be decrypted with ${stateKeyPath('<state dir>')} (wrong key or damaged record); restore the key file, or remove ${path} and deploy again`,
    );
  }
  return JSON.parse(text) as Record<string, string>;
}
