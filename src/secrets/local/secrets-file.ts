/**
 * The on-disk form of the local secret store, its encryption, and how it is written.
 *
 * One JSON file. Each value is sealed on its own with AES-256-GCM under a fresh random 96-bit
 * nonce; the additional data binds a record to its env, key and version, so a record moved to
 * another place fails authentication instead of silently answering for the wrong key.
 * The file is replaced atomically (temp file, fsync, rename, fsync of the folder): a crash leaves
 * either the old or the new file, never half of one. Writers take a lock file, so two slipway
 * processes cannot lose each other's versions.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import {
  linkSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { AppError } from '../../domain/errors.ts';
import { writeFileAtomic } from '../../runtime/atomic-file.ts';

export const FORMAT = 'slipway-secrets/v1';

export interface SealedRecord {
  readonly version: number;
  readonly createdAt: string;
  /** base64, 12 bytes. */
  readonly nonce: string;
  /** base64 of ciphertext followed by the 16-byte GCM tag; empty for a tombstone. */
  readonly data: string;
  /** A tombstone: `secret rm` withdrew the key here; it holds no value and keeps its version number. */
  readonly removed?: true;
}

/** The record `secret rm` leaves: versions before it stay readable by number, none is ever reused. */
export function tombstone(version: number, createdAt: string): SealedRecord {
  return { version, createdAt, nonce: '', data: '', removed: true };
}

/** The records after the last tombstone: the versions a new deployment may pin. */
export function liveRecords(records: readonly SealedRecord[]): SealedRecord[] {
  const cut = records.findLastIndex((r) => r.removed === true);
  return records.slice(cut + 1);
}

export interface SecretsFile {
  readonly format: typeof FORMAT;
  /** Fingerprint of the key every record is sealed with (see key.ts keyId). */
  readonly keyId: string;
  readonly secrets: Record<string, Record<string, SealedRecord[]>>;
}

export function emptyFile(keyId: string): SecretsFile {
  return { format: FORMAT, keyId, secrets: {} };
}

function aad(env: string, key: string, version: number): Buffer {
  return Buffer.from(`${FORMAT}\0${env}\0${key}\0${version}`);
}

export function seal(
  key: Buffer,
  env: string,
  name: string,
  version: number,
  value: string,
  createdAt: string,
): SealedRecord {
  const nonce = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(aad(env, name, version));
  const data = Buffer.concat([cipher.update(value, 'utf8'), cipher.final(), cipher.getAuthTag()]);
  return { version, createdAt, nonce: nonce.toString('base64'), data: data.toString('base64') };
}

/** Open one record; undefined when it fails authentication (wrong key or damaged record). */
export function open(key: Buffer, env: string, name: string, record: SealedRecord): string | undefined {
  try {
    const nonce = Buffer.from(record.nonce, 'base64');
    const data = Buffer.from(record.data, 'base64');
    if (nonce.length !== 12 || data.length < 16) return undefined;
    const decipher = createDecipheriv('aes-256-gcm', key, nonce);
    decipher.setAAD(aad(env, name, record.version));
    decipher.setAuthTag(data.subarray(data.length - 16));
    return Buffer.concat([decipher.update(data.subarray(0, data.length - 16)), decipher.final()]).toString(
      'utf8',
    );
  } catch {
    return undefined;
  }
}

function corrupt(path: string, what: string): AppError {
  return new AppError(
    'SECRET_STORE_CORRUPT',
    `secret store ${path} is not readable: ${what}. It was left untouched; restore it from a backup, or move it away to start an empty store`,
  );
}

function isRecord(r: unknown): r is SealedRecord {
  const x = r as SealedRecord;
  return (
    typeof x === 'object' &&
    x !== null &&
    Number.isSafeInteger(x.version) &&
    x.version >= 1 &&
    typeof x.createdAt === 'string' &&
    typeof x.nonce === 'string' &&
    typeof x.data === 'string'
  );
}

