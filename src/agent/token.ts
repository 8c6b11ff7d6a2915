/**
 * The admin API's bearer token: a random secret in `<stateDir>/agent.token`, readable by its owner
 * only. The control plane (or the CLI) on the same machine reads it from there.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AppError } from '../domain/errors.ts';

export function tokenPath(stateDir: string): string {
  return join(stateDir, 'agent.token');
}

/** Reads the token file, creating it (mode 0600) with a fresh random token when it does not exist. */
export function loadOrCreateToken(stateDir: string): string {
  const path = tokenPath(stateDir);
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  try {
    writeFileSync(path, `${randomBytes(32).toString('base64url')}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  const mode = statSync(path).mode & 0o777;
  if ((mode & 0o077) !== 0) {
    throw new AppError(
      'RUNTIME_STATE_INVALID',
      `${path} can be read by others (mode ${mode.toString(8)}); run \`chmod 600 ${path}\``,
    );
  }
  const token = readFileSync(path, 'utf8').trim();
  if (token.length < 16) {
    throw new AppError(
      'RUNTIME_STATE_INVALID',
      `${path} holds no usable token (under 16 characters); remove it`,
    );
  }
  return token;
}

/** Compares in constant time; hashing first hides the length of the expected token as well. */
export function tokenMatches(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}
