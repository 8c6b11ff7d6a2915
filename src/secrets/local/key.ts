/**
 * The 32-byte key of the local secret store: from `SLIPWAY_SECRET_KEY` (base64, for CI and
 * containers) or from a key file created by `initKeyFile` with mode 0600.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { AppError } from '../../domain/errors.ts';
import { writeFileAtomic } from '../../runtime/atomic-file.ts';

export const KEY_ENV_VAR = 'SLIPWAY_SECRET_KEY';
export const KEY_BYTES = 32;

/** A fresh random key. */
export function generateKey(): Buffer {
  return randomBytes(KEY_BYTES);
}

/** A short public fingerprint of a key, stored in the secrets file to tell "wrong key" from "damaged record". */
export function keyId(key: Buffer): string {
  return createHmac('sha256', key).update('slipway-secrets key id').digest('hex').slice(0, 16);
}

/** Decode a base64 key; `where` names its origin in the error. */
export function decodeKey(text: string, where: string): Buffer {
  const trimmed = text.trim();
  const key = Buffer.from(trimmed, 'base64');
  const canonical = key.toString('base64');
  const urlForm = key.toString('base64url');
  if (key.length !== KEY_BYTES || (trimmed !== canonical && trimmed !== urlForm)) {
    throw new AppError(
      'SECRET_KEY_INVALID',
      `${where} is not a base64 encoded ${KEY_BYTES}-byte key; create one with \`slipway secret init\` or \`openssl rand -base64 32\``,
    );
  }
  return key;
}

export interface KeySource {
  /** Path of the key file; used when the env var is not set. */
  readonly keyFile?: string;
  /** Usually process.env. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** Load the key: the env var wins over the key file, so CI can run without a file on disk. */
export function loadKey(source: KeySource): Buffer {
  const fromEnv = source.env?.[KEY_ENV_VAR];
  if (fromEnv !== undefined && fromEnv !== '')
    return decodeKey(fromEnv, `the ${KEY_ENV_VAR} environment variable`);
  if (source.keyFile === undefined) {
    throw new AppError(
      'SECRET_KEY_INVALID',
      `no secret store key: set ${KEY_ENV_VAR} (base64 of ${KEY_BYTES} bytes) or run \`slipway secret init\` to create a key file`,
    );
  }
  let text: string;
  try {
    const mode = statSync(source.keyFile).mode & 0o777;
    if ((mode & 0o077) !== 0) {
      throw new AppError(
        'SECRET_KEY_INVALID',
        `key file ${source.keyFile} can be read by other users (mode ${mode.toString(8).padStart(4, '0')}); run \`chmod 600 ${source.keyFile}\``,
      );
    }
    text = readFileSync(source.keyFile, 'utf8');
  } catch (err) {
    if (err instanceof AppError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new AppError(
      'SECRET_KEY_INVALID',
      code === 'ENOENT'
        ? `key file ${source.keyFile} does not exist; run \`slipway secret init\` or set ${KEY_ENV_VAR}`
        : `cannot read key file ${source.keyFile}: ${(err as Error).message}`,
      { cause: err },
    );
  }
  return decodeKey(text, `key file ${source.keyFile}`);
}

/** Write a key file atomically with mode 0600; `exclusive` refuses to replace an existing file. */
export function writeKeyFile(path: string, key: Buffer, exclusive: boolean): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  writeFileAtomic(path, `${key.toString('base64')}\n`, {
    ...(exclusive && {
      exclusive: () =>
        new AppError(
          'INIT_EXISTS',
          `key file ${path} exists; refusing to replace it, since a new key would make every stored secret unreadable`,
        ),
    }),
  });
}

/** `slipway secret init`: create a new key file (mode 0600); returns the key. */
export function initKeyFile(path: string): Buffer {
  const key = generateKey();
  writeKeyFile(path, key, true);
  return key;
}