/** Read and shape-check the file; a missing file is an empty store (undefined). */
export function readSecretsFile(path: string): SecretsFile | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new AppError(
      'SECRET_STORE_UNAVAILABLE',
      `cannot read secret store ${path}: ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw corrupt(path, `it is not valid JSON (${(err as Error).message})`);
  }
  const file = parsed as SecretsFile;
  if (typeof file !== 'object' || file === null || file.format !== FORMAT) {
    throw corrupt(path, `expected "format": "${FORMAT}"`);
  }
  if (typeof file.keyId !== 'string' || typeof file.secrets !== 'object' || file.secrets === null) {
    throw corrupt(path, 'the keyId or secrets field is missing');
  }
  for (const [env, keys] of Object.entries(file.secrets)) {
    for (const [key, records] of Object.entries(keys ?? {})) {
      if (!Array.isArray(records) || !records.every(isRecord)) {
        throw corrupt(path, `the records of ${env}/${key} are malformed`);
      }
    }
  }
  return file;
}

export interface WriteHooks {
  /** Called after the temp file is durable and before the rename; tests use it to simulate a crash. */
  readonly beforeRename?: (tmpPath: string) => void;
}

/** Replace the file atomically: write a temp file, fsync, rename over, fsync the folder. */
export function writeSecretsFile(path: string, file: SecretsFile, hooks: WriteHooks = {}): void {
  writeFileAtomic(path, `${JSON.stringify(file, null, 1)}\n`, {
    ...(hooks.beforeRename && { beforeRename: hooks.beforeRename }),
  });
}

/** Delete temp files left by writers that died before their rename; call while holding the lock. */
export function removeStaleTemps(path: string): void {
  const prefix = `${basename(path)}.`;
  let names: string[];
  try {
    names = readdirSync(dirname(path));
  } catch {
    return;
  }
  for (const name of names) {
    const m = /^(\d+)\.[0-9a-f]{8}\.tmp$/.exec(name.startsWith(prefix) ? name.slice(prefix.length) : '');
    if (m && !pidAlive(Number(m[1]))) rmSync(join(dirname(path), name), { force: true });
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Remove a lock left by a dead process without removing a fresh lock another process took in the
 * meantime: move the lock aside first, and put it back if it turns out not to be the stale one.
 */
function takeOverStaleLock(lock: string, deadPid: number | undefined): void {
  const aside = `${lock}.${process.pid}.${randomBytes(4).toString('hex')}.stale`;
  try {
    renameSync(lock, aside);
  } catch {
    return; // someone else moved it first
  }
  const pid = Number.parseInt(readFileSync(aside, 'utf8'), 10);
  const stillStale = deadPid === undefined ? !(pid > 0) : pid === deadPid;
  if (!stillStale) {
    try {
      linkSync(aside, lock); // a live holder's lock: give it back
    } catch {
      // the place was taken again; the live holder finishes its write regardless
    }
  }
  rmSync(aside, { force: true });
}

/**
 * Run `fn` holding `<path>.lock` (created exclusively, holding our pid). A lock left by a process
 * that no longer exists is taken over; a live holder is waited for up to `timeoutMs`.
 */
export async function withFileLock<T>(path: string, fn: () => T, timeoutMs = 10_000): Promise<T> {
  const lock = `${path}.lock`;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    // The lock appears with our pid already in it (link of a written temp file), so a holder
    // killed at any moment leaves a lock whose owner can be checked.
    const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    writeFileSync(tmp, String(process.pid), { mode: 0o600 });
    try {
      linkSync(tmp, lock);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    } finally {
      rmSync(tmp, { force: true });
    }
    let holder: number;
    let age: number;
    try {
      holder = Number.parseInt(readFileSync(lock, 'utf8'), 10);
      age = Date.now() - statSync(lock).mtimeMs;
    } catch {
      continue; // released between our two calls: try again
    }
    const unreadable = !(Number.isInteger(holder) && holder > 0);
    if ((!unreadable && !pidAlive(holder)) || (unreadable && age > 5_000)) {
      takeOverStaleLock(lock, unreadable ? undefined : holder);
      continue;
    }
    if (Date.now() > deadline) {
      throw new AppError(
        'SECRET_STORE_UNAVAILABLE',
        `secret store ${path} is locked by process ${unreadable ? '?' : holder}; wait for it, or delete ${lock} if no slipway is running`,
      );
    }
    await sleep(15);
  }
  try {
    return fn();
  } finally {
    try {
      unlinkSync(lock);
    } catch {
      // already gone: nothing to release
    }
  }
}
