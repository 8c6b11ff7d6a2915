/**
 * The local secret store: an encrypted, versioned JSON file (see secrets-file.ts for the format).
 * Every call reads the file afresh, so two slipway processes (CLI and server) see each other's
 * writes; writes hold a lock file and replace the file atomically.
 *
 * @example
 * const store = openLocalSecretStore({ path: '.slipway/secrets.json', keyFile: '.slipway/secret.key', env: process.env });
 * await store.set('production', 'STRIPE_KEY', 'sk_live_...');
 */

import { renameSync } from 'node:fs';
import { AppError } from '../../domain/errors.ts';
import {
  assertSecretName,
  assertSecretValue,
  assertVersion,
  type SecretListing,
  type SecretStore,
  type SecretVersion,
} from '../contract.ts';
import { generateKey, KEY_BYTES, KEY_ENV_VAR, type KeySource, keyId, loadKey, writeKeyFile } from './key.ts';
import {
  emptyFile,
  liveRecords,
  open,
  readSecretsFile,
  removeStaleTemps,
  type SealedRecord,
  type SecretsFile,
  seal,
  tombstone,
  type WriteHooks,
  withFileLock,
  writeSecretsFile,
} from './secrets-file.ts';

export interface LocalSecretStoreOptions {
  /** The secrets file; created on the first `set`. */
  readonly path: string;
  readonly key: Buffer;
  /** Where the key came from, named in "wrong key" errors (e.g. "key file .slipway/secret.key"). */
  readonly keyOrigin?: string;
  readonly now?: () => Date;
  readonly hooks?: WriteHooks;
  readonly lockTimeoutMs?: number;
}

export class LocalSecretStore implements SecretStore {
  readonly name = 'local';
  readonly readOnly = false;
  readonly #path: string;
  #key: Buffer;
  readonly #keyOrigin: string;
  readonly #now: () => Date;
  readonly #hooks: WriteHooks;
  readonly #lockTimeoutMs: number;
  /** Writers of this process queue here before taking the file lock. */
  #queue: Promise<unknown> = Promise.resolve();

  constructor(options: LocalSecretStoreOptions) {
    if (options.key.length !== KEY_BYTES) {
      throw new AppError('SECRET_KEY_INVALID', `the local secret store needs a ${KEY_BYTES}-byte key`);
    }
    this.#path = options.path;
    this.#key = Buffer.from(options.key);
    this.#keyOrigin = options.keyOrigin ?? 'the configured key';
    this.#now = options.now ?? (() => new Date());
    this.#hooks = options.hooks ?? {};
    this.#lockTimeoutMs = options.lockTimeoutMs ?? 10_000;
  }

