/**
 * Secrets reach a container as files, never as environment variables (which `docker inspect` shows
 * to anyone with engine access) and never in image layers: each instance gets a folder on a tmpfs of
 * the host (/dev/shm: memory, not disk), bind-mounted read-only at /run/secrets. The app reads
 * `/run/secrets/NAME`; the env var `NAME_FILE` says where (the convention of official images).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const SECRETS_MOUNT = '/run/secrets';

/** The default host folder for secret files: on /dev/shm when the host has it. */
export function defaultSecretsRoot(): string {
  const uid = typeof process.getuid === 'function' ? process.getuid() : 0;
  const base = existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
  return join(base, `slipway-secrets-${uid}`);
}

/** Writes `secrets` as files into `<root>/<name>` and returns the folder to bind-mount. */
export function writeSecretFiles(
  root: string,
  name: string,
  secrets: Readonly<Record<string, string>>,
): string {
  // Only this user may walk into the root; the instance folder inside is what the container sees.
  mkdirSync(root, { recursive: true, mode: 0o700 });
  const dir = join(root, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { mode: 0o755 });
  for (const [key, value] of Object.entries(secrets)) writeFileSync(join(dir, key), value, { mode: 0o444 });
  return dir;
}

/** The secrets written for `name`, by key; empty when there are none (or they are gone). */
export function readSecretFiles(root: string, name: string): Map<string, string> {
  const dir = join(root, name);
  const out = new Map<string, string>();
  let keys: string[] = [];
  try {
    keys = readdirSync(dir);
  } catch {
    return out;
  }
  for (const key of keys) {
    try {
      out.set(key, readFileSync(join(dir, key), 'utf8'));
    } catch {
      // removed meanwhile: nothing to hide from it
    }
  }
  return out;
}

export function removeSecretFiles(root: string, name: string): void {
  rmSync(join(root, name), { recursive: true, force: true });
}
