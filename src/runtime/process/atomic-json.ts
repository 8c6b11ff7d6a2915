import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { AppError } from '../../domain/errors.ts';

/**
 * Writes JSON so that a crash at any moment leaves either the old or the new file, never a torn
 * one: write a temp file beside it, fsync it, rename over the target, fsync the folder.
 */
export function writeJsonAtomic(path: string, value: unknown, mode = 0o600): void {
  mkdirSync(dirname(path), { recursive: true });
  const temp = `${path}.${process.pid}.tmp`;
  const fd = openSync(temp, 'w', mode);
  try {
    writeSync(fd, `${JSON.stringify(value, null, 2)}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temp, path);
  const dir = openSync(dirname(path), 'r');
  try {
    fsyncSync(dir);
  } finally {
    closeSync(dir);
  }
}

/**
 * Reads a JSON file; a missing file is the normal "no prior state" and gives `fallback`. (The
 * agent's own state file is recovered differently: see AgentStateFile.)
 */
export function readJson<T>(path: string, fallback: T): T {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return fallback;
    throw new AppError('RUNTIME_STATE_INVALID', `cannot read ${path}: ${(error as Error).message}`);
  }
  try {
    return JSON.parse(text) as T;
  } catch (error) {
    throw new AppError(
      'RUNTIME_STATE_INVALID',
      `${path} is not valid JSON (${(error as Error).message}); fix it by hand or restore it from a backup. Do not remove it while slipway's processes run: what it tracks would no longer be supervised`,
    );
  }
}

/**
 * For files that only point at a process (its pid and address, rewritten at each start): one that
 * cannot be parsed is treated as absent, since it records nothing that the process does not
 * rewrite when it starts again.
 */
export function readPointerJson<T>(path: string, fallback: T): T {
  try {
    return readJson(path, fallback);
  } catch {
    return fallback;
  }
}