  /** Refuse to read or write with a key that is not the one the file was written with. */
  #checkKey(file: SecretsFile, key: Buffer, what?: string): void {
    const mine = keyId(key);
    if (file.keyId !== mine) {
      throw new AppError(
        'SECRET_KEY_INVALID',
        `${what ? `cannot ${what}: ` : ''}secret store ${this.#path} was written with key id ${file.keyId}, but ${this.#keyOrigin} has id ${mine}; ` +
          `check ${KEY_ENV_VAR} or the key file (after an interrupted rotation the new key is in <key file>.new). Nothing was changed`,
      );
    }
  }

  #records(file: SecretsFile | undefined, env: string, key: string): SealedRecord[] {
    return file?.secrets[env]?.[key] ?? [];
  }

  #open(file: SecretsFile, env: string, key: string, record: SealedRecord): string {
    this.#checkKey(file, this.#key, `read secret ${env}/${key} version ${record.version}`);
    const value = open(this.#key, env, key, record);
    if (value === undefined) {
      throw new AppError(
        'SECRET_DECRYPT_FAILED',
        `secret ${env}/${key} version ${record.version} in ${this.#path} failed authentication: the record was changed or damaged. ` +
          `Other versions and keys are intact and nothing was overwritten; restore the file from a backup or set a new version`,
      );
    }
    return value;
  }

  async get(env: string, key: string, version?: number): Promise<string | undefined> {
    assertSecretName(env, key);
    assertVersion(env, key, version);
    const file = readSecretsFile(this.#path);
    const records = this.#records(file, env, key);
    const record = version === undefined ? records.at(-1) : records.find((r) => r.version === version);
    if (record === undefined || file === undefined || record.removed) return undefined;
    return this.#open(file, env, key, record);
  }

  /** Serialize writers of this process, then hold the file lock against other processes. */
  #write<T>(fn: (file: SecretsFile) => { file: SecretsFile; result: T }, onWritten?: () => void): Promise<T> {
    const run = this.#queue.then(() =>
      withFileLock(
        this.#path,
        () => {
          removeStaleTemps(this.#path);
          const current = readSecretsFile(this.#path) ?? emptyFile(keyId(this.#key));
          this.#checkKey(current, this.#key);
          const { file, result } = fn(current);
          writeSecretsFile(this.#path, file, this.#hooks);
          onWritten?.();
          return result;
        },
        this.#lockTimeoutMs,
      ),
    );
    this.#queue = run.catch(() => {});
    return run;
  }

  async set(env: string, key: string, value: string): Promise<number> {
    assertSecretName(env, key);
    assertSecretValue(env, key, value);
    return this.#write((file) => {
      const records = this.#records(file, env, key);
      const version = (records.at(-1)?.version ?? 0) + 1;
      const record = seal(this.#key, env, key, version, value, this.#now().toISOString());
      const secrets = {
        ...file.secrets,
        [env]: { ...(file.secrets[env] ?? {}), [key]: [...records, record] },
      };
      return { file: { ...file, secrets }, result: version };
    });
  }

  async list(env: string): Promise<readonly SecretListing[]> {
    assertSecretName(env, 'X');
    const keys = readSecretsFile(this.#path)?.secrets[env] ?? {};
    return Object.entries(keys)
      .map(([key, records]) => [key, liveRecords(records)] as const)
      .filter(([, records]) => records.length > 0)
      .map(([key, records]) => ({
        key,
        versions: records.map((r) => r.version),
        latest: records.at(-1)!.version,
      }))
      .sort((a, b) => a.key.localeCompare(b.key));
  }

  async remove(env: string, key: string): Promise<void> {
    assertSecretName(env, key);
    if (liveRecords(this.#records(readSecretsFile(this.#path), env, key)).length === 0) return;
    // A tombstone, not a deletion: instances still running with an older version (and rollbacks
    // to them) can read it by number, and the next `set` continues the numbering.
    await this.#write((file) => {
      const records = this.#records(file, env, key);
      if (liveRecords(records).length === 0) return { file, result: undefined };
      const last = records.at(-1)!.version;
      const keys = {
        ...(file.secrets[env] ?? {}),
        [key]: [...records, tombstone(last + 1, this.#now().toISOString())],
      };
      return { file: { ...file, secrets: { ...file.secrets, [env]: keys } }, result: undefined };
    });
  }

  async versions(env: string, key: string): Promise<readonly SecretVersion[]> {
    assertSecretName(env, key);
    return liveRecords(this.#records(readSecretsFile(this.#path), env, key)).map(
      ({ version, createdAt }) => ({
        version,
        createdAt,
      }),
    );
  }

  /**
   * Re-encrypt every version of every secret under `newKey`, in one atomic file replacement. Every
   * record is opened first: if one fails, nothing is written and the store keeps the old key.
   * Returns the number of records re-encrypted.
   */
  async rotateKey(newKey: Buffer): Promise<number> {
    if (newKey.length !== KEY_BYTES) {
      throw new AppError('SECRET_KEY_INVALID', `the new key must be ${KEY_BYTES} bytes`);
    }
    const key = Buffer.from(newKey);
    return this.#write(
      (file) => {
        let count = 0;
        const secrets: SecretsFile['secrets'] = {};
        for (const [env, keys] of Object.entries(file.secrets)) {
          secrets[env] = {};
          for (const [name, records] of Object.entries(keys)) {
            secrets[env][name] = records.map((r) => {
              if (r.removed) return r;
              count++;
              return seal(key, env, name, r.version, this.#open(file, env, name, r), r.createdAt);
            });
          }
        }
        return { file: { format: file.format, keyId: keyId(key), secrets }, result: count };
      },
      () => {
        this.#key = key;
      },
    );
  }

  async close(): Promise<void> {
    await this.#queue;
  }
}

/** Open the local store with the key from `SLIPWAY_SECRET_KEY` or the key file. */
export function openLocalSecretStore(options: { path: string } & KeySource): LocalSecretStore {
  const fromEnv = options.env?.[KEY_ENV_VAR];
  const origin = fromEnv ? `the ${KEY_ENV_VAR} environment variable` : `key file ${options.keyFile}`;
  return new LocalSecretStore({ path: options.path, key: loadKey(options), keyOrigin: origin });
}

/**
 * `slipway secret rotate-key`: a new key, every record re-encrypted, the key file replaced. The new
 * key is written to `<keyFile>.new` first, so a crash between the steps never loses the only copy
 * of the key the store is encrypted with.
 */
export async function rotateKeyFile(store: LocalSecretStore, keyFile: string): Promise<number> {
  const newKey = generateKey();
  writeKeyFile(`${keyFile}.new`, newKey, false);
  const count = await store.rotateKey(newKey);
  renameSync(`${keyFile}.new`, keyFile);
  return count;
}
